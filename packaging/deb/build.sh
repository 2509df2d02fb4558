#!/usr/bin/env bash
# `npm run package:deb`: builds dist/keyrx_<version>_<arch>.deb with dpkg-deb (package dpkg; no
# dpkg-dev, no debhelper, no root: --root-owner-group).
#
#   /usr/lib/keyrx                  the npm package (npm pack: dist/src, dist/ui, packaging/,
#                                   package.json) + its production node_modules, installed from
#                                   package-lock.json with `npm ci --omit=dev --ignore-scripts`
#                                   (koffi's prebuilt binary for this architecture included)
#   /usr/bin/keyrx                  runs it with `node` (Depends: nodejs >= 20.19)
#   /usr/lib/udev/rules.d/99-keyrx.rules, /usr/lib/modules-load.d/keyrx.conf
#   /usr/lib/systemd/user/keyrx.service (ExecStart=/usr/bin/keyrx daemon; not enabled: run
#                                   `keyrx install` or `systemctl --user enable --now keyrx`)
#   /usr/share/doc/keyrx            README, docs/, examples/, copyright, changelog
#
# Environment: KEYRX_DEB_TARBALL=<keyrx-x.y.z.tgz> packages that tarball instead of running
# `npm pack` here; KEYRX_DEB_MAINTAINER="Name <email>" sets the Maintainer field; KEYRX_DEB_OUT
# sets the output folder (default dist/).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
umask 022
t0=$(date +%s)
say() { echo "package:deb: $*"; }

command -v dpkg-deb >/dev/null || {
  echo "package:deb: dpkg-deb is missing (Debian package dpkg)" >&2
  exit 1
}
version=$(node -p "require('./package.json').version")
case "$(node -p process.arch)" in
  x64) arch=amd64 ;;
  arm64) arch=arm64 ;;
  arm) arch=armhf ;;
  ia32) arch=i386 ;;
  riscv64) arch=riscv64 ;;
  *)
    echo "package:deb: no Debian architecture for Node's $(node -p process.arch)" >&2
    exit 1
    ;;
esac
maintainer=${KEYRX_DEB_MAINTAINER:-keyrx contributors <keyrx@invalid>}
out_dir=${KEYRX_DEB_OUT:-$repo/dist}
deb="$out_dir/keyrx_${version}_${arch}.deb"

