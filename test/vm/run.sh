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

# ---- 1-4. tools, kernel, base initramfs and the compiled app (test/vm/images.sh: shared with
# bench/peer/run.ts); it sets KPKG, KDIR, BASE and APP
# shellcheck source=images.sh
. "$HERE/images.sh"
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
