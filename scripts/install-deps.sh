#!/usr/bin/env bash
# Installs the Debian packages the project builds, tests and demos with.
# With the argument `guides`, also the servers of the insertion guides' checks; with `fuzz`,
# clang and libFuzzer for tests/fuzz.
# Idempotent: when every package is already installed it does nothing (no apt-get update).
set -euo pipefail

packages=(
  g++ make pkg-config clang-format
  libuv1-dev libexpat1-dev libstrophe-dev nlohmann-json3-dev doctest-dev
  libsqlite3-dev libidn-dev libspdlog-dev libcli11-dev libhttp-parser-dev
  prosody jabber-muc socat lua5.4 curl prometheus systemd valgrind
)
# `make guides` checks the insertion guides against more servers (deploy/guides).
if [[ "${1:-}" == guides ]]; then packages+=(ejabberd biboumi strace); fi
# tests/fuzz/run-framer.sh builds with clang's libFuzzer and sanitizers.
if [[ "${1:-}" == fuzz ]]; then packages+=(clang libclang-rt-14-dev); fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "installing Debian packages: ${missing[*]}"
# Others may be installing on this machine too: wait for their apt rather than fail.
lock_wait=(-o DPkg::Lock::Timeout=600)
$sudo apt-get "${lock_wait[@]}" update -qq
# The packages' own services (prosody, jabberd2, prometheus) must not start: tests start what they need.
made_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get "${lock_wait[@]}" install -y -qq --no-install-recommends "${missing[@]}"
if [[ $made_policy -eq 1 ]]; then $sudo rm -f /usr/sbin/policy-rc.d; fi
