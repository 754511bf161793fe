#!/usr/bin/env bash
# Rewrites the expectation files from the current replays, keeping each file's leading
# comment block (the story and the named differences from the reference). Review the diff
# before committing: an expectation is a claim about behaviour, not a snapshot to refresh.
set -euo pipefail
cd "$(dirname "$0")/../.."
proxy=build/muc-offline-proxy
for capture in tests/replay/captures/*/*.jsonl; do
  case "$capture" in *.clients.jsonl) continue ;; esac
  impl=$(basename "$(dirname "$capture")")
  scenario=$(basename "$capture" .jsonl)
  expected="tests/replay/expected/$impl/$scenario.txt"
  config=()
  # A scenario's own config (tests/replay/configs/<impl>/<scenario>.json), else the folder's.
  if [[ -f "tests/replay/configs/$impl/$scenario.json" ]]; then
    config=(--config "tests/replay/configs/$impl/$scenario.json")
  elif [[ -f "tests/replay/configs/$impl.json" ]]; then
    config=(--config "tests/replay/configs/$impl.json")
  fi
  mkdir -p "$(dirname "$expected")"
  header=""
  [[ -f "$expected" ]] && header=$(sed -n '/^[^#]/q;p' "$expected")
  { [[ -n "$header" ]] && printf '%s\n' "$header"; "$proxy" replay "$capture" "${config[@]}"; } > "$expected.new"
  mv "$expected.new" "$expected"
done
