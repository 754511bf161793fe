// The framer builds against any Debian 12 expat: one whose header lacks
// XML_SetReparseDeferralEnabled (before 2.5.0-1+deb12u2) as well as one that has it. The build
// asks scripts/expat-probe.sh; this test gives the probe and the framer a header without the
// declaration, as an older machine has it.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/shell_command.hpp"

namespace fs = std::filesystem;
using test_support::run_shell;

namespace {

constexpr char kApi[] = "XML_SetReparseDeferralEnabled";

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The system's expat.h without the declaration (from its XMLPARSEAPI line to its ';').
std::string without_declaration(std::string header) {
    const std::size_t name = header.find(std::string(kApi) + "(");
    if (name == std::string::npos) return header;
    const std::size_t start = header.rfind("XMLPARSEAPI", name);
    const std::size_t end = header.find(';', name);
    REQUIRE(start != std::string::npos);
    REQUIRE(end != std::string::npos);
    return header.erase(start, end + 1 - start);
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

std::string compiler() {
    const char* cxx = std::getenv("CXX");
    return cxx != nullptr && *cxx != '\0' ? cxx : "g++";
}

}  // namespace

TEST_CASE("the framer builds against an expat header without XML_SetReparseDeferralEnabled") {
    REQUIRE_MESSAGE(fs::exists("lib/xml/framer.cpp"), "run from the project root");
    const fs::path system_header = "/usr/include/expat.h";
    REQUIRE(fs::exists(system_header));

    char pattern[] = "/tmp/expat-probe-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    const fs::path dir = pattern;
    fs::copy_file("/usr/include/expat_external.h", dir / "expat_external.h");
    { std::ofstream(dir / "expat.h") << without_declaration(read_text(system_header)); }
    REQUIRE(read_text(dir / "expat.h").find(kApi) == std::string::npos);

    const std::string probe = "bash scripts/expat-probe.sh " + compiler();
    const auto old_answer = run_shell(probe + " -I" + dir.string());
    REQUIRE(old_answer.status == 0);
    CHECK(trimmed(old_answer.output).empty());

    const fs::path object = dir / "framer.o";
    const auto build = run_shell(compiler() + " -std=c++20 -O0 -Wall -Wextra -Werror -Ilib -I" +
                                 dir.string() + " " + trimmed(old_answer.output) +
                                 " -c lib/xml/framer.cpp -o " + object.string());
    INFO(build.output);
    REQUIRE(build.status == 0);
    const auto symbols = run_shell("nm -u " + object.string());
    REQUIRE(symbols.status == 0);
    CHECK(symbols.output.find("XML_ParserCreateNS") != std::string::npos);
    CHECK(symbols.output.find(kApi) == std::string::npos);

    // Against the system's own header the probe says what the header says.
    const bool system_has_api = read_text(system_header).find(kApi) != std::string::npos;
    const auto system_answer = run_shell(probe);
    CHECK(trimmed(system_answer.output) ==
          (system_has_api ? "-DHAVE_XML_SET_REPARSE_DEFERRAL" : ""));
    fs::remove_all(dir);
}

TEST_CASE("make deps plans to upgrade an expat older than the project needs") {
    REQUIRE_MESSAGE(fs::exists("scripts/install-deps.sh"), "run from the project root");
    // A dpkg-query that answers as a machine with bookworm's deb12u1 expat and everything else
    // current would; dpkg itself (for --compare-versions) is the real one.
    char pattern[] = "/tmp/fake-dpkg-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    const fs::path dir = pattern;
    {
        std::ofstream fake(dir / "dpkg-query");
        fake << "#!/bin/bash\n"
                "format=\"$2\"; package=\"$3\"\n"
                "case \"$format\" in\n"
                "  *Status*) printf 'install ok installed' ;;\n"
                "  *Version*) case \"$package\" in\n"
                "      libexpat1*) printf '2.5.0-1+deb12u1' ;;\n"
                "      libuv1*) printf '1.44.2-1+deb12u1' ;;\n"
                "      *) printf '1.0' ;;\n"
                "    esac ;;\n"
                "esac\n";
    }
    fs::permissions(dir / "dpkg-query", fs::perms::owner_all);
    const std::string path = "PATH=" + dir.string() + ":$PATH ";

    const auto plan = run_shell(path + "bash scripts/install-deps.sh --plan");
    INFO(plan.output);
    CHECK(plan.status == 0);
    CHECK(plan.output.find("libexpat1-dev (2.5.0-1+deb12u1, need >= 2.5.0-1+deb12u2)") !=
          std::string::npos);
    CHECK(plan.output.find("installing Debian packages") == std::string::npos);

    // The same machine after the upgrade has nothing left to do.
    {
        std::ofstream fake(dir / "dpkg-query");
        fake << "#!/bin/bash\n"
                "case \"$2\" in *Status*) printf 'install ok installed' ;; "
                "*Version*) printf '9:99' ;; esac\n";
    }
    const auto settled = run_shell(path + "bash scripts/install-deps.sh --plan");
    CHECK(settled.status == 0);
    CHECK(trimmed(settled.output) == "nothing to install or upgrade");
    fs::remove_all(dir);
}
