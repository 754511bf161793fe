#include "muc_actions.hpp"

#include <stdexcept>

#include "muc_stanzas.hpp"

namespace rig::muc {

void create_instant_room(Stack& stack, Client& owner, const std::string& room_jid,
                         const std::string& nick) {
    StanzaRecord self = join_room(stack, owner, room_jid, nick);
    if (!self.has_status(kRoomCreated)) {
        throw std::runtime_error(owner.label() + " expected to create " + room_jid +
                                 " (status 201) but joined an existing room: " + self.xml);
    }
    std::string id = owner.next_id("config");
    std::size_t since = owner.mark();
    owner.send(accept_default_config(room_jid, id));
    StanzaRecord answer = stack.expect(owner, StanzaPattern::iq().id(id), since);
    if (answer.type != "result") {
        throw std::runtime_error(room_jid + " refused the instant-room form: " + answer.xml);
    }
}

StanzaRecord join_room(Stack& stack, Client& client, const std::string& room_jid,
                       const std::string& nick) {
    const std::string occupant = room_jid + "/" + nick;
    std::size_t since = client.mark();
    client.send(join(occupant, client.next_id("join")));
    return stack.expect(
        client, StanzaPattern::presence().type("").from(occupant).status(kSelfPresence), since);
}

std::string say(Stack& stack, Client& client, const std::string& room_jid, const std::string& nick,
                const std::string& body, const std::string& extra_children) {
    std::string id = client.next_id("msg");
    std::size_t since = client.mark();
    client.send(groupchat(room_jid, body, id, extra_children));
    stack.expect(client,
                 StanzaPattern::message().type("groupchat").from(room_jid + "/" + nick).body(body),
                 since);
    return id;
}

void leave_room(Stack& stack, Client& client, const std::string& room_jid,
                const std::string& nick) {
    const std::string occupant = room_jid + "/" + nick;
    std::size_t since = client.mark();
    client.send(leave(occupant, client.next_id("leave")));
    stack.expect(client,
                 StanzaPattern::presence().type("unavailable").from(occupant).status(kSelfPresence),
                 since);
}

StanzaRecord disco_info(Stack& stack, Client& client, const std::string& to) {
    std::string id = client.next_id("disco");
    std::size_t since = client.mark();
    client.send(muc::disco_info(to, id));
    return stack.expect(client, StanzaPattern::iq().id(id), since);
}

}  // namespace rig::muc
