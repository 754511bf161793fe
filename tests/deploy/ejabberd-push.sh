#!/usr/bin/env bash
# deploy/guides/ejabberd.md, "Pushes": what ejabberd 23.01's mod_push (XEP-0357) does with the
# proxy's copies and notices. ejabberd as in ejabberd-mu-conference.sh plus mod_stream_mgmt and
# mod_push (summaries with sender and body); build/deploy-probe plays the push service
# (push@localhost/service, accepts every publish and prints it) and, in the offline story, bob's
# phone enables push to node bob-node before it opts in; once bob is offline alice also sends him
# a chat message, the yardstick every variant must see pushed.
# Variants: none: stock ejabberd, copies. CAPABLE=1: with deploy/ejabberd/mod_groupchat_to_bare.erl
# and mod_offline's store_groupchat. DELIVERY=notice or DELIVERY=auto: the proxy's
# offline.delivery, stock ejabberd (skipped while the built proxy does not know the key).
# HIBERNATED=1 (with copies or DELIVERY=notice): before the story bob's tablet enables stream
# management and push and vanishes, so ejabberd holds its session for a resumption, as for a
# suspended phone app.
cd "$(dirname "$0")/../.."
source tests/deploy/lib.sh
command -v ejabberdctl >/dev/null || { echo "SKIPPED: ejabberd is not installed (make guides installs it)"; exit 77; }
if [[ -n "${HIBERNATED:-}" && "${DELIVERY:-}" == auto ]]; then
  echo "HIBERNATED=1 is a variant of the copies and of DELIVERY=notice, not of auto" >&2
  exit 2
fi

delivery=${DELIVERY:-}
proxy_json=""
if [[ -n "$delivery" ]]; then
  # Every message its own notice: the story's two messages come seconds apart.
  proxy_json=', "offline": {"delivery": "'"$delivery"'", "notice": {"min_interval_s": 0}}'
  cat >"$WORK/delivery-check.json" <<JSON
{"links": [{"domain": "conference.localhost", "listen": {"host": "127.0.0.1", "port": 1},
            "upstream": {"host": "127.0.0.1", "port": 2}}]$proxy_json}
JSON
  if ! "$PROXY" check-config "$WORK/delivery-check.json" >"$WORK/delivery-check.log" 2>&1; then
    if grep -q "unknown key" "$WORK/delivery-check.log"; then
      echo "SKIPPED: this proxy has no offline.delivery: $(grep -m 1 "unknown key" "$WORK/delivery-check.log")"
      exit 77
    fi
    cat "$WORK/delivery-check.log" >&2
    exit 1
  fi
fi

store_groupchat=false
[[ -z "${CAPABLE:-}" ]] || store_groupchat=true
EJABBERD_USERS=push
# mod_push's defaults leave the sender out and put "New message" as the body; both on, each
# publish says which message it is for.
EJABBERD_MODULES='  mod_stream_mgmt: {}
  mod_push:
    include_sender: true
    include_body: true'
start_ejabberd_server conference.localhost secret "$store_groupchat" ${CAPABLE:+capable}

start push-service "$PROBE" --port "$C2S_PORT" --domain localhost --log-dir "$WORK" push-service
wait_for 15 "push service login" grep -q "push service online" "$WORK/push-service.log"
control_node=bob-node
if [[ -n "${HIBERNATED:-}" ]]; then
  probe hibernate --push-jid push@localhost/service --push-node tablet-node | tee "$WORK/hibernate.txt"
  expect_line "bob's tablet enabled push: result" "$WORK/hibernate.txt"
  # mod_stream_mgmt logs this when it keeps a session whose connection broke.
  wait_for 15 "bob's tablet's session held for resumption" grep -q \
    "Closing c2s connection for bob@localhost/tablet: .*waiting [0-9]* seconds for stream resumption" \
    "$EJABBERD_DIR/logs/ejabberd.log"
  echo "ok: bob's tablet is hibernated"
  # The held session counts as present: alice's chat goes to it, not to offline storage.
  control_node=tablet-node
fi

mu_conference_story_through_the_proxy "$proxy_json" --push-jid push@localhost/service
expect_line "bob's phone enabled push: result" "$WORK/story.txt"
expect_line "alice sent bob a chat message while he is offline" "$WORK/story.txt"
expect_line "errors at the sender: 0" "$WORK/story.txt"
# ejabberd publishes while routing a message, and alice's chat went out after the story had
# waited 3 s on each of alice's room messages: once its push is in, any push for those is too.
wait_for 15 "a push for alice's chat message" \
  grep -qF "last-message-sender=alice@localhost/desk last-message-body=a chat message while bob is offline" \
  "$WORK/push-service.log"
stop_proxy

room=lobby@conference.localhost
offline_push="publish node=bob-node last-message-sender=$room/alice last-message-body=while bob is offline"
# alice's texts name bob, whose registered nick is bob: the proxy words those notices as mentions.
online_notice="alice mentioned you in $room: while bob's laptop is online"
offline_notice="alice mentioned you in $room: while bob is offline"
notice_push="publish node=bob-node last-message-sender=$room last-message-body=$offline_notice"
expect_line "publish node=$control_node last-message-sender=alice@localhost/desk last-message-body=a chat message while bob is offline" \
  "$WORK/push-service.log"
