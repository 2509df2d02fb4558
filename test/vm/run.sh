#!/usr/bin/env bash
# Real-kernel test of the Linux input backend and of the daemon that uses it.
#
# Boots a stock Debian kernel under qemu with an initramfs holding busybox, this machine's node,
# evdev.ko/uinput.ko, the project compiled to JS (the same layout as `npm run build`: /app/dist/src,
# plus /app/dist/test/vm) and its production node_modules. test/vm/init then runs two parts:
#   backend  test/vm/vm-test.ts     LinuxBackend with a real engine, driven from a worker
#   daemon   test/vm/daemon-test.ts `node dist/src/cli/main.js daemon --backend linux`, driven
#                                   through the REST API, uinput test devices and the CLI
# Exit status 0 only when the VM prints "KEYRX-VM RESULT: PASS" (both parts passed).
#
# It installs nothing. Needed (Debian):
#   apt-get install -y --no-install-recommends qemu-system-x86 busybox-static cpio
#   apt lists (apt-get update) the first time, to `apt-get download` the kernel package
#   npm dependencies installed (npm ci), including koffi
#
# Environment:
#   KEYRX_VM_CACHE    cache directory (kernel, base initramfs, compiled app); default /tmp/keyrx-vm-cache
#   KEYRX_VM_KERNEL   kernel package; default: what linux-image-amd64 depends on (linux-image-6.1.0-N-amd64)
#   KEYRX_VM_MODULES  node_modules packages to copy into the VM; default: every production
#                     dependency (npm ls --omit=dev), koffi and its prebuilt binary included
#   KEYRX_VM_ONLY     backend|daemon: run one part only
#   KEYRX_VM_DEBUG=1  list devices, dump /proc/bus/input/devices and the daemon log from inside the VM
#   ACCEL=kvm|tcg     default: kvm when /dev/kvm is usable and the CPU has vmx/svm, else tcg
#   MEM (1024 MiB), SMP (2 vCPUs, 1 on a one-CPU host), TIMEOUT (240 s, for qemu as a whole)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${KEYRX_VM_CACHE:-/tmp/keyrx-vm-cache}
MEM=${MEM:-1024}
# Two vCPUs when the host has them: the daemon part runs several node threads and processes at
# once (TCG runs each vCPU on its own host thread); with one, `keyrx doctor` alone takes 7 s.
SMP=${SMP:-$(($(nproc) >= 2 ? 2 : 1))}
TIMEOUT=${TIMEOUT:-240}
T_START=$(date +%s.%N)
say() { echo "keyrx-vm: $*"; }
fail() {
  echo "keyrx-vm: $*" >&2
  echo "KEYRX-VM RESULT: FAIL ($1)"
  exit 1
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

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
# The kernel unpacks concatenated cpio archives in order: base, then the app.
cat "$BASE" "$APP" >"$CACHE/initrd.img"

# ---- 5. boot
if [ -z "${ACCEL:-}" ]; then
  if [ -w /dev/kvm ] && grep -qE 'vmx|svm' /proc/cpuinfo; then ACCEL=kvm; else ACCEL=tcg; fi
fi
CPU=max
[ "$ACCEL" = kvm ] && CPU=host
APPEND="console=ttyS0 quiet loglevel=3 panic=-1"
[ "${KEYRX_VM_DEBUG:-0}" = 1 ] && APPEND="$APPEND keyrx.debug"
case "${KEYRX_VM_ONLY:-}" in
  '') ;;
  backend | daemon) APPEND="$APPEND keyrx.only=$KEYRX_VM_ONLY" ;;
  *) fail "KEYRX_VM_ONLY must be backend or daemon" ;;
esac
LOG=$CACHE/serial.log
say "booting $KPKG (accel $ACCEL, $SMP vCPU), prepared in $(elapsed "$T_START") s"
t=$(date +%s.%N)
set +e
timeout "$TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -cpu "$CPU" -m "$MEM" -smp "$SMP" \
  -nographic -no-reboot -nodefaults -serial stdio -display none \
  -kernel "$KDIR/vmlinuz" -initrd "$CACHE/initrd.img" -append "$APPEND" </dev/null >"$LOG" 2>&1
rc=$?
set -e
# SeaBIOS chatter and escape sequences are noise; the test prints everything else that matters.
tr -d '\r' <"$LOG" | sed -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g' | grep -v -e '^SeaBIOS' -e '^Booting from' -e '^iPXE'
say "qemu exit $rc, VM wall $(elapsed "$t") s, total $(elapsed "$T_START") s"
if grep -q 'KEYRX-VM RESULT: PASS' "$LOG"; then exit 0; fi
grep -q 'KEYRX-VM RESULT:' "$LOG" || echo "KEYRX-VM RESULT: FAIL (no result from the VM: qemu exit $rc; log $LOG)"
exit 1
