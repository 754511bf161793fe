// Every capture under tests/replay/captures, replayed through the offline-delivery filter,
// must match its expectation file; and on Prosody's plain MUC the copies the proxy injects
// must be those the reference module sent in the same scenario, but for named differences.
// Run from the repository root (make test does).
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/config.hpp"
#include "offline/delivery_session.hpp"
#include "offline/offline_delivery.hpp"
#include "replay/replayer.hpp"
#include "replay/report.hpp"
#include "xml/framer.hpp"
#include "xmpp/stanza_tree.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kRoot = "tests/replay";

std::string read_text(const fs::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// configs/<impl>/<scenario>.json, else configs/<impl>.json, else the defaults.
config::Link link_for(const std::string& impl, const std::string& scenario) {
    fs::path path = kRoot / "configs" / impl / (scenario + ".json");
    if (!fs::exists(path)) path = kRoot / "configs" / (impl + ".json");
    config::ParseResult parsed =
        fs::exists(path) ? config::load_config_file(path.string())
                         : config::parse_config(R"({"links": [{"domain": "conference.localhost",
                                                   "listen": {"port": 1}, "upstream": {"port": 2}}]})");
    REQUIRE_MESSAGE(parsed.config, (parsed.error ? parsed.error->message : ""));
    return parsed.config->links.front();
}

struct Replayed {
    replay::ReplayResult result;
    std::string report;
};

Replayed run(const fs::path& capture) {
    std::string error;
    auto chunks = replay::load_capture(capture.string(), error);
    REQUIRE_MESSAGE(chunks, error);
    config::Link link =
        link_for(capture.parent_path().filename().string(), capture.stem().string());
    // As a link with a store runs it: the persist points are part of the expectation.
    auto delivery = std::make_shared<offline::OfflineDelivery>(link.offline, link.domain);
    auto chain = std::make_unique<xmpp::FilterChain>();
    chain->add(offline::open_session(delivery));
    Replayed replayed;
    replayed.result = replay::replay_capture(
        *chunks, replay::ReplayLink{link.domain, link.limits.max_stanza_bytes}, std::move(chain));
    replayed.report = replay::report(replayed.result, offline::summary_line(*delivery));
    return replayed;
}

std::vector<fs::path> captures() {
    std::vector<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(kRoot / "captures")) {
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() == ".jsonl" && !name.ends_with(".clients.jsonl"))
            found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

fs::path expectation_of(const fs::path& capture) {
    return kRoot / "expected" / capture.parent_path().filename() /
           (capture.stem().string() + ".txt");
}

// A bare-JID copy, as far as two runs of the same scenario can agree: ids the clients chose
// (they start with the scenario's prefix), addressing, body and the children's names.
// occupant-id values and ids the MUC made up differ from run to run.
struct Copy {
    std::string to, from, id, body, children;
    bool operator==(const Copy&) const = default;
};

std::string describe(const std::vector<Copy>& copies) {
    std::string out;
    for (const Copy& c : copies) {
        out += "\n  to=" + c.to + " from=" + c.from + " id=" + c.id + " body=" + c.body +
               " children=" + c.children;
    }
    return out.empty() ? "(none)" : out;
}

Copy normalize(std::string_view raw, const std::string& id_prefix) {
    auto tree = xmpp::StanzaTree::parse(raw);
    REQUIRE(tree);
    Copy copy{xmpp::attribute(tree->root(), "to"), xmpp::attribute(tree->root(), "from"),
              xmpp::attribute(tree->root(), "id"),
              xmpp::text_of(xmpp::child(tree->root(), "body", nullptr)), ""};
    if (!copy.id.starts_with(id_prefix)) copy.id = "(made up by the MUC)";
    for (xmpp_stanza_t* c = xmpp_stanza_get_children(tree->root()); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        const char* name = xmpp_stanza_get_name(c);
        if (name != nullptr && std::string(name) != "occupant-id")
            copy.children += std::string(name) + " ";
    }
    return copy;
}

bool is_bare_groupchat(const xml::ElementView& top) {
    return top.name.local == "message" && top.attribute("type") == "groupchat" &&
           top.attribute("to").find('/') == std::string_view::npos;
}

