#!/usr/bin/env bash
# Checks that every source folder includes only what its README says it depends on, so the
# direction cmd → net, store, config, replay → offline → xmpp → xml cannot be broken quietly.
# A folder's README.md states it in two lines:
#   Includes: lib/xmpp, lib/xml            (or: Includes: nothing from lib/)
#   Never includes: <uv.h>, <sqlite3.h>    (optional: system headers it must not use)
# A folder's own headers are always allowed. The declared graph must also be acyclic.
# Usage: check-layers.sh [ROOT] (default: the project root). Exit 1 on any violation.
set -uo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2
status=0
edges=()
folders=0
checked=0
for readme in lib/*/README.md cmd/*/README.md; do
  [[ -f "$readme" ]] || continue
  dir=$(dirname "$readme")
  own=$(basename "$dir")
  line=$(grep -m1 '^Includes:' "$readme" || true)
  if [[ -z "$line" ]]; then
    echo "$readme: no 'Includes:' line (say which lib/ folders $dir may include)"
    status=1
    continue
  fi
  folders=$((folders + 1))
  allowed=" $own "
  if [[ "$line" != *"nothing from lib/"* ]]; then
    for dep in $(grep -o 'lib/[a-z_]*' <<<"$line"); do
      allowed+="${dep#lib/} "
      edges+=("$own ${dep#lib/}")
    done
  fi
  never=$(grep -m1 '^Never includes:' "$readme" | grep -o '<[^>]*>' || true)
  for source in "$dir"/*.cpp "$dir"/*.hpp; do
    [[ -f "$source" ]] || continue
    while IFS=: read -r number text; do
      checked=$((checked + 1))
      if [[ "$text" =~ ^#include\ \"([a-z_]+)/ ]]; then
        folder=${BASH_REMATCH[1]}
        if [[ -d "lib/$folder" && "$allowed" != *" $folder "* ]]; then
          echo "$source:$number includes lib/$folder, which $readme does not list (Includes:$(sed 's/^Includes://' <<<"$line"))"
          status=1
        fi
      elif [[ "$text" =~ ^#include\ (\<[^\>]+\>) ]]; then
        header=${BASH_REMATCH[1]}
        if [[ -n "$never" ]] && grep -qxF "$header" <<<"$never"; then
          echo "$source:$number includes $header, which $readme forbids (Never includes)"
          status=1
        fi
      fi
    done < <(grep -n '^#include' "$source")
  done
done
# The declared dependencies must point one way: tsort reports a cycle.
if [[ ${#edges[@]} -gt 0 ]]; then
  if ! cycle=$(printf '%s\n' "${edges[@]}" | tsort 2>&1 >/dev/null) || [[ -n "$cycle" ]]; then
    echo "the folders' Includes: lines form a cycle: $(tr '\n' ' ' <<<"$cycle")"
    status=1
  fi
fi
if [[ $status -eq 0 ]]; then
  echo "layers: $folders folders, $checked includes, each in the direction its README states"
fi
exit $status
