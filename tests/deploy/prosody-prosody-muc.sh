#!/usr/bin/env bash
# deploy/guides/prosody-external-muc.md, with Prosody's own MUC running as a separate process
# (tests/e2e/prosody: mod_muc linked out over XEP-0114) and the proxy in augment mode: the
# MUC's registration form gains the offline field. Prosody (the server) loads the capable
# module so copies are delivered (CAPABLE is implied).
cd "$(dirname "$0")/../.."
source tests/deploy/lib.sh

start_prosody_server conference.localhost secret capable
start_proxy conference.localhost "$COMPONENT_PORT"
start_prosody_muc "$PROXY_PORT" secret
wait_for 30 "the MUC's link up through the proxy" \
  grep -q "Component link up" "$WORK/prosody-muc/prosody-b.log"

probe disco-info conference.localhost >"$WORK/disco.xml"
expect_line "http://jabber.org/protocol/muc" "$WORK/disco.xml"

probe offline-story lobby@conference.localhost | tee "$WORK/story.txt"
expect_line "registration form offers the offline field: yes" "$WORK/story.txt"
expect_line "copy to an online resource: delivered" "$WORK/story.txt"
expect_line "copy while offline, at the next login: delivered" "$WORK/story.txt"
expect_line "errors at the sender: 0" "$WORK/story.txt"
stop_proxy
expect_line "copies sent 2; bounces swallowed 0" "$WORK/proxy.log"
echo "PASSED: $(basename "$0")"
