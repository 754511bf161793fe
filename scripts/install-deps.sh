#!/usr/bin/env bash
# Installs the Debian packages the project builds, tests and demos with, and upgrades those
# installed at a version older than the project needs (a machine may hold an older point
# release: "installed" is not "new enough").
# With the argument `guides`, also the servers of the insertion guides' checks; with `fuzz`,
# clang and libFuzzer for tests/fuzz. With `--plan` (first argument), prints what it would
# install or upgrade and changes nothing.
# Idempotent: when every package is installed and new enough it does nothing (no apt-get update).
set -euo pipefail

plan_only=0
if [[ "${1:-}" == --plan ]]; then plan_only=1; shift; fi

packages=(
  g++ make pkg-config clang-format
  libuv1-dev libexpat1-dev libstrophe-dev nlohmann-json3-dev doctest-dev
  libsqlite3-dev libidn-dev libspdlog-dev libcli11-dev libhttp-parser-dev
  prosody jabber-muc socat lua5.4 curl prometheus systemd valgrind
  # mod_cloud_notify (XEP-0357 push) for the e2e push tests; Debian puts it under
  # /usr/lib/prosody/modules/mod_cloud_notify/, beside Prosody's own modules.
  prosody-modules
)
# `make guides` checks the insertion guides against more servers (deploy/guides).
if [[ "${1:-}" == guides ]]; then packages+=(ejabberd biboumi strace); fi
# tests/fuzz/run-framer.sh builds with clang's libFuzzer and sanitizers.
if [[ "${1:-}" == fuzz ]]; then packages+=(clang libclang-rt-14-dev); fi

# The oldest version we accept where Debian 12's point releases differ in what we rely on.
# An installed package older than this is upgraded to the newest Debian offers.
declare -A minimum=(
  # The XML parser faces strangers on the federation: deb12u2 brought the reparse-deferral API
  # (lib/xml turns it off) and the fixes for CVE-2023-52425 and CVE-2024-28757.
  [libexpat1-dev]=2.5.0-1+deb12u2
  [libexpat1]=2.5.0-1+deb12u2
  # deb12u1 fixes uv_getaddrinfo's truncation of long host names (CVE-2024-24806).
  [libuv1-dev]=1.44.2-1+deb12u1
  [libuv1]=1.44.2-1+deb12u1
)
for p in "${!minimum[@]}"; do
  [[ " ${packages[*]} " == *" $p "* ]] || packages+=("$p")
done

missing=()
outdated=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$p")
    continue
  fi
  need="${minimum[$p]:-}"
  [[ -n "$need" ]] || continue
  have=$(dpkg-query -W -f='${Version}' "$p")
  if dpkg --compare-versions "$have" lt "$need"; then outdated+=("$p ($have, need >= $need)"); fi
done

if [[ ${#missing[@]} -eq 0 && ${#outdated[@]} -eq 0 ]]; then
  [[ $plan_only -eq 1 ]] && echo "nothing to install or upgrade"
  exit 0
fi
[[ ${#missing[@]} -gt 0 ]] && echo "installing Debian packages: ${missing[*]}"
[[ ${#outdated[@]} -gt 0 ]] && echo "upgrading Debian packages older than needed: ${outdated[*]}"
if [[ $plan_only -eq 1 ]]; then exit 0; fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
to_install=("${missing[@]}")
for entry in "${outdated[@]}"; do to_install+=("${entry%% *}"); done
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
DEBIAN_FRONTEND=noninteractive $sudo apt-get "${lock_wait[@]}" install -y -qq --no-install-recommends "${to_install[@]}"
if [[ $made_policy -eq 1 ]]; then $sudo rm -f /usr/sbin/policy-rc.d; fi

# apt installs the candidate; say so if that is still too old (a mirror without the update).
for entry in "${outdated[@]}"; do
  p="${entry%% *}"
  have=$(dpkg-query -W -f='${Version}' "$p")
  if dpkg --compare-versions "$have" lt "${minimum[$p]}"; then
    echo "error: $p is at $have after the upgrade; the project needs >= ${minimum[$p]}" >&2
    echo "       (is bookworm-updates or bookworm-security missing from the apt sources?)" >&2
    exit 1
  fi
done
