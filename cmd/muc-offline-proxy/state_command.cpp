#include "state_command.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "config/config.hpp"
#include "store/sqlite_store.hpp"
#include "xmpp/jid.hpp"

namespace {

using Json = nlohmann::ordered_json;
constexpr int kExportVersion = 1;

std::optional<std::string> store_path(const StateCommandOptions& options) {
    if (!options.store_path.empty()) return options.store_path;
    if (options.config_path.empty()) return config::Store{}.path;
    config::ParseResult parsed = config::load_config_file(options.config_path);
    if (parsed.error) {
        std::cerr << "muc-offline-proxy: " << parsed.error->message << "\n";
        return std::nullopt;
    }
    return parsed.config->store.path;
}

// Each link's delivery mode, when the config is known (without it a link counts as
// "groupchat": only members switched by "auto" show notices).
std::map<std::string, offline::Delivery> delivery_modes(const StateCommandOptions& options) {
    std::map<std::string, offline::Delivery> modes;
    if (options.config_path.empty()) return modes;
    config::ParseResult parsed = config::load_config_file(options.config_path);
    if (!parsed.config) return modes;
    for (const config::Link& link : parsed.config->links) modes[link.name] = link.offline.delivery;
    return modes;
}

std::string delivery_of(offline::Delivery mode, bool switched) {
    if (mode == offline::Delivery::notice) return "notices";
    if (switched) return "notices (auto: its server refused a copy)";
    return "copies";
}

std::unique_ptr<store::SqliteStore> open_store(const StateCommandOptions& options,
                                               store::SqliteStore::Mode mode) {
    std::optional<std::string> path = store_path(options);
    if (!path) return nullptr;
    std::string error;
    auto opened = store::SqliteStore::open(*path, mode, error);
    if (!opened) std::cerr << "muc-offline-proxy: " << error << "\n";
    return opened;
}

std::string prepared_or_given(const std::string& jid) {
    auto parsed = xmpp::parse_jid(jid);
    return parsed ? parsed->full() : jid;
}

}  // namespace

int state_list(const StateCommandOptions& options) {
    auto opened = open_store(options, store::SqliteStore::Mode::read_only);
    if (!opened) return 1;
    const std::string room = options.room.empty() ? "" : prepared_or_given(options.room);
    const std::string jid = options.jid.empty() ? "" : prepared_or_given(options.jid);
    const auto modes = delivery_modes(options);
    for (const std::string& link : opened->links()) {
        offline::StoredState state = opened->load(link);
        const auto mode = modes.find(link);
        std::set<std::string> switched;
        for (const auto& m : state.members) {
            if (m.notices) switched.insert(m.member);
        }
        std::cout << "link " << link << "\n";
        for (const auto& r : state.registrations) {
            if ((!room.empty() && r.room != room) || (!jid.empty() && r.member != jid)) continue;
            bool present = false;
            for (const auto& s : state.sessions) {
                present = present || (s.room == r.room && xmpp::bare_part(s.full_jid) == r.member);
            }
            std::cout << "  registration " << r.room << " " << r.member
                      << " nick=" << r.registration.nick
                      << " offline=" << (r.registration.offline ? "yes" : "no");
            if (r.registration.offline) {
                std::cout << " delivery="
                          << delivery_of(
                                 mode == modes.end() ? offline::Delivery::groupchat : mode->second,
                                 switched.contains(r.member));
            }
            std::cout << (present ? " (in the room)" : " (absent)") << "\n";
        }
        for (const auto& s : state.sessions) {
            if ((!room.empty() && s.room != room) ||
                (!jid.empty() && s.full_jid != jid && xmpp::bare_part(s.full_jid) != jid)) {
                continue;
            }
            std::cout << "  present " << s.room << " " << s.full_jid << " nick=" << s.nick << "\n";
        }
        for (const auto& m : state.members) {
            if (!jid.empty() && m.member != jid) continue;
            if (m.paused)
                std::cout << "  paused " << m.member << " after " << m.bounce_streak
                          << " bounces\n";
        }
    }
    return 0;
}