work=$(mktemp -d "${TMPDIR:-/tmp}/keyrx-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage="$work/root"
lib="$stage/usr/lib/keyrx"
doc="$stage/usr/share/doc/keyrx"

# 1. the npm package: what `npm pack` ships (prepack builds dist/)
tarball=${KEYRX_DEB_TARBALL:-}
if [ -z "$tarball" ]; then
  say "npm pack (builds dist/)"
  tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
fi
mkdir -p "$work/pkg" "$stage/usr/lib" "$doc"
tar -C "$work/pkg" -xzf "$tarball"
mv "$work/pkg/package" "$lib"

# 2. production dependencies, exactly as locked (overrides included), without install scripts
say "npm ci --omit=dev --ignore-scripts"
cp package-lock.json "$lib/"
(cd "$lib" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
rm "$lib/package-lock.json"
koffi_pkg="$lib/node_modules/@koromix/koffi-linux-$(node -p process.arch)"
ls "$koffi_pkg"/linux_*/koffi.node >/dev/null 2>&1 || {
  echo "package:deb: koffi's prebuilt binary is missing ($koffi_pkg)" >&2
  exit 1
}
rm -rf "$koffi_pkg"/musl_* # Debian is glibc
# npm's own bookkeeping, and source maps of sources that are not shipped
rm -f "$lib/node_modules/.package-lock.json"
find "$lib/dist" -name '*.map' -delete

# 3. documentation
mv "$lib/README.md" "$lib/docs" "$lib/examples" "$doc/"
rm "$lib/LICENSE" # in copyright
{
  echo "keyrx (${version}) unstable; urgency=medium"
  echo
  echo "  * keyrx ${version}, packaged from the npm package."
  echo
  echo " -- ${maintainer}  $(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n >"$doc/changelog.Debian.gz"

# copyright (machine-readable): keyrx, then every bundled npm package with its license field
{
  cat <<HEAD
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: keyrx
Comment: /usr/lib/keyrx/node_modules holds keyrx's npm dependencies, as locked by its
 package-lock.json; each keeps its own license file in its folder.

Files: *
Copyright: $(date +%Y) keyrx contributors
License: MIT
HEAD
  node -e '
    const fs = require("fs"), path = require("path");
    const root = process.argv[1];
    const seen = [];
    const walk = (dir) => {
      for (const name of fs.readdirSync(dir).sort()) {
        const p = path.join(dir, name);
        if (name.startsWith("@")) { walk(p); continue; }
        let pkg;
        try { pkg = JSON.parse(fs.readFileSync(path.join(p, "package.json"), "utf8")); } catch { continue; }
        const lic = typeof pkg.license === "string" ? pkg.license : (pkg.license && pkg.license.type) || "see its folder";
        seen.push([path.relative(path.dirname(root), p), pkg.name, pkg.version, lic]);
        if (fs.existsSync(path.join(p, "node_modules"))) walk(path.join(p, "node_modules"));
      }
    };
    walk(root);
    for (const [rel, name, version, lic] of seen)
      console.log(`\nFiles: usr/lib/keyrx/${rel}/*\nComment: ${name} ${version}\nCopyright: the authors of ${name}\nLicense: ${lic}`);
  ' "$lib/node_modules"
  echo
  echo "License: MIT"
  sed -n '/^Permission is hereby granted/,$p' LICENSE | sed 's/^$/./; s/^/ /'
} >"$doc/copyright"

# 4. the command, and the system integration
mkdir -p "$stage/usr/bin"
cat >"$stage/usr/bin/keyrx" <<'WRAPPER'
#!/bin/sh
# keyrx (Debian package): runs /usr/lib/keyrx with Node.js >= 20.19 (`node` on PATH, or
# $KEYRX_NODE). The program is found next to this script (../lib/keyrx), or at $KEYRX_LIB_DIR.
lib=${KEYRX_LIB_DIR:-$(dirname "$(readlink -f "$0")")/../lib/keyrx}
exec "${KEYRX_NODE:-node}" "$lib/dist/src/cli/main.js" "$@"
WRAPPER
chmod 0755 "$stage/usr/bin/keyrx"

install -D -m 0644 packaging/99-keyrx.rules "$stage/usr/lib/udev/rules.d/99-keyrx.rules"
install -D -m 0644 packaging/keyrx-modules-load.conf "$stage/usr/lib/modules-load.d/keyrx.conf"
mkdir -p "$stage/usr/lib/systemd/user"
{
  cat <<'UNIT_HEAD'
# systemd *user* unit for the keyrx daemon, from the keyrx Debian package.
#
# Enable it for your user with `keyrx install` (which also adds you to the input and uinput
# groups) or with:  systemctl --user enable --now keyrx
# Reload the active profile:  systemctl --user reload keyrx   (sends SIGHUP)
# Logs:                        journalctl --user -u keyrx -f

UNIT_HEAD
  sed -n '/^\[Unit\]/,$p' packaging/keyrx.service | sed 's|^ExecStart=.*|ExecStart=/usr/bin/keyrx daemon|'
} >"$stage/usr/lib/systemd/user/keyrx.service"
grep -qx 'ExecStart=/usr/bin/keyrx daemon' "$stage/usr/lib/systemd/user/keyrx.service"

# 5. permissions: root-owned (dpkg-deb --root-owner-group), nothing writable but by root
chmod -R u+rwX,go+rX,go-w "$stage"

# 6. control files
mkdir -p "$stage/DEBIAN"
install -m 0755 packaging/deb/postinst packaging/deb/postrm "$stage/DEBIAN/"
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
installed_kb=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<CONTROL
Package: keyrx
Version: ${version}
Architecture: ${arch}
Maintainer: ${maintainer}
Installed-Size: ${installed_kb}
Depends: nodejs (>= 20.19)
Section: utils
Priority: optional
Description: keyboard remapper for Linux that runs KeyRx profiles
 keyrx grabs your keyboards through evdev, runs every key through a
 deterministic engine and the active profile (layers, tap-hold, combos,
 one-shot keys, macros, per-application mappings) and types the result on a
 virtual keyboard through uinput. It runs as a daemon, as your user, with a
 REST and WebSocket API and a web UI.
 .
 After installing, run \`keyrx install\` as your user: it adds you to the input
 and uinput groups and enables the systemd user service. \`keyrx doctor\`
 checks the setup.
CONTROL

mkdir -p "$out_dir"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
say "$deb: $(du -k "$deb" | cut -f1) KiB, installed ${installed_kb} KiB ($(($(date +%s) - t0)) s)"
