-- mod_muc_component_link: carry a Prosody Component host over an outgoing
-- XEP-0114 link, so that an unmodified mod_muc runs as an *external* component.
--
-- Test infrastructure for muc-offline-proxy's end-to-end tests ("Prosody B").
-- Enable it in modules_enabled of the Component that runs mod_muc:
--
--   Component "conference.localhost" "muc"
--       modules_enabled = { "muc_component_link" }
--       component_link_host = "127.0.0.1"   -- default
--       component_link_port = 15348         -- required
--       component_link_secret = "secret"    -- required
--
-- What crosses the link:
--   in:  every stanza the server sends us is handed to the stanza router as if
--        it came from a component session, so mod_muc's usual handlers
--        (presence/bare, iq/full, ...) see it with a working event.origin.
--   out: everything the MUC addresses to a domain that is not hosted in this
--        Prosody reaches "route/remote" on this host (core/stanza_router.lua,
--        core_route_stanza fires it on hosts[from_host]); we take it there.
--        Direct replies (mod_muc calls event.origin.send) use the same writer.
--
-- While the link is down, outgoing stanzas are DROPPED (counted, logged).
-- Queueing would replay stale presence/errors into a fresh session of the
-- proxy under test and make tests order-dependent; a dead TCP link loses
-- them too. We return true from route/remote even when dropping: returning
-- false makes the router bounce a <not-allowed/> error back into mod_muc,
-- which kicks occupants whose presence bounces (muc.lib.lua handle_kickable),
-- i.e. a link outage would mutate room state.

local st = require "util.stanza";
local sha1 = require "util.hashes".sha1;
local jid_host = require "util.jid".host;
local new_xmpp_stream = require "util.xmppstream".new;
local net_connect = require "net.connect".connect;
local basic_resolver = require "net.resolvers.basic";

local xmlns_component = "jabber:component:accept";
local xmlns_streams = "urn:ietf:params:xml:ns:xmpp-streams";

local link_host = module:get_option_string("component_link_host", "127.0.0.1");
local link_port = module:get_option_number("component_link_port");
local link_secret = module:get_option_string("component_link_secret");
local retry_min = module:get_option_number("component_link_retry_min", 0.1);
local retry_max = module:get_option_number("component_link_retry_max", 0.5);
local handshake_timeout = module:get_option_number("component_link_handshake_timeout", 10);
-- nil lets util.xmppstream use its own default (1 MiB).
local stanza_size_limit = module:get_option_number("component_link_stanza_size_limit");

if not link_port or not link_secret then
	-- error() makes modulemanager refuse the module, and the log says why.
	error("mod_muc_component_link needs component_link_port and component_link_secret", 0);
end

-- Link state. One link per host; the module is loaded once per host.
--   "idle"        no connection, maybe a retry timer armed
--   "connecting"  TCP connect in progress
--   "opening"     our header sent, waiting for the server's (and its id)
--   "handshaking" <handshake> sent, waiting for the empty <handshake/>
--   "linked"      stanzas flow both ways
--   "closing"     we closed; waiting for net.server's ondisconnect
local state = "idle";
local conn;           -- the net.server connection while not idle
local stream;         -- util.xmppstream parser for the current connection
local retry_delay = retry_min;
local retry_timer, handshake_timer;
local stopping = false; -- set on unload/shutdown: never reconnect after
local dropped = 0;      -- stanzas dropped since the link was last up
local was_linked = false; -- this connection completed the handshake

local connect; -- forward declaration, used by the retry timer

local function write_stanza(stanza)
	if state ~= "linked" then
		dropped = dropped + 1;
		module:log("debug", "Link down (%s), dropping %s", state, stanza:top_tag());
		return false;
	end
	-- Stanzas from the link were parsed with jabber:component:accept as the
	-- default namespace and carry no xmlns; anything tagged jabber:client
	-- must not be serialised with it, the stream's default covers it.
	local xmlns = stanza.attr.xmlns;
	if xmlns == "jabber:client" then stanza.attr.xmlns = nil; end
	conn:write(tostring(stanza));
	stanza.attr.xmlns = xmlns;
	return true;
