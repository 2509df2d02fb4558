#!/usr/bin/env bash
# The .deb works: `npm run package:deb` (in a copy of the working tree, so the checkout's dist/
# is left alone), then
#   - dpkg-deb --info: the control fields;
#   - dpkg-deb --contents: every file where it belongs, root-owned, the right modes, no
#     development dependencies, koffi's prebuilt binary;
#   - dpkg -x into a scratch root: <root>/usr/bin/keyrx --version, doctor --json (it runs and
#     reports JSON, and koffi loads; failures are expected on a machine without uinput) and a
#     daemon serving the web UI and /api/health;
#   - dpkg --root=<scratch> -i and -r (maintainer scripts, which do nothing under DPKG_ROOT), and
#     the maintainer scripts once more with fake tools on PATH;
#   - lintian, when installed (informational).
# KEEP=1 keeps the scratch directory.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
begin_test deb
version=$(node -p "require('$repo/package.json').version")
arch=$(dpkg --print-architecture)

# 1. build
src="$work/src"
copy_tree "$repo" "$src" || src="$repo"
(cd "$src" && KEYRX_DEB_OUT="$work/out" npm run --silent package:deb)
deb="$work/out/keyrx_${version}_${arch}.deb"
[ -f "$deb" ] || fail "no $deb (built: $(ls "$work/out"))"
step "built $(basename "$deb"): $(du -k "$deb" | cut -f1) KiB in $(($(date +%s) - t0)) s"

# 2. control fields
info=$(dpkg-deb --info "$deb")
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = keyrx ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version)"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture)"
[ "$(field Depends)" = 'nodejs (>= 20.19)' ] || fail "Depends: $(field Depends)"
[ -n "$(field Maintainer)" ] && [ -n "$(field Description)" ] && [ -n "$(field Installed-Size)" ] ||
  fail "Maintainer, Description or Installed-Size missing: $info"
for script in postinst postrm md5sums; do
  grep -qE "^ +[0-9]+ bytes, +[0-9]+ lines +(\* +)?$script( |\$)" <<<"$info" || fail "no $script in the control archive: $info"
done
step "dpkg-deb --info: keyrx $version $arch, Depends: nodejs (>= 20.19), postinst, postrm, md5sums"

# 3. contents: owner, mode, path
contents=$(dpkg-deb --contents "$deb")
entry() { awk -v p="./$1" '$6 == p { print $1, $2 }' <<<"$contents"; }
expect() { # expect <path> <mode string>
  local got
  got=$(entry "$1")
  [ "$got" = "$2 root/root" ] || fail "$1: '${got:-missing}', expected '$2 root/root'"
}
expect usr/bin/keyrx -rwxr-xr-x
expect usr/lib/keyrx/package.json -rw-r--r--
expect usr/lib/keyrx/dist/src/cli/main.js -rw-r--r--
expect usr/lib/keyrx/dist/ui/index.html -rw-r--r--
expect usr/lib/keyrx/packaging/99-keyrx.rules -rw-r--r--
expect usr/lib/keyrx/packaging/keyrx.service -rw-r--r--
expect "usr/lib/keyrx/node_modules/@koromix/koffi-linux-$(node -p process.arch)/linux_$(node -p process.arch)/koffi.node" -rw-r--r--
expect usr/lib/keyrx/node_modules/fastify/package.json -rw-r--r--
expect usr/lib/udev/rules.d/99-keyrx.rules -rw-r--r--
expect usr/lib/modules-load.d/keyrx.conf -rw-r--r--
expect usr/lib/systemd/user/keyrx.service -rw-r--r--
expect usr/share/doc/keyrx/copyright -rw-r--r--
expect usr/share/doc/keyrx/changelog.Debian.gz -rw-r--r--
expect usr/share/doc/keyrx/README.md -rw-r--r--
expect usr/share/doc/keyrx/docs/linux.md -rw-r--r--
expect usr/share/doc/keyrx/examples/22-home-row-mods.rhai -rw-r--r--
owners=$(awk '{ print $2 }' <<<"$contents" | sort -u)
[ "$owners" = root/root ] || fail "files not owned by root/root: $owners"
writable=$(awk 'substr($1, 9, 1) == "w" && substr($1, 1, 1) != "l"' <<<"$contents")
[ -z "$writable" ] || fail "world-writable: $writable"
paths=$(awk '{ print $6 }' <<<"$contents")
for dev in typescript vite tsx eslint prettier vitest @types react jsdom playwright-core; do
  if grep -q "^\./usr/lib/keyrx/node_modules/$dev/" <<<"$paths"; then fail "development dependency $dev is in the package"; fi
done
for bad in '^\./usr/lib/keyrx/dist/.*\.map$' '^\./usr/lib/keyrx/src/' '^\./usr/lib/keyrx/test/' 'musl_' '^\./usr/local/' '^\./etc/'; do
  if grep -qE "$bad" <<<"$paths"; then fail "unexpected files ($bad): $(grep -E "$bad" <<<"$paths" | head -n 3)"; fi
