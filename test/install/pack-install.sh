#!/usr/bin/env bash
# The npm tarball works: `npm pack` (whose prepack builds dist/), then `npm install -g` of the
# tarball into a scratch prefix, then the installed `keyrx`: --version, doctor and install
# --dry-run naming the installed packaging/ files, and a daemon that serves the web UI and
# /api/health. Production dependencies come from the npm registry (or npm's cache).
#
# The tarball is packed from a copy of the working tree (lib.sh's copy_tree), so the build starts
# from nothing, as in a fresh clone, and the checkout's own dist/ is left alone. KEEP=1 keeps the
# scratch directory.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
begin_test pack-install

version=$(node -p "require('$repo/package.json').version")

# 1. pack
src="$work/src"
if copy_tree "$repo" "$src"; then
  step "copied the working tree to $src"
else
  src="$repo" # not a git checkout: pack it in place
fi
step "npm pack (prepack builds dist/)"
tgz_name=$(cd "$src" && npm pack --silent --pack-destination "$work" | tail -n 1)
tgz="$work/$tgz_name"
[ -f "$tgz" ] || fail "npm pack made no tarball ($tgz_name)"
[ "$tgz_name" = "keyrx-$version.tgz" ] || fail "tarball named $tgz_name, expected keyrx-$version.tgz"
step "$tgz_name: $(du -k "$tgz" | cut -f1) KiB, $(tar -tzf "$tgz" | wc -l) files ($(($(date +%s) - t0)) s so far)"

listing=$(tar -tzf "$tgz")
for f in dist/src/cli/main.js dist/src/server/ui-static.js dist/ui/index.html \
  packaging/99-keyrx.rules packaging/keyrx.service packaging/keyrx-modules-load.conf \
  examples/README.md examples/lib/vim-arrows.rhai docs/linux.md README.md LICENSE package.json; do
  grep -qx "package/$f" <<<"$listing" || fail "the tarball has no $f"
done
grep -q '^package/dist/ui/assets/.*\.js$' <<<"$listing" || fail "the tarball has no UI bundle (dist/ui/assets/*.js)"
for prefix in src/ test/ bench/ ui/src/ node_modules/ packaging/deb/ scripts/ .ci/; do
  if grep -q "^package/$prefix" <<<"$listing"; then fail "the tarball contains $prefix"; fi
done

# 2. install globally into a scratch prefix
prefix="$work/prefix"
step "npm install -g --prefix $prefix $tgz_name"
t1=$(date +%s)
npm install -g --prefix "$prefix" --no-audit --no-fund --prefer-offline --loglevel=error "$tgz"
step "installed in $(($(date +%s) - t1)) s: $(du -sk "$prefix" | cut -f1) KiB"
keyrx="$prefix/bin/keyrx"
[ -x "$keyrx" ] || fail "no $keyrx"
installed="$prefix/lib/node_modules/keyrx"

# 3. the installed command
got=$("$keyrx" --version)
[ "$got" = "$version" ] || fail "keyrx --version printed '$got', expected $version"
step "keyrx --version: $got"

# doctor: runs (exit 1 is fine: this machine may have no uinput) and prints a JSON report
set +e
"$keyrx" doctor --json >"$work/doctor.json" 2>"$work/doctor.err"
code=$?
set -e
[ "$code" = 0 ] || [ "$code" = 1 ] || fail "keyrx doctor exited with $code"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const ffi = r.checks.find((c) => c.id === "ffi");
  if (!ffi || ffi.status !== "ok") throw new Error("koffi does not load in the installed package: " + JSON.stringify(ffi));
  const rule = r.checks.find((c) => c.id === "udev-rule");
  // a fix names the installed rule file, not a path relative to the working directory
  if (rule.status !== "ok" && !rule.fix.includes(process.argv[2] + "/packaging/99-keyrx.rules"))
    throw new Error("doctor does not name the installed rule: " + rule.fix);
' "$work/doctor.json" "$installed" || fail "keyrx doctor --json"
step "keyrx doctor --json: exit $code, koffi loads, fixes name $installed/packaging"

# install --dry-run in a fake root: plans to copy the installed packaging files
mkdir -p "$work/root"
(cd / && env -u SUDO_USER KEYRX_INSTALL_ROOT="$work/root" KEYRX_INSTALL_USER=someone HOME=/home/someone \
  "$keyrx" install --dry-run >"$work/install.txt") || fail "keyrx install --dry-run: $(cat "$work/install.txt")"
grep -q "install -D -m 0644 $installed/packaging/99-keyrx.rules /etc/udev/rules.d/99-keyrx.rules" "$work/install.txt" ||
  fail "keyrx install does not use the installed rule file: $(cat "$work/install.txt")"
step "keyrx install --dry-run: uses $installed/packaging"

# 4. the daemon serves the web UI and the API
check_daemon "$keyrx" "$work/daemon" || fail "the installed daemon"
step "ok in $(($(date +%s) - t0)) s"