// The copies the MUC itself sent to bare JIDs in a capture (the reference module's).
std::vector<std::string> bare_copies_in(const fs::path& capture) {
    std::string error;
    auto chunks = replay::load_capture(capture.string(), error);
    REQUIRE_MESSAGE(chunks, error);
    struct Collector : xml::FrameSink {
        std::vector<std::string> copies;
        void on_stream_open(const xml::ElementView&, std::string_view) override {}
        void on_stanza(const xml::ElementView& top, std::string_view raw) override {
            if (is_bare_groupchat(top)) copies.emplace_back(raw);
        }
        void on_whitespace(std::string_view) override {}
        void on_stream_close(std::string_view) override {}
    } collector;
    xml::Framer framer(collector, {});
    for (const auto& chunk : *chunks) {
        if (chunk.direction == xmpp::Direction::to_server) REQUIRE(framer.feed(chunk.data));
    }
    return collector.copies;
}

// `#! reference-only ID...` in an expectation file: copies the reference sends and we do not.
std::set<std::string> directive_ids(const std::string& expectation, const std::string& directive) {
    std::set<std::string> ids;
    std::istringstream lines(expectation);
    std::string line;
    while (std::getline(lines, line)) {
        if (!line.starts_with("#! " + directive + " ")) continue;
        std::istringstream words(line.substr(directive.size() + 4));
        std::string id;
        while (words >> id) ids.insert(id);
    }
    return ids;
}

}  // namespace

TEST_CASE("replay: every capture matches its expectation file") {
    std::vector<fs::path> all = captures();
    CHECK(all.size() >= 20);
    for (const fs::path& capture : all) {
        INFO("capture: ", capture.string());
        fs::path expected = expectation_of(capture);
        REQUIRE_MESSAGE(fs::exists(expected), "no expectation file ", expected.string());
        Replayed replayed = run(capture);
        CHECK(replayed.result.error.empty());
        CHECK(replayed.report == replay::without_comments(read_text(expected)));
    }
}

TEST_CASE("replay: on Prosody's plain MUC the proxy sends the reference module's copies") {
    for (const fs::path& capture : captures()) {
        if (capture.parent_path().filename() != "prosody-muc") continue;
        INFO("capture: ", capture.string());
        const std::string scenario = capture.stem().string();
        const std::string id_prefix = scenario.substr(0, scenario.find('-')) + "-";
        std::string lowered;
        for (char c : id_prefix)
            lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const std::string expectation = read_text(expectation_of(capture));
        const std::set<std::string> reference_only = directive_ids(expectation, "reference-only");

        std::vector<Copy> reference;
        for (const std::string& raw :
             bare_copies_in(kRoot / "captures" / "prosody-muc-ref" / capture.filename())) {
            Copy copy = normalize(raw, lowered);
            if (!reference_only.contains(copy.id)) reference.push_back(copy);
        }
        std::vector<Copy> ours;
        for (const replay::Change& change : run(capture).result.changes) {
            if (change.kind != replay::Change::Kind::inject ||
                change.direction != xmpp::Direction::to_server)
                continue;
            if (!change.bytes.starts_with("<message")) continue;
            ours.push_back(normalize(change.bytes, lowered));
        }
        CHECK(describe(ours) == describe(reference));
    }
}

TEST_CASE("replay command: --expect passes on a match and exits 1 on a difference") {
    const std::string proxy = "build/muc-offline-proxy";
    REQUIRE(fs::exists(proxy));
    const std::string capture = (kRoot / "captures/prosody-muc/S1-optin.jsonl").string();
    const std::string expected = (kRoot / "expected/prosody-muc/S1-optin.txt").string();
    CHECK(std::system(
              (proxy + " replay " + capture + " --expect " + expected + " > /dev/null").c_str()) ==
          0);

    char wrong[] = "/tmp/replay-expect-XXXXXX";
    int fd = mkstemp(wrong);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(wrong) << "component->server inject <message to='nobody@localhost'/>\n";
    int status =
        std::system((proxy + " replay " + capture + " --expect " + wrong + " > /dev/null").c_str());
    CHECK(WEXITSTATUS(status) == 1);
    fs::remove(wrong);
}