end

local function schedule_retry()
	if stopping or retry_timer then return; end
	module:log("debug", "Reconnecting in %gs", retry_delay);
	retry_timer = module:add_timer(retry_delay, function ()
		retry_timer = nil;
		connect();
	end);
	retry_delay = math.min(retry_delay * 2, retry_max);
end

-- Close the current connection. ondisconnect then arms the retry.
-- Idempotent: a server's <stream:error/></stream:stream> arrives in one read,
-- so the parser reports both before ondisconnect runs.
local function close_link(condition, text)
	if not conn or state == "closing" then return; end
	if condition then
		local err = st.stanza("stream:error"):tag(condition, { xmlns = xmlns_streams }):up();
		if text then err:tag("text", { xmlns = xmlns_streams }):text(text):up(); end
		conn:write(tostring(err));
	end
	conn:write("</stream:stream>");
	state = "closing";
	conn:close();
end

-- The pseudo-session that injected stanzas carry as event.origin. Type
-- "component" is the one origin type core_process_stanza routes to
-- core_post_stanza without s2s host-authorisation checks or c2s 'from'
-- stamping. It must not have full_jid/username (that would stamp 'from').
local origin = {
	type = "component";
	host = module.host;
	log = module._log;
	send = write_stanza;
	close = function (_, reason) close_link(reason or "undefined-condition"); end;
};

local stanza_kinds = { message = true, presence = true, iq = true };

local function on_link_stanza(stanza)
	if stanza.attr.xmlns == "jabber:client" then stanza.attr.xmlns = nil; end
	if stanza.attr.xmlns ~= nil or not stanza_kinds[stanza.name] then
		module:log("warn", "Ignoring unexpected element on the link: %s", stanza:top_tag());
		return;
	end
	-- Anything not for our domain would be routed straight back over the
	-- link by route/remote (a loop), and an error reply would carry a 'from'
	-- outside our domain, which the server kills the link for
	-- (mod_component validate_from). So: drop, loudly.
	local to = stanza.attr.to;
	if not to or jid_host(to) ~= module.host then
		module:log("warn", "Dropping stanza not addressed to %s: %s", module.host, stanza:top_tag());
		return;
	end
	prosody.core_process_stanza(origin, stanza);
end

local stream_callbacks = { default_ns = xmlns_component };

function stream_callbacks.streamopened(session, attr)
	session.notopen = nil; -- util.xmppstream parses stanzas only after this
	if state ~= "opening" then return; end
	if not attr.id or attr.id == "" then
		module:log("error", "Server stream header has no id, cannot hand-shake");
		-- RFC 6120 has no <invalid-id/> (RFC 3920 had); §4.9.3.21 is the catch-all
		return close_link("undefined-condition", "stream header without id");
	end
	-- XEP-0114 §3 (Protocol Flow): hex SHA-1 of stream id .. secret
	state = "handshaking";
	conn:write(tostring(st.stanza("handshake"):text(sha1(attr.id..link_secret, true))));
end

function stream_callbacks.handlestanza(_, stanza)
	if state == "handshaking" then
		if stanza.name == "handshake" and stanza.attr.xmlns == nil then
			state, was_linked = "linked", true;
			if handshake_timer then handshake_timer:stop(); handshake_timer = nil; end
			retry_delay = retry_min;
			module:log("info", "Component link up to %s:%d as %s%s", link_host, link_port, module.host,
				dropped > 0 and (" (dropped "..dropped.." stanzas while down)") or "");
			dropped = 0;
			module:set_status("info", "Linked");
			module:fire_event("component-link-up", { host = module.host });
		else
			module:log("error", "Expected <handshake/>, got %s", stanza:top_tag());
			close_link("not-authorized");
		end
	elseif state == "linked" then
		on_link_stanza(stanza);
	end
end

function stream_callbacks.streamclosed()
	if state == "closing" then return; end
	module:log("info", "Server closed the component stream");
	close_link();
end

