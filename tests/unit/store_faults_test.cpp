// The built proxy when its store fails under it: a member is never told "registered" for a
// registration that is not on disk, /healthz says why while the store cannot write, and the
// changes kept meanwhile reach the disk once it can again.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "support/built_proxy.hpp"
#include "support/loopback.hpp"
#include "support/proxy_process.hpp"

using namespace loopback;
using namespace proxy_process;
namespace fs = std::filesystem;

namespace {

const std::string kRoom = "room@conference.localhost";

std::string self_presence(const std::string& nick, const std::string& full_jid) {
    return "<presence from='" + kRoom + "/" + nick + "' to='" + full_jid +
           "'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' "
           "role='participant'/><status code='110'/></x></presence>";
}

std::string register_submit(const std::string& full_jid, const std::string& nick,
                            const std::string& id) {
    return "<iq to='" + kRoom + "' id='" + id + "' from='" + full_jid +
           "' type='set'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' "
           "type='submit'><field var='muc#register_roomnick'><value>" +
           nick +
           "</value></field><field var='{http://tigase.org/protocol/muc}offline'><value>1</value>"
           "</field></x></query></iq>";
}

// A proxy process on one link with metrics on, its store at `store_path`.
struct Rig {
    ListeningSocket upstream;
    std::uint16_t link_port = free_port();
    std::uint16_t metrics_port = free_port();
    std::optional<ProxyProcess> proxy;
    Session session;

    Rig(const TempDir& dir, const std::string& store_path, const std::string& registration) {
        write_file(dir.file("proxy.json"),
                   R"({"links": [{"name": "conf", "domain": ")" + kDomain +
                       R"(", "listen": {"port": )" + std::to_string(link_port) +
                       R"(}, "upstream": {"port": )" + std::to_string(upstream.port()) +
                       R"(}}], "registration": ")" + registration + R"(",
                "store": {"path": ")" +
                       store_path + R"("}, "metrics": {"listen": {"port": )" +
                       std::to_string(metrics_port) + "}}}");
        proxy.emplace(dir.file("proxy.json"), dir.file("proxy.log"));
        REQUIRE_MESSAGE(proxy->wait_for_log("metrics: serving", 10s), proxy->log());
        session = establish_on(link_port, upstream);
    }
    HttpAnswer health() const {
        return curl("http://127.0.0.1:" + std::to_string(metrics_port) + "/healthz");
    }
    double metric(const std::string& series) const {
        HttpAnswer page = curl("http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics");
        REQUIRE(page.status == 200);
        auto value = sample_value(page.body, series);
        INFO(series);
        REQUIRE(value);
        return *value;
    }
    // Polls /healthz until it answers `status` (the store retries on its own schedule).
    bool wait_for_health(int status, Duration timeout) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (health().status == status) return true;
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }
    // Standalone: the member joins and registers; returns the proxy's answer to the server,
    // read up to `answer_end`.
    std::string join_and_register(const std::string& nick, const std::string& id,
                                  const std::string& answer_end) {
        const std::string full_jid = nick + "@localhost/phone";
        session.component.send_all(self_presence(nick, full_jid));
        std::string at_server;
        REQUIRE(session.server.read_until(at_server, "to='" + full_jid + "'", 5s));
        session.server.send_all(register_submit(full_jid, nick, id));
        std::string answer;
        REQUIRE(session.server.read_until(answer, answer_end, 5s));
        return answer;
    }
};

// A small tmpfs the test mounts itself: a real "disk full". Needs CAP_SYS_ADMIN.
class SmallDisk {
  public:
    explicit SmallDisk(std::string path) : path_(std::move(path)) {
        fs::create_directories(path_);
        mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=2m") == 0;
    }
    ~SmallDisk() {
        if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    }
    bool mounted() const { return mounted_; }
    // Writes zeros until the disk refuses more.
    void fill(const std::string& file) {
        std::ofstream out(file, std::ios::binary);
        const std::string block(4096, '\0');
        while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
        }
    }

  private:
    std::string path_;
    bool mounted_ = false;
};

bool can_mount_tmpfs() {
    if (geteuid() != 0) return false;
    char pattern[] = "/tmp/store-faults-mount-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return false;
    bool mounted = false;
    {
        SmallDisk probe(pattern);
        mounted = probe.mounted();
    }
    ::rmdir(pattern);
    return mounted;
}

}  // namespace

