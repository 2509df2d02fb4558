#!/usr/bin/env bash
# The VM's images, built once and cached: the Debian kernel (vmlinuz + evdev.ko + uinput.ko), the
# base initramfs (busybox, this machine's node and its libraries, the modules) and the app cpio (the
# project compiled to JS as /app/dist, its production node_modules, test/vm/init as /init; rebuilt
# when a file under src/ or test/vm/, package.json, package-lock.json or tsconfig.json changes).
#
# Two callers:
#   test/vm/run.sh      sources this file (after defining say, fail and elapsed), then boots
#   bench/peer/run.ts   runs it: progress on stderr, then on stdout one line each of
#                       KPKG=…  KDIR=…  BASE=…  APP=…  (the kernel package, its directory, the two
#                       cpio files); exit status 0, or non-zero with the reason on stderr
# It installs nothing; what it needs and its environment (KEYRX_VM_CACHE, KEYRX_VM_KERNEL,
# KEYRX_VM_MODULES, BUSYBOX) are described at the top of test/vm/run.sh.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  exec 3>&1 1>&2 # stdout is for the result lines only
  say() { echo "keyrx-vm: $*"; }
  fail() {
    echo "keyrx-vm: $*"
    exit 1
  }
  elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${KEYRX_VM_CACHE:-/tmp/keyrx-vm-cache}

