#!/usr/bin/env bash
# deploy/guides/prosody-external-muc.md, with mu-conference (jabber-muc) as the MUC:
# Prosody's component port, the proxy in front of it, mu-conference pointed at the proxy.
# CAPABLE=1 loads deploy/prosody/mod_groupchat_to_bare.lua into Prosody (copies delivered);
# without it Prosody is stock (copies bounce, the proxy swallows the errors).
cd "$(dirname "$0")/../.."
source tests/deploy/lib.sh

start_prosody_server conference.localhost secret ${CAPABLE:+capable}
mu_conference_story_through_the_proxy
if [[ -n "${CAPABLE:-}" ]]; then
  expect_line "copy to an online resource: delivered" "$WORK/story.txt"
  expect_line "copy while offline, at the next login: delivered" "$WORK/story.txt"
else
  expect_line "copy to an online resource: not delivered" "$WORK/story.txt"
  expect_line "copy while offline, at the next login: not delivered" "$WORK/story.txt"
fi
expect_line "errors at the sender: 0" "$WORK/story.txt"
stop_proxy
# Occupant sessions are written behind; after a graceful stop the store has everything.
"$PROXY" state list --store "$WORK/proxy.db" | tee "$WORK/state.txt"
expect_line "registration lobby@conference.localhost bob@localhost nick=bob offline=yes delivery=copies (absent)" "$WORK/state.txt"
if [[ -n "${CAPABLE:-}" ]]; then
  expect_line "copies sent 2; bounces swallowed 0" "$WORK/proxy.log"
else
  expect_line "copies sent 2; bounces swallowed 2" "$WORK/proxy.log"
fi
echo "PASSED: $(basename "$0")${CAPABLE:+ (CAPABLE=1)}"
