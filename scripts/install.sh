#!/usr/bin/env bash
# `make install`: copies the built proxy, its systemd unit and sysusers entry, and the operator's
# docs under DESTDIR/PREFIX. It writes nothing in /etc and creates no user, so it suits package
# builds (DESTDIR=...) as well as a machine (see deploy/README.md for the steps after it).
set -euo pipefail

binary=${1:?usage: install.sh BUILT_BINARY}
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
BINDIR=${BINDIR:-$PREFIX/bin}
DOCDIR=${DOCDIR:-$PREFIX/share/doc/muc-offline-proxy}
# systemd reads units and sysusers.d files under /usr/local/lib too (systemd.unit(5)).
UNITDIR=${UNITDIR:-$PREFIX/lib/systemd/system}
SYSUSERSDIR=${SYSUSERSDIR:-$PREFIX/lib/sysusers.d}

for dir in "$PREFIX" "$BINDIR" "$DOCDIR" "$UNITDIR" "$SYSUSERSDIR"; do
  [[ "$dir" == /* ]] || { echo "install.sh: $dir: expected an absolute path" >&2; exit 1; }
done
[[ -x "$binary" ]] || { echo "install.sh: $binary: not built" >&2; exit 1; }

install -D -m 0755 "$binary" "$DESTDIR$BINDIR/muc-offline-proxy"

unit="$DESTDIR$UNITDIR/muc-offline-proxy.service"
install -d "$DESTDIR$UNITDIR"
sed -e "s|@BINDIR@|$BINDIR|g" -e "s|@DOCDIR@|$DOCDIR|g" \
  deploy/systemd/muc-offline-proxy.service.in >"$unit"
chmod 0644 "$unit"
install -D -m 0644 deploy/systemd/muc-offline-proxy.sysusers \
  "$DESTDIR$SYSUSERSDIR/muc-offline-proxy.conf"

install -D -m 0644 README.md "$DESTDIR$DOCDIR/README.md"
install -D -m 0644 -t "$DESTDIR$DOCDIR/deploy" deploy/README.md deploy/CONFIG.md \
  deploy/example-config.json
install -D -m 0644 -t "$DESTDIR$DOCDIR/deploy/guides" deploy/guides/*.md
install -D -m 0644 -t "$DESTDIR$DOCDIR/deploy/migrate" deploy/migrate/README.md \
  deploy/migrate/prosody-offline-delivery-to-json.lua
# The home-server modules that deliver the copies (deploy/guides/servers.md).
install -D -m 0644 -t "$DESTDIR$DOCDIR/deploy/ejabberd" deploy/ejabberd/mod_groupchat_to_bare.erl
install -D -m 0644 -t "$DESTDIR$DOCDIR/deploy/prosody" deploy/prosody/mod_groupchat_to_bare.lua

echo "installed muc-offline-proxy under ${DESTDIR}${PREFIX}"
