#!/usr/bin/env bash
# Builds the framer's differential fuzz target with clang, libFuzzer and the address and
# undefined-behaviour sanitizers, seeds it with the captures' stanzas, and runs it.
# Usage: tests/fuzz/run-framer.sh [seconds] [libFuzzer options...]   (default 60 s)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
bash scripts/install-deps.sh fuzz
out=build/fuzz
mkdir -p "$out/corpus"
flags="-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Ilib -Itests/unit"
srcs="tests/fuzz/framer_differential_fuzz.cpp tests/unit/support/framer_differential.cpp
      lib/xml/framer.cpp lib/xml/stanza_scanner.cpp lib/xml/tokens.cpp lib/xml/element_view.cpp"
# The framer turns expat's reparse deferral off where expat has it, as the Makefile's build does.
# shellcheck disable=SC2046
defines=$(bash scripts/expat-probe.sh clang++ $(pkg-config --cflags expat))
# shellcheck disable=SC2086,SC2046
clang++ $flags $defines $srcs $(pkg-config --cflags --libs expat) -o "$out/framer-differential"
# Seeds: one file per captured chunk of traffic, the header left out (the target adds one).
python3 - "$out/corpus" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
n = 0
for f in sorted(pathlib.Path("tests/replay/captures").rglob("*.jsonl")):
    if f.name.endswith(".clients.jsonl"):
        continue
    for line in f.read_text().splitlines():
        data = json.loads(line)["data"]
        if "<stream:stream" in data:
            continue
        (out / f"seed-{n}").write_bytes(bytes([n % 256]) + data.encode())
        n += 1
PY
exec "$out/framer-differential" -max_total_time="$seconds" -max_len=4096 -artifact_prefix="$out/" \
    -dict=tests/fuzz/xml.dict "$@" "$out/corpus"