int state_export(const StateCommandOptions& options) {
    auto opened = open_store(options, store::SqliteStore::Mode::read_only);
    if (!opened) return 1;
    Json links = Json::object();
    for (const std::string& link : opened->links()) {
        offline::StoredState state = opened->load(link);
        Json registrations = Json::array();
        for (const auto& r : state.registrations) {
            registrations.push_back(Json{{"room", r.room},
                                         {"jid", r.member},
                                         {"nick", r.registration.nick},
                                         {"offline", r.registration.offline}});
        }
        Json paused = Json::array();
        Json notices = Json::array();
        for (const auto& m : state.members) {
            if (m.paused) paused.push_back(m.member);
            if (m.notices) notices.push_back(m.member);
        }
        links[link] =
            Json{{"registrations", registrations}, {"paused", paused}, {"notices", notices}};
    }
    Json document{{"muc-offline-proxy-state", kExportVersion}, {"links", links}};
    const std::string text = document.dump(2) + "\n";
    if (options.file.empty() || options.file == "-") {
        std::cout << text;
        return 0;
    }
    std::ofstream out(options.file);
    out << text;
    if (!out) {
        std::cerr << "muc-offline-proxy: " << options.file << ": cannot write\n";
        return 1;
    }
    return 0;
}

int state_import(const StateCommandOptions& options) {
    std::stringstream text;
    if (options.file.empty() || options.file == "-") {
        text << std::cin.rdbuf();
    } else {
        std::ifstream in(options.file);
        if (!in) {
            std::cerr << "muc-offline-proxy: " << options.file << ": cannot read\n";
            return 1;
        }
        text << in.rdbuf();
    }
    const std::string source = options.file.empty() ? "stdin" : options.file;
    Json document = Json::parse(text.str(), nullptr, false);
    auto refuse = [&](const std::string& why) {
        std::cerr << "muc-offline-proxy: " << source << ": " << why << "\n";
        return 1;
    };
    if (document.is_discarded() || !document.is_object()) return refuse("not a JSON object");
    if (document.value("muc-offline-proxy-state", 0) != kExportVersion) {
        return refuse("expected \"muc-offline-proxy-state\": " + std::to_string(kExportVersion));
    }
    if (!document.contains("links") || !document["links"].is_object())
        return refuse("expected \"links\": {...}");

    std::vector<std::pair<std::string, offline::StateChange>> changes;
    for (const auto& [link, content] : document["links"].items()) {
        const Json& registrations =
            content.contains("registrations") ? content["registrations"] : Json::array();
        for (std::size_t i = 0; i < registrations.size(); ++i) {
            const Json& r = registrations[i];
            const std::string where = "links." + link + ".registrations[" + std::to_string(i) + "]";
            if (!r.is_object() || !r.contains("room") || !r["room"].is_string() ||
                !r.contains("jid") || !r["jid"].is_string()) {
                return refuse(where + ": expected {\"room\", \"jid\", \"nick\", \"offline\"}");
            }
            auto room = xmpp::parse_jid(r["room"].get<std::string>());
            auto member = xmpp::parse_jid(r["jid"].get<std::string>());
            if (!room || room->local.empty() || !room->is_bare())
                return refuse(where + ".room: expected a room's bare JID");
            if (!member || !member->is_bare())
                return refuse(where + ".jid: expected a member's bare JID");
            offline::StateChange change{
                offline::StateChange::Kind::put_registration, room->bare(), member->bare(), {}};
            change.registration.nick = r.value("nick", "");
            change.registration.offline = r.value("offline", false);
            changes.emplace_back(link, std::move(change));
        }
        // One row per member, whichever lists name them.
        std::map<std::string, offline::StateChange> members;
        for (const char* list : {"paused", "notices"}) {
            if (!content.contains(list)) continue;
            for (const auto& member : content[list]) {
                if (!member.is_string()) continue;
                const std::string name = member.get<std::string>();
                auto [it, added] = members.try_emplace(
                    name,
                    offline::StateChange{offline::StateChange::Kind::put_member, "", name, {}});
                if (std::string_view(list) == "paused") {
                    it->second.paused = true;
                } else {
                    it->second.notices = true;
                }
            }
        }
        for (auto& [name, change] : members) changes.emplace_back(link, std::move(change));
    }
    auto opened = open_store(options, store::SqliteStore::Mode::read_write);
    if (!opened) return 1;
    std::string error;
    if (!opened->apply(changes, error)) return refuse("writing the store failed: " + error);
    std::cout << "imported " << changes.size() << " entries into " << opened->path() << "\n";
    return 0;
}