done
files=$(grep -vc '/$' <<<"$paths")
step "dpkg-deb --contents: $files files, all root/root, modes and paths as expected, no dev dependencies"

# 4. extracted into a scratch root
x="$work/x"
dpkg -x "$deb" "$x"
grep -qx 'ExecStart=/usr/bin/keyrx daemon' "$x/usr/lib/systemd/user/keyrx.service" || fail "the unit's ExecStart"
cmp -s "$x/usr/lib/udev/rules.d/99-keyrx.rules" "$repo/packaging/99-keyrx.rules" || fail "the udev rule differs from packaging/"
got=$("$x/usr/bin/keyrx" --version)
[ "$got" = "$version" ] || fail "<root>/usr/bin/keyrx --version printed '$got'"
step "<root>/usr/bin/keyrx --version: $got"
code=0
"$x/usr/bin/keyrx" doctor --json >"$work/doctor.json" 2>"$work/doctor.err" || code=$?
[ "$code" = 0 ] || [ "$code" = 1 ] || fail "keyrx doctor exited with $code"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (!Array.isArray(r.checks) || r.checks.length === 0) throw new Error("no checks");
  const ffi = r.checks.find((c) => c.id === "ffi");
  if (!ffi || ffi.status !== "ok") throw new Error("koffi does not load from the package: " + JSON.stringify(ffi));
  console.log(r.checks.map((c) => c.id + " " + c.status).join(", "));
' "$work/doctor.json" >"$work/doctor.summary" || fail "keyrx doctor --json: $(cat "$work/doctor.json")"
step "<root>/usr/bin/keyrx doctor --json: exit $code; $(cat "$work/doctor.summary")"
check_daemon "$x/usr/bin/keyrx" "$work/daemon" | sed 's/^/deb: /'
[ "${PIPESTATUS[0]}" = 0 ] || fail "the daemon from the package"

# 5. dpkg --root: unpack and configure (maintainer scripts run outside a chroot, with DPKG_ROOT
#    set, so they touch nothing), then remove
r="$work/dpkg-root"
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$r/var/lib/dpkg/triggers"
touch "$r/var/lib/dpkg/status" "$r/var/lib/dpkg/available"
# dpkg looks for ldconfig and start-stop-daemon on PATH, which may lack the sbin folders
dpkg_root() {
  PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" dpkg --root="$r" --force-depends --force-script-chrootless \
    --force-not-root --log=/dev/null "$@"
}
dpkg_root -i "$deb" >"$work/dpkg.out" 2>&1 || fail "dpkg --root -i: $(cat "$work/dpkg.out")"
status=$(dpkg-query --admindir="$r/var/lib/dpkg" -W -f='${Status} ${Version}' keyrx)
[ "$status" = "install ok installed $version" ] || fail "dpkg-query after -i: $status"
[ -x "$r/usr/bin/keyrx" ] || fail "dpkg --root -i left no usr/bin/keyrx"
got=$("$r/usr/bin/keyrx" --version)
[ "$got" = "$version" ] || fail "installed keyrx --version printed '$got'"
dpkg_root -r keyrx >"$work/dpkg.out" 2>&1 || fail "dpkg --root -r: $(cat "$work/dpkg.out")"
left=$(find "$r/usr" -type f 2>/dev/null | head -n 5 || true)
[ -z "$left" ] || fail "files left after dpkg -r: $left"
step "dpkg --root=<scratch> -i, keyrx --version, -r: ok"

# 6. the maintainer scripts on a "real" system, with fake tools: postinst creates the group
#    uinput (only if missing); neither touches udev where udev does not run
fakebin="$work/fakebin"
mkdir -p "$fakebin" "$work/control"
dpkg-deb --control "$deb" "$work/control"
printf '#!/bin/sh\necho "getent $*" >>%s/maint.log\nexit 2\n' "$work" >"$fakebin/getent"
printf '#!/bin/sh\necho "groupadd $*" >>%s/maint.log\n' "$work" >"$fakebin/groupadd"
printf '#!/bin/sh\necho "udevadm $*" >>%s/maint.log\n' "$work" >"$fakebin/udevadm"
chmod +x "$fakebin"/*
env -i PATH="$fakebin" /bin/sh "$work/control/postinst" configure || fail "postinst configure"
env -i PATH="$fakebin" /bin/sh "$work/control/postrm" remove || fail "postrm remove"
expected='getent group uinput
groupadd --system uinput'
if [ -S /run/udev/control ]; then
  expected="$expected
udevadm control --reload-rules
udevadm trigger --subsystem-match=misc --sysname-match=uinput --action=change
udevadm trigger --subsystem-match=input --action=change
udevadm control --reload-rules"
fi
[ "$(cat "$work/maint.log")" = "$expected" ] || fail "maintainer scripts ran: $(cat "$work/maint.log")"
step "postinst configure (group uinput created when missing) and postrm remove: ok"

# 7. lintian, if it is installed (informational: not a failure)
if command -v lintian >/dev/null; then
  step "lintian (informational):"
  lintian --no-tag-display-limit "$deb" | sed 's/^/  /' || true
fi
step "ok in $(($(date +%s) - t0)) s"
