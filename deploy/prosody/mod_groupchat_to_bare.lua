-- mod_groupchat_to_bare: a "capable server" for the e2e tests (Prosody A, 0.12).
--
-- A MUC with offline delivery sends groupchat messages to a member's BARE JID while none of
-- the member's resources is in the room. Stock Prosody refuses those: RFC 6121 §8.5.2.1.1
-- says a groupchat message to a bare JID gets an error, and mod_message answers
-- <service-unavailable/>. Before it does, mod_message fires "message/bare/groupchat" (only
-- for an existing account); a handler that returns true takes the message over. This one
-- does what a server that supports offline delivery does:
--
--   * some resource is online: every available resource gets the message, `to` unchanged
--     (still the bare JID), as mod_message does for a headline;
--   * none is: mod_offline stores it ("message/offline/handle"), and the user gets it, with
--     a <delay/>, with their next initial presence.
--
-- When storing fails, the handler returns nothing and mod_message sends its error as before.
-- Test infrastructure only: enabled by the rig with StackOptions::capable_server.

local jid_prep = require "util.jid".prep;
local jid_split = require "util.jid".split;

local bare_sessions = prosody.bare_sessions;

module:hook("message/bare/groupchat", function(event)
	local origin, stanza = event.origin, event.stanza;
	-- The router has prepped `to` already; prepping again keeps the lookup exact.
	local bare = jid_prep(stanza.attr.to);
	if not bare then return; end

	local delivered = false;
	local user = bare_sessions[bare];
	if user then
		for _, session in pairs(user.sessions) do
			-- An available resource: one that sent its initial presence (RFC 6121 §4.2).
			if session.presence and session.send(stanza) then
				delivered = true;
			end
		end
	end
	if delivered then
		module:log("debug", "groupchat to %s delivered to its online resources", bare);
		return true;
	end

	local username = jid_split(bare);
	local stored = module:fire_event("message/offline/handle", {
		username = username;
		origin = origin;
		stanza = stanza;
	});
	if stored then
		module:log("debug", "groupchat to %s stored offline", bare);
		return true;
	end
end);
