#!/usr/bin/env bash
# deploy/guides/gateway-biboumi.md: a gateway component (biboumi, XMPP-IRC) behind the proxy on a
# link with the feature off. The proxy must pass it through unchanged: the gateway connects,
# and its disco#info answer through the proxy is byte for byte the one it gives directly.
cd "$(dirname "$0")/../.."
source tests/deploy/lib.sh
command -v biboumi >/dev/null || { echo "SKIPPED: biboumi is not installed (make guides installs it)"; exit 77; }

start_prosody_server irc.localhost secret

# start_biboumi NAME PORT: biboumi connecting to 127.0.0.1:PORT, identd off (port 113 needs root).
start_biboumi() {
  mkdir -p "$WORK/$1"
  cat >"$WORK/$1/biboumi.cfg" <<CFG
hostname=irc.localhost
password=secret
xmpp_server_ip=127.0.0.1
port=$2
db_name=$WORK/$1/biboumi.sqlite
identd_port=0
log_level=0
policy_directory=/etc/biboumi
CFG
  start "$1" biboumi "$WORK/$1/biboumi.cfg"
  wait_for 20 "$1's handshake" grep -q "Authenticated with the XMPP server" "$WORK/$1.log"
}

# Directly to Prosody first: the reference answer.
start_biboumi biboumi-direct "$COMPONENT_PORT"
probe disco-info irc.localhost >"$WORK/disco-direct.xml"
kill -TERM -- "-${pid_of[biboumi-direct]}"
wait_for 15 "biboumi (direct) to stop" process_gone "${pid_of[biboumi-direct]}"

# FEATURE_ON=1 keeps the feature on, to see what it would change for a gateway.
if [[ -n "${FEATURE_ON:-}" ]]; then
  start_proxy irc.localhost "$COMPONENT_PORT"
else
  start_proxy irc.localhost "$COMPONENT_PORT" ', "offline": {"enabled": false}'
fi
start_biboumi biboumi-proxied "$PROXY_PORT"
probe disco-info irc.localhost >"$WORK/disco-proxied.xml"
cat "$WORK/disco-proxied.xml"
expect_line "category=\"conference\"" "$WORK/disco-proxied.xml"
if [[ -n "${FEATURE_ON:-}" ]]; then
  # With the feature on, the proxy advertises offline delivery for the gateway: wrong for
  # IRC channels, hence "offline": {"enabled": false} on a gateway's link.
  expect_line 'var="http://tigase.org/protocol/muc#offline"' "$WORK/disco-proxied.xml"
elif cmp -s "$WORK/disco-direct.xml" "$WORK/disco-proxied.xml"; then
  echo "ok: disco#info through the proxy equals the direct answer"
else
  echo "FAILED: disco#info differs:" >&2; diff "$WORK/disco-direct.xml" "$WORK/disco-proxied.xml" >&2
  KEEP=1; exit 1
fi
echo "PASSED: $(basename "$0")${FEATURE_ON:+ (FEATURE_ON=1)}"
