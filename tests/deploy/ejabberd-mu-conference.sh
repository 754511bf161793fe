#!/usr/bin/env bash
# deploy/guides/ejabberd.md: ejabberd as the server (an ejabberd_service listener), the proxy in
# front of it, mu-conference pointed at the proxy. ejabberd runs as its own Erlang node on free
# loopback ports, without epmd, as the ejabberd user (its Debian scripts insist on it).
# STORE_GROUPCHAT=1 sets mod_offline's store_groupchat: true. CAPABLE=1 compiles and loads
# deploy/ejabberd/mod_groupchat_to_bare.erl, which delivers the copies instead of bouncing them.
cd "$(dirname "$0")/../.."
source tests/deploy/lib.sh
command -v ejabberdctl >/dev/null || { echo "SKIPPED: ejabberd is not installed (make guides installs it)"; exit 77; }

C2S_PORT=$(free_port)
COMPONENT_PORT=$(free_port)
DIST_PORT=$(free_port)
E="$WORK/ejabberd"
store_groupchat=false
[[ -z "${STORE_GROUPCHAT:-}" ]] || store_groupchat=true
mkdir -p "$E/spool" "$E/logs"
chown ejabberd:ejabberd "$E/spool" "$E/logs"
cat >"$E/ejabberd.yml" <<YML
hosts:
  - localhost
loglevel: info
log_rotate_count: 0
certfiles: []
auth_method: internal
auth_password_format: plain
listen:
  - port: $C2S_PORT
    ip: "127.0.0.1"
    module: ejabberd_c2s
  - port: $COMPONENT_PORT
    ip: "127.0.0.1"
    module: ejabberd_service
    hosts:
      conference.localhost:
        password: secret
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
modules:
  mod_disco: {}
  mod_roster: {}
  mod_ping: {}
  mod_offline:
    store_groupchat: $store_groupchat
YML
cat >"$E/ejabberdctl.cfg" <<CFG
ERLANG_NODE=deployguide$DIST_PORT@localhost
ERL_DIST_PORT=$DIST_PORT
ERL_OPTIONS="-kernel inet_dist_use_interface {127,0,0,1}"
EJABBERD_PID_PATH=$E/spool/ejabberd.pid
CFG
cp /etc/ejabberd/inetrc "$E/"
capable_module=""
if [[ -n "${CAPABLE:-}" ]]; then
  # The module's build, as deploy/guides/ejabberd.md gives it.
  mkdir -p "$E/ebin"
  erlc -I "$(ls -d /usr/lib/erlang/lib/p1_xmpp-*/include | head -n 1)" \
    -pa "$(dirname "$(find /usr/lib -name ejabberd_sm.beam | head -n 1)")" \
    -o "$E/ebin" deploy/ejabberd/mod_groupchat_to_bare.erl
  echo "ERL_OPTIONS=\"\$ERL_OPTIONS -pa $E/ebin\"" >>"$E/ejabberdctl.cfg"
  echo "  mod_groupchat_to_bare: {}" >>"$E/ejabberd.yml"
fi
# As the ejabberd user, with its Erlang cookie in the spool dir (HOME).
ejabberdctl() {
  env HOME="$E/spool" setpriv --reuid=ejabberd --regid=ejabberd --init-groups \
    /usr/sbin/ejabberdctl --config-dir "$E" --logs "$E/logs" --spool "$E/spool" "$@"
}
start ejabberd env HOME="$E/spool" setpriv --reuid=ejabberd --regid=ejabberd --init-groups \
  /usr/sbin/ejabberdctl --config-dir "$E" --logs "$E/logs" --spool "$E/spool" foreground
wait_for 60 "ejabberd's c2s listener" listening "$C2S_PORT"
wait_for 10 "ejabberd's component listener" listening "$COMPONENT_PORT"
for user in alice bob probe; do (cd "$E/spool" && ejabberdctl register "$user" localhost pw); done

mu_conference_story_through_the_proxy
# ejabberd 23.01 (ejabberd_sm:do_route/1) hands a groupchat message to a bare JID straight to
# bounce_sm_packet: service-unavailable whether the user is online or not, and mod_offline's
# store_groupchat alone does not change that. The proxy swallows the bounces.
if [[ -n "${CAPABLE:-}" && -n "${STORE_GROUPCHAT:-}" ]]; then
  online=delivered offline=delivered bounces=0
elif [[ -n "${CAPABLE:-}" ]]; then
  online=delivered offline="not delivered" bounces=1
else
  online="not delivered" offline="not delivered" bounces=2
fi
expect_line "copy to an online resource: $online" "$WORK/story.txt"
expect_line "copy while offline, at the next login: $offline" "$WORK/story.txt"
expect_line "errors at the sender: 0" "$WORK/story.txt"
stop_proxy
expect_line "copies sent 2; bounces swallowed $bounces" "$WORK/proxy.log"
echo "PASSED: $(basename "$0")${CAPABLE:+ CAPABLE=1}${STORE_GROUPCHAT:+ STORE_GROUPCHAT=1}"
