#!/usr/bin/env bash
# Prints -DHAVE_XML_SET_REPARSE_DEFERRAL when expat.h (as the given compiler and flags see it)
# declares XML_SetReparseDeferralEnabled, and nothing otherwise. Debian 12's expat gained it in
# a point release (2.5.0-1+deb12u2); an expat without it has no reparse deferral, so there is
# nothing to turn off. Usage: expat-probe.sh COMPILER [FLAGS...]
set -uo pipefail
compiler="$1"; shift
probe='#include <expat.h>
int main() { return XML_SetReparseDeferralEnabled(nullptr, XML_FALSE) ? 0 : 1; }'
if printf '%s\n' "$probe" | "$compiler" -x c++ -fsyntax-only "$@" - >/dev/null 2>&1; then
  echo "-DHAVE_XML_SET_REPARSE_DEFERRAL"
fi