TEST_CASE(
    "store faults: the state file deleted mid-run: the MUC's success becomes an error for the "
    "member, /healthz says why") {
    TempDir dir;
    const std::string store = dir.file("state.db");
    Rig rig(dir, store, "augment");
    // Augment: the MUC answers the submit; the proxy commits before that answer goes on.
    auto submit_and_answer = [&](const std::string& member, const std::string& id,
                                 const std::string& answer_end) {
        rig.session.server.send_all(register_submit(member + "/phone", "nick", id));
        std::string at_component;
        REQUIRE(rig.session.component.read_until(at_component, "</iq>", 5s));
        rig.session.component.send_all("<iq from='" + kRoom + "' to='" + member + "/phone' id='" +
                                       id + "' type='result'/>");
        std::string at_server;
        REQUIRE(rig.session.server.read_until(at_server, answer_end, 5s));
        return at_server;
    };
    CHECK(submit_and_answer("bob@localhost", "reg1", "/>") ==
          "<iq from='" + kRoom + "' to='bob@localhost/phone' id='reg1' type='result'/>");
    CHECK(rig.health().status == 200);

    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(store + suffix);
    const std::string answer = submit_and_answer("carol@localhost", "reg2", "</iq>");
    CHECK(answer.find("type=\"error\"") != std::string::npos);
    CHECK(answer.find("id=\"reg2\"") != std::string::npos);
    CHECK(answer.find("to=\"carol@localhost/phone\"") != std::string::npos);
    CHECK(answer.find("from=\"" + kRoom + "\"") != std::string::npos);
    CHECK(answer.find("<error type=\"wait\"><resource-constraint") != std::string::npos);
    CHECK(answer.find("type='result'") == std::string::npos);
    CHECK(rig.session.server.read_some(300ms).find("type='result'") == std::string::npos);

    HttpAnswer health = rig.health();
    CHECK(health.status == 503);
    CHECK(health.body.find("store: cannot write " + store +
                           ": the state file was deleted while running") != std::string::npos);
    CHECK(rig.metric("muc_offline_proxy_store_writable") == 0);
    CHECK(rig.metric(R"(muc_offline_proxy_registrations_refused_unstored_total{link="conf"})") ==
          1);
    CHECK(rig.metric("muc_offline_proxy_store_commit_failures_total") >= 1);
    CHECK(rig.proxy->wait_for_log("the state file was deleted while running", 2s));
    CHECK_FALSE(fs::exists(store));  // not silently recreated
    rig.proxy->stop();
    CHECK_FALSE(fs::exists(store));
}

TEST_CASE(
    "store faults: a full disk refuses registrations until space comes back; nothing kept "
    "is lost" *
    doctest::skip(!can_mount_tmpfs())) {
    TempDir dir;
    SmallDisk disk(dir.file("disk"));
    REQUIRE(disk.mounted());
    const std::string store = dir.file("disk/state.db");
    Rig rig(dir, store, "standalone");
    CHECK(rig.join_and_register("bob", "reg1", "/>").find("type=\"result\"") != std::string::npos);

    disk.fill(dir.file("disk/filler"));
    const std::string refused = rig.join_and_register("carol", "reg2", "</iq>");
    CHECK(refused.find("type=\"error\"") != std::string::npos);
    CHECK(refused.find("<resource-constraint") != std::string::npos);
    CHECK(refused.find("type=\"result\"") == std::string::npos);
    HttpAnswer health = rig.health();
    CHECK(health.status == 503);
    CHECK(health.body.find("store: cannot write " + store + ": database or disk is full") !=
          std::string::npos);
    CHECK(rig.proxy->log().find("database or disk is full") != std::string::npos);

    fs::remove(dir.file("disk/filler"));
    CHECK(rig.wait_for_health(200, 15s));
    CHECK(rig.metric("muc_offline_proxy_store_writable") == 1);
    CHECK(rig.proxy->wait_for_log("writing again", 2s));
    CHECK(rig.proxy->stop() == 0);
    // The registration refused while the disk was full was kept and written once it could be
    // (README, "State and restarts": the member may end up registered after all).
    CommandResult list = run_command(test_support::built_proxy() + " state list --store " + store);
    CHECK(list.output.find("bob@localhost") != std::string::npos);
    CHECK(list.output.find("carol@localhost") != std::string::npos);
}

TEST_CASE(
    "a SIGBUS (a mapped store file gone bad) is explained in the log before it ends the "
    "process") {
    TempDir dir;
    const std::string store = dir.file("state.db");
    Rig rig(dir, store, "augment");
    // The fault itself needs a file system that fails under SQLite's mapping; the signal is
    // what the kernel then delivers.
    rig.proxy->send_signal(SIGBUS);
    for (int i = 0; i < 500 && rig.proxy->running(); ++i) std::this_thread::sleep_for(10ms);
    REQUIRE_FALSE(rig.proxy->running());
    CHECK(rig.proxy->ended_by_signal() == SIGBUS);
    const std::string log = rig.proxy->log();
    INFO(log);
    CHECK(log.find("fatal: SIGBUS: a memory-mapped file became inaccessible") != std::string::npos);
    CHECK(log.find("(" + store + "-shm)") != std::string::npos);
}