# ---- 1. tools
missing=()
for tool in qemu-system-x86_64:qemu-system-x86 cpio:cpio dpkg-deb:dpkg apt-get:apt node:nodejs; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool%%:*} (package ${tool##*:})")
done
BUSYBOX=${BUSYBOX:-/bin/busybox}
if [ ! -x "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
  missing+=("a static busybox at $BUSYBOX (package busybox-static)")
fi
if [ ${#missing[@]} -gt 0 ]; then
  printf 'keyrx-vm: missing: %s\n' "${missing[@]}" >&2
  echo 'keyrx-vm: install with: apt-get install -y --no-install-recommends qemu-system-x86 busybox-static cpio' >&2
  echo "KEYRX-VM RESULT: FAIL (missing tools)"
  exit 2
fi
if [ -n "${KEYRX_VM_MODULES:-}" ]; then
  MODULES=$KEYRX_VM_MODULES
else
  # The production dependency tree, as top-level packages (nested ones come with their parent).
  MODULES=$( (cd "$ROOT" && npm ls --omit=dev --all --parseable 2>/dev/null || true) |
    sed -n "s|^$ROOT/node_modules/||p" | grep -v '/node_modules/' | sort -u | tr '\n' ' ')
fi
for pkg in koffi $MODULES; do
  [ -d "$ROOT/node_modules/$pkg" ] || fail "node_modules/$pkg is missing: run npm ci (koffi is a dependency)"
done
[ -x "$ROOT/node_modules/.bin/tsc" ] || fail "node_modules/.bin/tsc is missing: run npm install"
mkdir -p "$CACHE"

# ---- 2. kernel (downloaded once, never installed): vmlinuz + evdev.ko + uinput.ko
KPKG=${KEYRX_VM_KERNEL:-$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')}
if [ -z "$KPKG" ]; then
  # No apt lists (offline rerun): use the newest cached kernel.
  KPKG=$(ls -d "$CACHE"/kernel-* 2>/dev/null | sed 's|.*/kernel-||' | sort -V | tail -n1)
  [ -n "$KPKG" ] || fail "cannot resolve the kernel package: run apt-get update (or set KEYRX_VM_KERNEL)"
fi
KDIR=$CACHE/kernel-$KPKG
if [ ! -f "$KDIR/.done" ]; then
  t=$(date +%s.%N)
  say "downloading $KPKG"
  rm -rf "$KDIR" "$KDIR.tmp" && mkdir -p "$KDIR.tmp"
  (cd "$KDIR.tmp" && apt-get download "$KPKG" >/dev/null) || fail "apt-get download $KPKG failed"
  # Only three files are needed: extract them instead of the whole 400 MB tree.
  dpkg-deb --fsys-tarfile "$KDIR.tmp"/*.deb |
    tar -x -C "$KDIR.tmp" --wildcards './boot/vmlinuz-*' '*/drivers/input/evdev.ko*' '*/drivers/input/misc/uinput.ko*'
  mkdir -p "$KDIR"
  cp "$KDIR.tmp"/boot/vmlinuz-* "$KDIR/vmlinuz"
  for m in evdev uinput; do
    f=$(find "$KDIR.tmp" -name "$m.ko*" | head -n1)
    [ -n "$f" ] || fail "$m.ko not found in $KPKG (the -cloud kernel flavour has no uinput)"
    case "$f" in
      *.xz) xz -dc "$f" >"$KDIR/$m.ko" ;;
      *.zst) zstd -qdc "$f" >"$KDIR/$m.ko" ;;
      *.gz) gzip -dc "$f" >"$KDIR/$m.ko" ;;
      *) cp "$f" "$KDIR/$m.ko" ;;
    esac
  done
  rm -rf "$KDIR.tmp"
  touch "$KDIR/.done"
  say "kernel ready in $(elapsed "$t") s"
fi

# ---- 3. base initramfs (busybox, node + its libraries, modules), cached per node/kernel
NODE=$(readlink -f "$(command -v node)")
BASE_KEY=$(printf '%s\n' "$NODE" "$(stat -c '%s %Y' "$NODE" "$BUSYBOX")" "$KPKG" "v1" | sha256sum | cut -c1-16)
BASE=$CACHE/base-$BASE_KEY.cpio
if [ ! -f "$BASE" ]; then
  t=$(date +%s.%N)
  rm -f "$CACHE"/base-*.cpio
  R=$CACHE/base-root
  rm -rf "$R" && mkdir -p "$R"/{bin,usr/bin,lib/modules,proc,sys,dev,tmp,root}
  cp "$BUSYBOX" "$R/bin/busybox"
  # /dev/console must exist before devtmpfs is mounted; without root (no mknod) init reattaches later.
  mknod -m 600 "$R/dev/console" c 5 1 2>/dev/null || true
  mknod -m 666 "$R/dev/null" c 1 3 2>/dev/null || true
  cp "$KDIR/evdev.ko" "$KDIR/uinput.ko" "$R/lib/modules/"
  if command -v strip >/dev/null 2>&1; then strip -o "$R/usr/bin/node" "$NODE"; else cp "$NODE" "$R/usr/bin/node"; fi
  ln -s ../usr/bin/node "$R/bin/node"
  for lib in $(ldd "$NODE" | grep -o '/[^ ]*'); do
    mkdir -p "$R$(dirname "$lib")"
    cp -L "$lib" "$R$lib"
  done
  (cd "$R" && find . -print0 | cpio --null -o -H newc --quiet) >"$BASE.tmp"
  mv "$BASE.tmp" "$BASE"
  rm -rf "$R"
  say "base initramfs built in $(elapsed "$t") s"
fi

# ---- 4. the project, compiled to JS (cached by source hash), plus the node_modules it imports
SRC_KEY=$( (
  cd "$ROOT"
  find src test/vm -type f | sort | xargs sha256sum
  sha256sum package.json package-lock.json tsconfig.json
  echo "$MODULES"
) | sha256sum | cut -c1-16)
APP=$CACHE/app-$SRC_KEY.cpio
if [ ! -f "$APP" ]; then
  t=$(date +%s.%N)
  rm -f "$CACHE"/app-*.cpio
  A=$CACHE/app-root
  rm -rf "$A" && mkdir -p "$A/app/node_modules"
  # /app/dist/src/cli/main.js is `keyrx`, as after npm run build; /app/dist/test/vm holds the tests.
  "$ROOT/node_modules/.bin/tsc" -p "$HERE/tsconfig.json" --outDir "$A/app/dist" || fail "tsc failed"
  cp "$ROOT/package.json" "$A/app/" # "type": "module" for the emitted .js, and the version
  for pkg in $MODULES; do
    mkdir -p "$A/app/node_modules/$(dirname "$pkg")"
    cp -r "$ROOT/node_modules/$pkg" "$A/app/node_modules/$pkg"
  done
  rm -rf "$A/app/node_modules/@koromix/koffi-linux-x64/musl_x64" # glibc node: the musl build is dead weight
  # Typings, source maps and docs are never loaded: less to unpack at every boot.
  find "$A/app/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' \) -delete
  cp "$HERE/init" "$A/init" && chmod 755 "$A/init"
  (cd "$A" && find . -print0 | cpio --null -o -H newc --quiet) >"$APP.tmp"
  mv "$APP.tmp" "$APP"
  rm -rf "$A"
  say "app compiled and packed in $(elapsed "$t") s"
fi
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  printf 'KPKG=%s\nKDIR=%s\nBASE=%s\nAPP=%s\n' "$KPKG" "$KDIR" "$BASE" "$APP" >&3
fi
