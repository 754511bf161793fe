# Shared by the insertion guides' scripts (tests/deploy/*.sh): a temp dir, free loopback ports,
# processes started in their own process group and stopped on exit (only those), and waits
# on a condition with a deadline. Source it from the project root.
set -euo pipefail

PROXY=${MUC_OFFLINE_PROXY:-$PWD/build/muc-offline-proxy}
PROBE=${DEPLOY_PROBE:-$PWD/build/deploy-probe}
[[ -x "$PROXY" && -x "$PROBE" ]] || { echo "run 'make build' first ($PROXY, $PROBE)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/deploy-guide-XXXXXX)
chmod 755 "$WORK"
started_pids=()
declare -A pid_of

stop_started() {
  local pid
  for ((i = ${#started_pids[@]} - 1; i >= 0; i--)); do
    kill -TERM -- "-${started_pids[i]}" 2>/dev/null || true
  done
  for pid in "${started_pids[@]}"; do
    for _ in $(seq 50); do process_gone "$pid" && break; sleep 0.1; done
    # Whatever is left of the group (children that outlived their leader, a stuck leader).
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [[ -n "${KEEP:-}" ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap stop_started EXIT

# A port no socket uses now (the process that takes it is started right after), not one given
# before, and below Linux's default ephemeral range (32768-60999): a port in it can be taken by
# any outgoing connection before the server binds it (ejabberd once failed so, eaddrinuse).
# Callers run it in $(...), a subshell: the ports given are remembered in a file.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 12768))
    grep -qx "$port" "$WORK/ports-given" 2>/dev/null && continue
    ss -Htan "sport = :$port" | grep -q . && continue
    echo "$port" >>"$WORK/ports-given"
    echo "$port"
    return
  done
}

# start NAME COMMAND...: runs it in its own process group, output in $WORK/NAME.log.
start() {
  local name=$1; shift
  setsid "$@" >"$WORK/$name.log" 2>&1 &
  started_pids+=("$!")
  pid_of[$name]=$!
  echo "started $name (pid $!): $*"
}

# wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds, or fail naming it.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "FAILED: no $what within ${seconds}s; logs in $WORK:" >&2
      for log in "$WORK"/*.log; do echo "--- $log" >&2; tail -n 15 "$log" >&2; done
      KEEP=1
      exit 1
    fi
    sleep 0.1
  done
}

# A process that exited is a zombie until this shell reaps it; that counts as gone.
process_gone() { ! ps -o stat= -p "$1" | grep -qv Z; }

listening() { ss -Htln "sport = :$1" | grep -q .; }

# expect_line TEXT FILE: the check a guide's script makes, printed as it goes.
expect_line() {
  if grep -qF -- "$1" "$2"; then echo "ok: $1"; else
    echo "FAILED: expected '$1' in $2:" >&2; cat "$2" >&2; KEEP=1; exit 1
  fi
}

# Prosody as the server: c2s and the component port on loopback, users alice bob probe (pw).
# Usage: start_prosody_server COMPONENT_DOMAIN SECRET [capable]
# "capable" loads deploy/prosody/mod_groupchat_to_bare.lua (see deploy/guides/prosody.md).
start_prosody_server() {
  local component=$1 secret=$2 capable=${3:-}
  local plugins="" capable_module=""
  if [[ "$capable" == capable ]]; then
    plugins="plugin_paths = { \"$PWD/deploy/prosody\" }"
    capable_module=', "groupchat_to_bare"'
  fi
  C2S_PORT=$(free_port)
  COMPONENT_PORT=$(free_port)
  mkdir -p "$WORK/prosody"
  cat >"$WORK/prosody/prosody.cfg.lua" <<LUA
run_as_root = true -- these scripts run as root; a real server runs as the prosody user
pidfile = "$WORK/prosody/prosody.pid"
data_path = "$WORK/prosody"
certificates = "$WORK/prosody"
log = { info = "$WORK/prosody/prosody.log" }
$plugins
modules_enabled = { "roster", "saslauth", "disco", "ping", "posix"$capable_module }
modules_disabled = { "s2s" }
s2s_ports = { }; c2s_direct_tls_ports = { }; legacy_ssl_ports = { }
c2s_ports = { $C2S_PORT }; c2s_interfaces = { "127.0.0.1" }
c2s_require_encryption = false; allow_unencrypted_plain_auth = true
authentication = "internal_plain"

-- The component listener, as in deploy/guides/prosody.md.
component_ports = { $COMPONENT_PORT }
component_interfaces = { "127.0.0.1" }

VirtualHost "localhost"

Component "$component"
    component_secret = "$secret"
LUA
  for user in alice bob probe; do
    prosodyctl --config "$WORK/prosody/prosody.cfg.lua" register "$user" localhost pw
  done
  start prosody prosody -F --config "$WORK/prosody/prosody.cfg.lua"
  wait_for 15 "Prosody c2s listener" listening "$C2S_PORT"
  wait_for 15 "Prosody component listener" listening "$COMPONENT_PORT"
}

# ejabberd as the server: its own Erlang node on free loopback ports, without epmd, as the
# ejabberd user (Debian's ejabberdctl insists on it), with c2s and an ejabberd_service listener,
# users alice bob probe and those in EJABBERD_USERS (pw). EJABBERD_MODULES: more YAML lines for
# `modules:`. Usage: start_ejabberd_server COMPONENT_DOMAIN SECRET STORE_GROUPCHAT [capable]
# (STORE_GROUPCHAT: mod_offline's store_groupchat, true or false; "capable" compiles and loads
# deploy/ejabberd/mod_groupchat_to_bare.erl as deploy/guides/ejabberd.md gives it).
start_ejabberd_server() {
  local component=$1 secret=$2 store_groupchat=$3 capable=${4:-}
  C2S_PORT=$(free_port)
  COMPONENT_PORT=$(free_port)
  local dist_port user
  dist_port=$(free_port)
  EJABBERD_DIR="$WORK/ejabberd"
  local e=$EJABBERD_DIR
  mkdir -p "$e/spool" "$e/logs"
  chown ejabberd:ejabberd "$e/spool" "$e/logs"
  cat >"$e/ejabberd.yml" <<YML
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
      $component:
        password: $secret
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
${EJABBERD_MODULES:-}
YML
  cat >"$e/ejabberdctl.cfg" <<CFG
ERLANG_NODE=deployguide$dist_port@localhost
ERL_DIST_PORT=$dist_port
ERL_OPTIONS="-kernel inet_dist_use_interface {127,0,0,1}"
EJABBERD_PID_PATH=$e/spool/ejabberd.pid
CFG
  cp /etc/ejabberd/inetrc "$e/"
  if [[ "$capable" == capable ]]; then
    mkdir -p "$e/ebin"
    erlc -I "$(ls -d /usr/lib/erlang/lib/p1_xmpp-*/include | head -n 1)" \
      -pa "$(dirname "$(find /usr/lib -name ejabberd_sm.beam | head -n 1)")" \
      -o "$e/ebin" deploy/ejabberd/mod_groupchat_to_bare.erl
    echo "ERL_OPTIONS=\"\$ERL_OPTIONS -pa $e/ebin\"" >>"$e/ejabberdctl.cfg"
    echo "  mod_groupchat_to_bare: {}" >>"$e/ejabberd.yml"
  fi
  # As the ejabberd user, with its Erlang cookie in the spool dir (HOME).
  local as_ejabberd=(env HOME="$e/spool" setpriv --reuid=ejabberd --regid=ejabberd --init-groups
    /usr/sbin/ejabberdctl --config-dir "$e" --logs "$e/logs" --spool "$e/spool")
  start ejabberd "${as_ejabberd[@]}" foreground
  wait_for 60 "ejabberd's c2s listener" listening "$C2S_PORT"
  wait_for 10 "ejabberd's component listener" listening "$COMPONENT_PORT"
  for user in alice bob probe ${EJABBERD_USERS:-}; do
    (cd "$e/spool" && "${as_ejabberd[@]}" register "$user" localhost pw)
  done
}

# The proxy with one link: start_proxy DOMAIN UPSTREAM_PORT [extra top-level JSON, with a
# leading comma]. Sets PROXY_PORT.
start_proxy() {
  local domain=$1 upstream=$2 extra=${3:-}
  PROXY_PORT=$(free_port)
  cat >"$WORK/proxy.json" <<JSON
{
  "links": [{"domain": "$domain",
             "listen": {"host": "127.0.0.1", "port": $PROXY_PORT},
             "upstream": {"host": "127.0.0.1", "port": $upstream}}],
  "store": {"path": "${PROXY_DIR:-$WORK}/proxy.db"},
  "capture": "${PROXY_DIR:-$WORK}/capture.jsonl"$extra
}
JSON
  "$PROXY" check-config "$WORK/proxy.json" >/dev/null
  # PROXY_WRAPPER: a command to run the proxy under (tests/deploy/syscalls.sh uses strace).
  start proxy ${PROXY_WRAPPER:-} "$PROXY" run --config "$WORK/proxy.json"
  wait_for 10 "proxy listener" listening "$PROXY_PORT"
}

# mu-conference (jabber-muc) as the MUC, connecting to PORT: start_mu_conference DOMAIN PORT SECRET
start_mu_conference() {
  local domain=$1 port=$2 secret=$3
  mkdir -p "$WORK/muc/spool"
  cat >"$WORK/muc/muc.xml" <<XML
<jcr>
  <name>$domain</name>
  <host>$domain</host>
  <ip>127.0.0.1</ip>
  <port>$port</port>
  <secret>$secret</secret>
  <spool>$WORK/muc/spool/</spool>
  <logdir>$WORK/muc/</logdir>
  <logstderr/>
  <pidfile>$WORK/muc/muc.pid</pidfile>
  <loglevel>255</loglevel>
  <conference xmlns="jabber:config:conference">
    <public/>
    <vCard><FN>Rooms</FN></vCard>
    <history>20</history>
    <notice><join>has entered</join><leave>has left</leave><rename>is now known as</rename></notice>
  </conference>
</jcr>
XML
  # glibc's tcache off: mu-conference 0.8 double-frees when it reconnects (tests/e2e/README.md).
  start mu-conference env GLIBC_TUNABLES=glibc.malloc.tcache_count=0 \
    /usr/sbin/mu-conference -c "$WORK/muc/muc.xml"
}

# probe ARGS...: the guide's client check (build/deploy-probe), against the server's c2s port.
probe() { "$PROBE" --port "$C2S_PORT" --domain localhost --log-dir "$WORK" "$@"; }

# Prosody's own MUC as an external component ("Prosody B", tests/e2e/prosody/README.md),
# connecting to PORT: start_prosody_muc PORT SECRET
start_prosody_muc() {
  local port=$1 secret=$2
  mkdir -p "$WORK/prosody-muc"
  sed -e "s|@DATA_DIR@|$WORK/prosody-muc|g" -e "s|@PLUGIN_DIR@|$PWD/tests/e2e/prosody|g" \
    -e "s|@LINK_PORT@|$port|g" -e "s|@SECRET@|$secret|g" \
    -e "s|@ALLOW_UNAFFILIATED_REGISTER@|true|g" \
    tests/e2e/prosody/muc.cfg.lua.template >"$WORK/prosody-muc/muc.cfg.lua"
  start prosody-muc prosody -F --config "$WORK/prosody-muc/muc.cfg.lua"
}

# Stops the proxy with SIGTERM and waits: it logs its counters ("copies sent N; bounces
# swallowed M") on the way out.
stop_proxy() {
  local pid=${pid_of[proxy]}
  kill -TERM -- "-$pid"
  wait_for 15 "proxy exit after SIGTERM" process_gone "$pid"
}

# The proxy (standalone registration) between the running server's component port and
# mu-conference, then the probe's offline story in lobby@conference.localhost; leaves what it
# printed in $WORK/story.txt for the caller's checks of what the server did with the copies.
# Usage: mu_conference_story_through_the_proxy [more proxy JSON, with a leading comma]
#        [offline-story options...]
mu_conference_story_through_the_proxy() {
  local extra=${1:-}
  shift || true
  start_proxy conference.localhost "$COMPONENT_PORT" ', "registration": "standalone"'"$extra"
  start_mu_conference conference.localhost "$PROXY_PORT" secret
  wait_for 30 "mu-conference handshake through the proxy" \
    grep -q "<handshake> received" "$WORK/mu-conference.log"

  probe disco-info conference.localhost >"$WORK/disco.xml"
  expect_line "http://jabber.org/protocol/muc" "$WORK/disco.xml"

  probe offline-story "$@" lobby@conference.localhost | tee "$WORK/story.txt"
  expect_line "registration form offers the offline field: yes" "$WORK/story.txt"
}
