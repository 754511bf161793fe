#!/usr/bin/env bash
# `make bench`: every figure of bench/RESULTS.md in one run, written to build/bench-report.md.
# BENCH_ROUNDS (default 3) and BENCH_SCALE (default 1; 0.1 for a quick look) tune it.
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${BENCH_ROUNDS:-3}
scale=${BENCH_SCALE:-1}
report=build/bench-report.md
status=0
{
  echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  local_changes=$(git status --porcelain -- lib cmd bench Makefile | grep -q . && echo " (plus local changes)")
  echo "- commit: $(git rev-parse --short HEAD)${local_changes:-}"
  echo "- machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p')), $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr); shared with other work while it ran"
  echo "- socat $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p'), $(valgrind --version 2>/dev/null)"
  echo "- command: \`make bench\` = \`build/bench-load suite --rounds $rounds --scale $scale\` then \`bench/callgrind.sh\`"
} | tee "$report"
build/bench-load suite --rounds "$rounds" --scale "$scale" | tee -a "$report"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
bash bench/callgrind.sh | tee -a "$report"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
echo
echo "report: $report$([[ $status -ne 0 ]] && echo ' (with failures)')"
exit $status