case "$delivery" in
  "")
    if [[ -n "${HIBERNATED:-}" && -n "${CAPABLE:-}" ]]; then
      # The module hands each copy to bob's resources of highest priority, the held tablet
      # among them: mod_push's c2s_handle_send handler publishes whatever reaches a session in
      # stream management's pending state. The laptop, back, finds nothing stored: the copy
      # for the offline step went to the tablet's queue.
      online=delivered offline="not delivered" bounces=0 pushes=3
      expect_line "publish node=tablet-node last-message-sender=$room/alice last-message-body=while bob's laptop is online" \
        "$WORK/push-service.log"
      expect_line "publish node=tablet-node last-message-sender=$room/alice last-message-body=while bob is offline" \
        "$WORK/push-service.log"
    elif [[ -n "${CAPABLE:-}" ]]; then
      # The module hands the copy for an offline bob to offline_message_hook: mod_offline stores
      # it (store_groupchat) and answers {offlined, Msg}, which mod_push's handler (after
      # mod_offline's) publishes. The copy to the online laptop reaches a live session: no push.
      online=delivered offline=delivered bounces=0 pushes=2
      expect_line "$offline_push" "$WORK/push-service.log"
    else
      # Stock ejabberd_sm:do_route/1 hands a groupchat message to a bare JID to the
      # bounce_sm_packet hook and nothing else; mod_push hooks offline_message_hook,
      # c2s_handle_send (a stream-management session waiting for its client) and
      # store_mam_message, none of which such a message reaches: a bounced copy never pushes,
      # whether bob is online, offline or held for resumption (HIBERNATED=1).
      online="not delivered" offline="not delivered" bounces=2 pushes=1
    fi
    expect_line "copy to an online resource: $online" "$WORK/story.txt"
    expect_line "copy while offline, at the next login: $offline" "$WORK/story.txt"
    expect_line "copies sent 2; bounces swallowed $bounces" "$WORK/proxy.log"
    ;;
  notice)
    expect_line "copy to an online resource: not delivered" "$WORK/story.txt"
    expect_line "notice to an online resource: type=chat delayed=no body=$online_notice" "$WORK/story.txt"
    if [[ -n "${HIBERNATED:-}" ]]; then
      # route_message gives a chat message to bob's resources of highest priority, the held
      # tablet among them: c2s_handle_send publishes both notices from its session. The second
      # waits in the tablet's queue, not in offline storage: the laptop, back, does not get it.
      pushes=3
      expect_line "notice while offline, at the next login: none" "$WORK/story.txt"
      expect_line "publish node=tablet-node last-message-sender=$room last-message-body=$online_notice" \
        "$WORK/push-service.log"
      expect_line "publish node=tablet-node last-message-sender=$room last-message-body=$offline_notice" \
        "$WORK/push-service.log"
    else
      # A notice is a chat message: ejabberd delivers it to the online laptop (no push), and for
      # an offline bob route_message runs offline_message_hook: mod_offline stores it
      # (no-permanent-store is not one of the hints it reads) and mod_push publishes it.
      pushes=2
      expect_line "notice while offline, at the next login: type=chat delayed=yes body=$offline_notice" \
        "$WORK/story.txt"
      expect_line "$notice_push" "$WORK/push-service.log"
    fi
    expect_line "copies sent 0; bounces swallowed 0" "$WORK/proxy.log"
    expect_line "notices sent 2; notices suppressed 0; members switched to notices 0" "$WORK/proxy.log"
    ;;
  auto)
    # The first copy bounces as in the stock variant (no push); its service-unavailable
    # switches bob to notices, and the next message is stored and pushed as a notice.
    pushes=2
    expect_line "copy to an online resource: not delivered" "$WORK/story.txt"
    expect_line "notice to an online resource: none" "$WORK/story.txt"
    expect_line "copy while offline, at the next login: not delivered" "$WORK/story.txt"
    expect_line "notice while offline, at the next login: type=chat delayed=yes body=$offline_notice" \
      "$WORK/story.txt"
    expect_line "$notice_push" "$WORK/push-service.log"
    expect_line "offline delivery to bob@localhost switched to notices: its server refused a copy (service-unavailable)" \
      "$WORK/proxy.log"
    expect_line "copies sent 1; bounces swallowed 1" "$WORK/proxy.log"
    expect_line "notices sent 1; notices suppressed 0; members switched to notices 1" "$WORK/proxy.log"
    ;;
  *) echo "DELIVERY must be notice or auto, not '$delivery'" >&2; exit 2 ;;
esac
# No push for a message beyond those expected. A session held for resumption also gets pushes
# without a summary, for the presences and iq answers that reach it; those are shown, not counted.
grep '^publish ' "$WORK/push-service.log" | sed 's/^/push: /'
echo "pushes for a message: $(grep -c '^publish .*last-message-body=' "$WORK/push-service.log")" \
  >"$WORK/pushes.txt"
expect_line "pushes for a message: $pushes" "$WORK/pushes.txt"
echo "PASSED: $(basename "$0")${HIBERNATED:+ HIBERNATED=1}${CAPABLE:+ CAPABLE=1}${DELIVERY:+ DELIVERY=$DELIVERY}"
