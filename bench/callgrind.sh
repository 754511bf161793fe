#!/usr/bin/env bash
# Instructions the proxy executes per relayed stanza and per injected copy, from
# `valgrind --tool=callgrind` (stable on a noisy machine). Each case runs twice with different
# stanza counts; the difference of the totals divided by the difference of the counts leaves
# out start-up, state loading and shutdown. BENCH_PROXY=path measures another build of the proxy
# (e.g. an older commit's, for a before/after in one sitting).
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/muc-offline-proxy-callgrind-XXXXXX)
trap 'rm -rf "$work"' EXIT

total_ir() {  # callgrind output file -> total instructions
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$1" | head -n 1
}

# measure NAME UNIT DIVISOR_PER_COUNT COUNT1 COUNT2 ARGS...
measure() {
  local name=$1 unit=$2 per=$3 n1=$4 n2=$5
  shift 5
  local ir=()
  for n in "$n1" "$n2"; do
    local out="$work/cg.$n"
    if ! BENCH_PROXY_PREFIX="valgrind --tool=callgrind --callgrind-out-file=$out" \
      build/bench-load one --count "$n" --proxy "${BENCH_PROXY:-build/muc-offline-proxy}" "$@" \
      >"$work/log" 2>&1; then
      echo "| $name | failed: $(tail -n 3 "$work/log" | tr '\n' ' ') | |"
      return 1
    fi
    ir+=("$(total_ir "$out")")
  done
  awk -v a="${ir[0]}" -v b="${ir[1]}" -v n1="$n1" -v n2="$n2" -v per="$per" -v name="$name" -v unit="$unit" \
    'BEGIN { printf "| %s | %.0f | %s |\n", name, (b - a) / ((n2 - n1) * per), unit }'
}

echo
echo "### Instructions (callgrind), proxy only"
echo
echo "| case | instructions | per |"
echo "|---|---|---|"
status=0
measure "MUC → server broadcasts, feature off" "relayed stanza" 1 20000 40000 --relay off --flow to-server || status=1
measure "server → MUC client traffic, feature off" "relayed stanza" 1 20000 40000 --relay off --flow to-muc || status=1
measure "MUC → server broadcasts, feature on, 1,000 rooms, 100,000 registrations, 10,000 sessions (incl. 1 copy per 12 stanzas)" "relayed stanza" 1 20000 40000 --relay on --flow to-server || status=1
measure "server → MUC client traffic, feature on, same state" "relayed stanza" 1 20000 40000 --relay on --flow to-muc || status=1
measure "fan-out, K = 1,000 (incl. the message itself)" "injected copy" 1000 20 40 --relay on --flow fanout --fanout 1000 || status=1
measure "fan-out, K = 10,000 (incl. the message itself)" "injected copy" 10000 4 8 --relay on --flow fanout --fanout 10000 || status=1
measure "fan-out, K = 10, per message (the message and its 10 copies)" "message" 1 200 400 --relay on --flow fanout --fanout 10 || status=1
measure "the same with 10,000 more members registered, not opted in" "message" 1 200 400 --relay on --flow fanout --fanout 10 --bystanders 10000 || status=1
exit $status
