// scripts/check-layers.sh, which `make build` runs: it must pass on this tree and catch an
// include against a README's stated direction, a forbidden system header and a cycle.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/shell_command.hpp"

namespace fs = std::filesystem;

namespace {

struct Tree {
    fs::path root;
    Tree() {
        char pattern[] = "/tmp/layers-test-XXXXXX";
        root = mkdtemp(pattern);
    }
    ~Tree() { fs::remove_all(root); }
    void write(const std::string& path, const std::string& text) {
        fs::create_directories((root / path).parent_path());
        std::ofstream(root / path) << text;
    }
    test_support::CommandResult check() const {
        return test_support::run_shell("bash scripts/check-layers.sh " + root.string());
    }
};

}  // namespace

TEST_CASE("layers: this tree includes only in the directions its READMEs state") {
    const auto result = test_support::run_shell("bash scripts/check-layers.sh");
    CHECK(result.status == 0);
    CHECK(result.output.starts_with("layers: "));
}

TEST_CASE("layers: an include against the stated direction is named with its file and line") {
    Tree tree;
    tree.write("lib/xml/README.md", "# xml\n\nIncludes: nothing from lib/\n");
    tree.write("lib/xmpp/README.md", "# xmpp\n\nIncludes: lib/xml\nNever includes: <uv.h>\n");
    tree.write("lib/xml/framer.cpp", "#include \"xml/framer.hpp\"\n");
    tree.write("lib/xmpp/jid.cpp", "#include \"xml/framer.hpp\"\n#include <string>\n");
    auto result = tree.check();
    CHECK(result.status == 0);

    tree.write("lib/xml/framer.cpp", "#include \"xml/framer.hpp\"\n#include \"xmpp/jid.hpp\"\n");
    result = tree.check();
    CHECK(result.status == 1);
    CHECK(result.output.find("lib/xml/framer.cpp:2 includes lib/xmpp, which lib/xml/README.md "
                             "does not list") != std::string::npos);

    tree.write("lib/xml/framer.cpp", "#include \"xml/framer.hpp\"\n");
    tree.write("lib/xmpp/jid.cpp", "#include <uv.h>\n");
    result = tree.check();
    CHECK(result.status == 1);
    CHECK(result.output.find("lib/xmpp/jid.cpp:1 includes <uv.h>, which lib/xmpp/README.md "
                             "forbids") != std::string::npos);
}

TEST_CASE("layers: a README without an Includes: line, or a cycle between folders, fails") {
    Tree tree;
    tree.write("lib/a/README.md", "# a\n");
    auto result = tree.check();
    CHECK(result.status == 1);
    CHECK(result.output.find("lib/a/README.md: no 'Includes:' line") != std::string::npos);

    tree.write("lib/a/README.md", "Includes: lib/b\n");
    tree.write("lib/b/README.md", "Includes: lib/a\n");
    result = tree.check();
    CHECK(result.status == 1);
    CHECK(result.output.find("form a cycle") != std::string::npos);
}
