#!/usr/bin/env bash
# Runs every doctest suite given, even after a failure, and ends with one line that counts
# test cases over all suites: "N passed, M failed, K skipped".
set -uo pipefail
passed=0 failed=0 skipped=0 status=0
for suite in "$@"; do
  echo "=== $suite"
  log=$(mktemp)
  "$suite" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  summary=$(grep -E '^\[doctest\] test cases:' "$log" | tail -n 1)
  rm -f "$log"
  if [[ -z "$summary" ]]; then
    echo "suite $suite printed no doctest summary (exit $rc): counted as one failure"
    failed=$((failed + 1)); status=1; continue
  fi
  p=$(sed -E 's/.*\| *([0-9]+) passed.*/\1/' <<<"$summary")
  f=$(sed -E 's/.*\| *([0-9]+) failed.*/\1/' <<<"$summary")
  s=$(sed -E 's/.*\| *([0-9]+) skipped.*/\1/' <<<"$summary")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [[ $rc -ne 0 ]]; then status=1; fi
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit $status
