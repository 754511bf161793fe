// `make install` as a packager and an operator run it: PREFIX and DESTDIR honoured, the unit
// points at the installed binary, systemd accepts the unit, nothing lands outside DESTDIR.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/shell_command.hpp"

namespace fs = std::filesystem;
using test_support::run_shell;

namespace {

// The make that runs this suite may pass its jobserver in MAKEFLAGS; a nested make started
// through popen does not get its pipe, so it runs on its own.
std::string make_install(const fs::path& destdir, const std::string& prefix_argument) {
    return "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory install DESTDIR='" +
           destdir.string() + "'" + prefix_argument;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::set<std::string> files_under(const fs::path& root) {
    std::set<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (entry.is_regular_file()) files.insert(fs::relative(entry.path(), root).string());
    }
    return files;
}

struct TempDir {
    fs::path path;
    TempDir() {
        char pattern[] = "/tmp/install-test-XXXXXX";
        path = mkdtemp(pattern);
    }
    ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("make install PREFIX=/usr DESTDIR=...: the tree a package would hold") {
    REQUIRE(fs::exists("build/muc-offline-proxy"));
    TempDir dest;
    const auto installed = run_shell(make_install(dest.path, " PREFIX=/usr"));
    REQUIRE_MESSAGE(installed.status == 0, installed.output);

    const std::string doc = "usr/share/doc/muc-offline-proxy/";
    for (const std::string& expected : std::vector<std::string>{
             "usr/bin/muc-offline-proxy", "usr/lib/systemd/system/muc-offline-proxy.service",
             "usr/lib/sysusers.d/muc-offline-proxy.conf", doc + "README.md",
             doc + "deploy/README.md", doc + "deploy/CONFIG.md", doc + "deploy/example-config.json",
             doc + "deploy/migrate/README.md",
             doc + "deploy/migrate/prosody-offline-delivery-to-json.lua",
             doc + "deploy/ejabberd/mod_groupchat_to_bare.erl",
             doc + "deploy/prosody/mod_groupchat_to_bare.lua"}) {
        CHECK_MESSAGE(fs::is_regular_file(dest.path / expected), expected << " not installed");
    }
    for (const auto& file : files_under(dest.path)) {
        CHECK_MESSAGE(file.rfind("usr/", 0) == 0, file << " is outside PREFIX");
    }
    for (const auto& guide : fs::directory_iterator("deploy/guides")) {
        const fs::path installed_guide =
            dest.path / doc / "deploy/guides" / guide.path().filename();
        CHECK_MESSAGE(fs::is_regular_file(installed_guide), installed_guide << " not installed");
    }
    const auto mode = fs::status(dest.path / "usr/bin/muc-offline-proxy").permissions();
    CHECK((mode & fs::perms::others_exec) != fs::perms::none);

    // The installed binary accepts the installed example.
    const auto checked =
        run_shell((dest.path / "usr/bin/muc-offline-proxy").string() + " check-config " +
                  (dest.path / (doc + "deploy/example-config.json")).string());
    CHECK_MESSAGE(checked.status == 0, checked.output);

    const std::string unit =
        read_text(dest.path / "usr/lib/systemd/system/muc-offline-proxy.service");
    CHECK(unit.find("\nExecStart=/usr/bin/muc-offline-proxy run --config "
                    "%E/muc-offline-proxy/config.json\n") != std::string::npos);
    CHECK(unit.find("Documentation=file:///usr/share/doc/muc-offline-proxy/deploy/README.md") !=
          std::string::npos);
    CHECK_MESSAGE(!std::regex_search(unit, std::regex("@[A-Z]+@")),
                  "a placeholder is left in the unit");
}

TEST_CASE("make install without PREFIX installs under /usr/local") {
    REQUIRE(fs::exists("build/muc-offline-proxy"));
    TempDir dest;
    const auto installed = run_shell(make_install(dest.path, ""));
    REQUIRE_MESSAGE(installed.status == 0, installed.output);
    CHECK(fs::is_regular_file(dest.path / "usr/local/bin/muc-offline-proxy"));
    const std::string unit =
        read_text(dest.path / "usr/local/lib/systemd/system/muc-offline-proxy.service");
    CHECK(unit.find("\nExecStart=/usr/local/bin/muc-offline-proxy run ") != std::string::npos);
    for (const auto& file : files_under(dest.path)) {
        CHECK_MESSAGE(file.rfind("usr/local/", 0) == 0, file << " is outside PREFIX");
    }

    // systemd-sysusers reads /usr/local/lib/sysusers.d too, and creates the unit's user from it.
    fs::create_directory(dest.path / "etc");
    const auto created = run_shell("systemd-sysusers --root=" + dest.path.string());
    CHECK_MESSAGE(created.status == 0, created.output);
    const std::string passwd = read_text(dest.path / "etc/passwd");
    CHECK(std::regex_search(passwd, std::regex("(^|\n)muc-offline-proxy:x:[0-9]+:[0-9]+:[^\n]*:"
                                               "/var/lib/muc-offline-proxy:/usr/sbin/nologin\n")));
}

TEST_CASE("the installed unit passes systemd-analyze verify and keeps its hardening") {
    REQUIRE(fs::exists("build/muc-offline-proxy"));
    // Installed into a prefix of its own (no DESTDIR), so ExecStart's binary exists where the
    // unit says and systemd checks the unit as it would run it.
    TempDir prefix;
    const auto installed = run_shell(make_install("", " PREFIX=" + prefix.path.string()));
    REQUIRE_MESSAGE(installed.status == 0, installed.output);
    const fs::path unit = prefix.path / "lib/systemd/system/muc-offline-proxy.service";

    const auto verified = run_shell("systemd-analyze verify --man=no " + unit.string());
    CHECK_MESSAGE(verified.status == 0, verified.output);
    CHECK_MESSAGE(verified.output.empty(), verified.output);

    // The exposure score (0 safest, 10 worst) of systemd's own review; the unit scores 1.2.
    const std::string overall = "Overall exposure level for muc-offline-proxy.service: ";
    const auto security = run_shell("systemd-analyze security --offline=yes " + unit.string());
    const auto at = security.output.find(overall);
    REQUIRE_MESSAGE(at != std::string::npos, security.output);
    const double exposure = std::strtod(security.output.c_str() + at + overall.size(), nullptr);
    CHECK_MESSAGE(exposure <= 2.0, security.output);
}
