#!/usr/bin/env bash
# Checks the unit's SystemCallFilter= against what the proxy really calls: the proxy runs under
# strace through a whole offline-delivery story (start, store open and commits on the thread
# pool, relaying, copies, bounces, SIGTERM shutdown), and every system call it made must be in
# @system-service minus @privileged and @resources, plus sched_setattr, as deploy/systemd/
# allows, and every socket it opened of a family RestrictAddressFamilies= allows.
cd "$(dirname "$0")/../.."
source tests/deploy/lib.sh
command -v strace >/dev/null || { echo "SKIPPED: strace is not installed"; exit 77; }

# The names in a systemd syscall group, nested groups expanded.
expand_group() {
  systemd-analyze syscall-filter "$1" | tail -n +2 | sed 's/^ *//' | grep -v '^#' | grep . |
    while read -r entry; do
      if [[ "$entry" == @* ]]; then expand_group "$entry"; else echo "$entry"; fi
    done
}
expand_group @system-service | sort -u >"$WORK/allowed.txt"
expand_group @privileged | sort -u >"$WORK/privileged.txt"
expand_group @resources | sort -u >"$WORK/resources.txt"
sort -u "$WORK/privileged.txt" "$WORK/resources.txt" >"$WORK/denied.txt"
# The unit allows sched_setattr back (scheduling.slice_us); it must say so.
grep -qx 'SystemCallFilter=sched_setattr' deploy/systemd/muc-offline-proxy.service.in ||
  { echo "FAILED: the unit no longer allows sched_setattr" >&2; exit 1; }
{ comm -23 "$WORK/allowed.txt" "$WORK/denied.txt"; echo sched_setattr; } | sort -u >"$WORK/permitted.txt"

start_prosody_server conference.localhost secret
# As an unprivileged user, like the unit: SQLite, for one, calls fchown only as root.
PROXY_DIR="$WORK/state"
install -d -o nobody -g nogroup "$PROXY_DIR"
PROXY_WRAPPER="strace -f -qq -o $WORK/strace.out setpriv --reuid=nobody --regid=nogroup --clear-groups" \
  start_proxy conference.localhost "$COMPONENT_PORT" ', "registration": "standalone"'
start_mu_conference conference.localhost "$PROXY_PORT" secret
wait_for 30 "mu-conference handshake through the proxy" \
  grep -q "<handshake> received" "$WORK/mu-conference.log"
probe offline-story lobby@conference.localhost >"$WORK/story.txt"
expect_line "bob opted in" "$WORK/story.txt"

# SIGTERM to the proxy alone (strace's child, setpriv having exec'd it), so strace sees the
# whole shutdown.
tracer=${pid_of[proxy]}
proxy_pid=$(ps -o pid= --ppid "$tracer" | tr -d ' ')
kill -TERM "$proxy_pid"
wait_for 15 "strace to finish" process_gone "$tracer"
expect_line "stopped" "$WORK/proxy.log"

# From the proxy's execve on: setpriv's own calls before it are not the proxy's.
sed -n '/execve(".*muc-offline-proxy"/,$p' "$WORK/strace.out" |
  sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' | sort -u >"$WORK/used.txt"
echo "system calls the proxy made: $(wc -l <"$WORK/used.txt")"
outside=$(comm -23 "$WORK/used.txt" "$WORK/permitted.txt")
if [[ -n "$outside" ]]; then
  echo "FAILED: outside the unit's SystemCallFilter: $outside" >&2; KEEP=1; exit 1
fi
echo "ok: every one is allowed by @system-service ~@privileged ~@resources +sched_setattr"
# As the unprivileged user, the slice request was taken, not refused.
if grep -q "refused to change the loop thread's scheduling slice" "$WORK/proxy.log"; then
  echo "FAILED: the slice request was refused: $(grep -m1 'scheduling slice' "$WORK/proxy.log")" >&2
  KEEP=1; exit 1
fi
if ! grep -q -e "scheduling slice" -e "does not take slice requests" "$WORK/proxy.log"; then
  echo "FAILED: no line on the scheduling slice in $WORK/proxy.log" >&2; KEEP=1; exit 1
fi
echo "ok: $(grep -m1 -e 'scheduling slice' -e 'slice requests' "$WORK/proxy.log")"
families=$(sed -n '/execve(".*muc-offline-proxy"/,$p' "$WORK/strace.out" |
  sed -nE 's/.* socket\((AF_[A-Z0-9]+),.*/\1/p' | sort -u | tr '\n' ' ')
echo "socket families: $families"
for family in $families; do
  case $family in AF_INET | AF_INET6 | AF_UNIX) ;; *)
    echo "FAILED: $family is outside RestrictAddressFamilies=" >&2; KEEP=1; exit 1 ;;
  esac
done
echo "PASSED: $(basename "$0")"