function stream_callbacks.error(_, err, data)
	if err == "stream-error" then
		-- data is the <stream:error> element; name its condition in the log
		local condition = "undefined-condition";
		for child in data:childtags(nil, xmlns_streams) do
			if child.name ~= "text" then condition = child.name; break; end
		end
		local text = data:get_child_text("text", xmlns_streams);
		module:log("error", "Server sent stream error: %s%s", condition, text and (" ("..text..")") or "");
		close_link();
	else
		module:log("error", "Component stream error: %s %s", err, tostring(data or ""));
		close_link(err == "parse-error" and "not-well-formed" or "invalid-namespace");
	end
end

local listeners = {};

function listeners.onconnect(c)
	state = "opening";
	stream = new_xmpp_stream(origin, stream_callbacks, stanza_size_limit);
	origin.notopen = true; -- util.xmppstream expects the stream header first
	c:write("<stream:stream xmlns='"..xmlns_component
		.."' xmlns:stream='http://etherx.jabber.org/streams' to='"..module.host.."'>");
	-- A peer that accepts TCP but never completes the handshake (a relay
	-- whose backend is down, a hung proxy) must not park us forever.
	handshake_timer = module:add_timer(handshake_timeout, function ()
		handshake_timer = nil;
		if c == conn and state ~= "linked" then
			module:log("warn", "No handshake within %gs, reconnecting", handshake_timeout);
			close_link("connection-timeout");
		end
	end);
end

function listeners.onincoming(c, data)
	if c ~= conn then return; end
	local ok, err = stream:feed(data);
	if not ok then
		module:log("error", "Bad XML on the component link: %s", err);
		close_link(err == "stanza-too-large" and "policy-violation" or "not-well-formed");
	end
end

function listeners.ondisconnect(c, err)
	if c ~= conn then return; end
	if was_linked then
		module:log("warn", "Component link down: %s", err or "closed");
		module:set_status("warn", "Link down");
	else
		module:log("debug", "Component link attempt ended in state %s: %s", state, err or "closed");
	end
	conn, stream, state, was_linked = nil, nil, "idle", false;
	if handshake_timer then handshake_timer:stop(); handshake_timer = nil; end
	schedule_retry();
end

-- net.connect calls this when no target could be connected (refused, ...).
function listeners.onfail(_, err)
	module:log("debug", "Component link connect failed: %s", err);
	conn, stream, state = nil, nil, "idle";
	schedule_retry();
end

-- server_epoll closes a connection that is silent for read_timeout unless
-- this returns true. Whitespace keeps NATs and idle timers on both sides quiet.
function listeners.onreadtimeout(c)
	if c == conn and state == "linked" then
		c:write(" ");
		return true;
	end
end

function connect()
	if stopping or state ~= "idle" then return; end
	state = "connecting";
	module:log("debug", "Connecting component link to %s:%d", link_host, link_port);
	-- net.connect hands the connection to our listeners only in onconnect;
	-- remember it there so stale callbacks from older connections are ignored.
	local pending = {};
	function pending.onconnect(c)
		if stopping then c:close(); return; end -- unloaded while connecting
		conn = c;
		return listeners.onconnect(c);
	end
	pending.onincoming = listeners.onincoming;
	pending.ondisconnect = listeners.ondisconnect;
	pending.onreadtimeout = listeners.onreadtimeout;
	pending.onfail = listeners.onfail;
	net_connect(basic_resolver.new(link_host, link_port, "tcp"), pending, nil, nil);
end

-- Priority above mod_s2s (-1, -10), which components inherit by default:
-- without this, the MUC's traffic would try real s2s instead of the link.
module:hook("route/remote", function (event)
	write_stanza(event.stanza);
	return true;
end, 100);

-- Don't reconnect while the process exits. Sending nothing here also matches
-- the reference captures: the server just sees TCP EOF when B stops.
module:hook_global("server-stopping", function ()
	stopping = true;
end);

function module.unload()
	stopping = true;
	if retry_timer then retry_timer:stop(); retry_timer = nil; end
	close_link();
end

-- Start from the event loop, after every module of this host has loaded.
module:add_timer(0, connect);
