# Shared by pack-install.sh and deb.sh (sourced, not run).

# begin_test <name>: a scratch directory in $work (removed on exit unless KEEP=1), fail and step
# that prefix their lines with <name>, and t0 for the timings.
begin_test() {
  test_name=$1
  work=$(mktemp -d "${TMPDIR:-/tmp}/keyrx-$test_name.XXXXXX")
  trap 'if [ "${KEEP:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi' EXIT
  t0=$(date +%s)
}
fail() {
  echo "$test_name: FAIL: $*" >&2
  exit 1
}
step() { echo "$test_name: $*"; }

# copy_tree <repo> <dest>: the working tree's tracked and untracked, not ignored files, with
# node_modules linked, so a build there starts from nothing (as in a fresh clone) and the
# checkout's own dist/ is left alone. Returns 1 when <repo> is not a git checkout.
copy_tree() {
  local repo=$1 dest=$2
  git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 1
  mkdir -p "$dest"
  # files deleted in the working tree are still listed: tar skips them
  git -C "$repo" ls-files -z --cached --others --exclude-standard |
    tar -C "$repo" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$dest" -xf -
  ln -s "$repo/node_modules" "$dest/node_modules"
}

# http_get <url>: the body on stdout; fails on an error status. Node's fetch, like curl, sends
# Host: 127.0.0.1:<port>, the daemon's own name.
http_get() {
  node -e '
    fetch(process.argv[1]).then(async (r) => {
      const body = await r.text();
      if (!r.ok) { console.error(`GET ${process.argv[1]}: ${r.status} ${body}`); process.exit(1); }
      process.stdout.write(body);
    }, (e) => { console.error(`GET ${process.argv[1]}: ${e.message}`); process.exit(1); });
  ' "$1"
}

# check_daemon <keyrx command> <scratch dir>: starts `keyrx daemon` on a free port with the
# virtual backend, waits for its "listening on" line, GETs / (the web UI's index.html and its
# script) and /api/health, then stops it with SIGTERM and expects exit 0.
check_daemon() {
  local keyrx=$1 dir=$2 pid url= page asset health code
  mkdir -p "$dir/config"
  "$keyrx" daemon --config-dir "$dir/config" --host 127.0.0.1 --port 0 --backend virtual \
    >"$dir/daemon.out" 2>"$dir/daemon.err" &
  pid=$!
  for _ in $(seq 1 300); do
    url=$(grep -o 'listening on http://[^ ]*' "$dir/daemon.out" | head -n 1 | sed 's/^listening on //') || true
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || {
      echo "the daemon exited: $(cat "$dir/daemon.out" "$dir/daemon.err")" >&2
      return 1
    }
    sleep 0.1
  done
  if [ -z "$url" ]; then
    kill -KILL "$pid" 2>/dev/null || true
    echo "no 'listening on' line after 30 s: $(cat "$dir/daemon.out" "$dir/daemon.err")" >&2
    return 1
  fi
  echo "daemon: $url"
  local ok=1
  page=$(http_get "$url/") || ok=0
  if [ "$ok" = 1 ] && ! grep -q '<div id="root"></div>' <<<"$page"; then
    echo "GET / is not the UI's index.html: $page" >&2
    ok=0
  fi
  asset=$(grep -o 'src="/assets/[^"]*\.js"' <<<"$page" | head -n 1 | sed 's/^src="//; s/"$//') || true
  if [ "$ok" = 1 ] && { [ -z "$asset" ] || ! http_get "$url$asset" >/dev/null; }; then
    echo "index.html names no script, or GET ${asset:-<none>} failed" >&2
    ok=0
  fi
  health=$(http_get "$url/api/health") || ok=0
  if [ "$ok" = 1 ] && [ "$health" != '{"status":"ok"}' ]; then
    echo "GET /api/health: $health" >&2
    ok=0
  fi
  kill -TERM "$pid"
  code=0
  wait "$pid" || code=$?
  [ "$ok" = 1 ] || return 1
  if [ "$code" != 0 ]; then
    echo "the daemon exited with $code after SIGTERM: $(cat "$dir/daemon.err")" >&2
    return 1
  fi
  echo "GET / (index.html, $asset) and /api/health: ok; stopped by SIGTERM (exit 0)"
}
