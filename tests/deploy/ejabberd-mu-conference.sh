#!/usr/bin/env bash
# deploy/guides/ejabberd.md: ejabberd as the server (an ejabberd_service listener), the proxy in
# front of it, mu-conference pointed at the proxy (ejabberd started by lib.sh).
# STORE_GROUPCHAT=1 sets mod_offline's store_groupchat: true. CAPABLE=1 compiles and loads
# deploy/ejabberd/mod_groupchat_to_bare.erl, which delivers the copies instead of bouncing them.
cd "$(dirname "$0")/../.."
source tests/deploy/lib.sh
command -v ejabberdctl >/dev/null || { echo "SKIPPED: ejabberd is not installed (make guides installs it)"; exit 77; }

store_groupchat=false
[[ -z "${STORE_GROUPCHAT:-}" ]] || store_groupchat=true
start_ejabberd_server conference.localhost secret "$store_groupchat" ${CAPABLE:+capable}

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
