-- Turns the registrations that Prosody's mod_muc_offline_delivery keeps into the JSON that
-- `muc-offline-proxy state import` reads.
--
-- mod_muc keeps each persistent room in its "config" store; with the default `internal`
-- storage that is one Lua file per room, <data_path>/<escaped MUC host>/config/<room>.dat,
-- whose `_affiliation_data` maps a member's bare JID to { reserved_nickname = ...,
-- offline_delivery = true|false }. mod_muc_offline_delivery writes the second key there.
--
-- Usage:
--   lua5.4 prosody-offline-delivery-to-json.lua CONFIG_DIR LINK_NAME [DEFAULT] > state.json
--   muc-offline-proxy state import state.json --config /etc/muc-offline-proxy.json
-- CONFIG_DIR: e.g. /var/lib/prosody/conference%2eexample%2eorg/config
-- LINK_NAME:  the proxy link that serves this MUC (its `name`, or its domain)
-- DEFAULT:    "true" when the module ran with muc_offline_delivery_default = true (members
--             who never chose are then opted in); "false" otherwise (the default)
-- Stop Prosody's MUC first so the files do not change under the script. Other storage
-- backends (SQL): export the "config" store to files with `prosodyctl mod_migrate` first.

local config_dir, link, default = arg[1], arg[2], arg[3] == "true"
if not config_dir or not link then
    io.stderr:write("usage: lua5.4 prosody-offline-delivery-to-json.lua CONFIG_DIR LINK_NAME [true|false]\n")
    os.exit(2)
end

-- JSON strings: quote, backslash and control characters escaped.
local function json_string(text)
    return '"' .. text:gsub('[%c"\\]', function(c)
        return string.format("\\u%04x", c:byte())
    end) .. '"'
end

-- A room file is a Lua chunk returning a table; it runs with no globals at all.
local function load_room(path)
    local chunk, err = loadfile(path, "t", {})
    if not chunk then return nil, err end
    local ok, room = pcall(chunk)
    if not ok or type(room) ~= "table" then return nil, "not a room table" end
    return room
end

local listing = io.popen('ls -1 "' .. config_dir:gsub('"', '\\"') .. '"')
local entries = {}
for name in listing:lines() do
    if name:match("%.dat$") then entries[#entries + 1] = name end
end
listing:close()
table.sort(entries)

local registrations = {}
for _, name in ipairs(entries) do
    local room, err = load_room(config_dir .. "/" .. name)
    if not room then
        io.stderr:write(name .. ": skipped (" .. tostring(err) .. ")\n")
    elseif type(room._jid) == "string" and type(room._affiliation_data) == "table" then
        local members = {}
        for jid in pairs(room._affiliation_data) do members[#members + 1] = jid end
        table.sort(members)
        for _, jid in ipairs(members) do
            local data = room._affiliation_data[jid]
            -- Only registered members (a reserved nick) ever got copies from the module.
            if type(data) == "table" and type(data.reserved_nickname) == "string" then
                local offline = data.offline_delivery
                if offline == nil then offline = default end
                registrations[#registrations + 1] = string.format(
                    '        {"room": %s, "jid": %s, "nick": %s, "offline": %s}',
                    json_string(room._jid), json_string(jid), json_string(data.reserved_nickname),
                    offline and "true" or "false")
            end
        end
    end
end

io.write('{\n  "muc-offline-proxy-state": 1,\n  "links": {\n    ', json_string(link),
    ': {\n      "registrations": [\n', table.concat(registrations, ",\n"),
    '\n      ],\n      "paused": []\n    }\n  }\n}\n')
