/*
 * kbench: key-path latency of a Linux keyboard remapper, measured from outside, in one process.
 * Part of `npm run bench:peer` (bench/peer/run.ts builds it with gcc -static; bench/peer/init runs
 * it inside the qemu VM, once per entry of ORDER). Adapted from the team's shared peer-bench recipe.
 *
 *   kbench -l LABEL -m floor|remap [-n TAPS] [-p PACE_US] [-w WARMUP] [-H HOLD_US] [-F PRIO]
 *          [-o "output device name"] [-L daemon.log] [-- remapper argv...]
 *
 * 1. creates a fake USB keyboard with uinput (EV_KEY keys 1..255 + EV_REP: every remapper's
 *    "is a keyboard" test passes);
 * 2. floor: reads that keyboard's own evdev node (no remapper: the kernel's own cost);
 *    remap: fork+execs the remapper (stdout/stderr to -L; -F PRIO: under SCHED_FIFO at PRIO),
 *    waits (bounded) until an input device named -o appears, opens its evdev node and taps A
 *    (press and release in one write) every ~0.22 s until B comes out (so the grab and the config
 *    are live), checks with EVIOCGRAB that the fake keyboard is grabbed. While it probes it counts
 *    the A events that come out of the remapper's output unmapped (`unmapped`) and those the fake
 *    keyboard's own node delivered to the rest of the system, not grabbed yet (`ungrabbed`);
 *    Then it waits until the remapper is idle (at most 10 ms of CPU, all threads, in 0.5 s; at most
 *    180 s): a remapper may go on loading after its key path is live, and the phases below measure
 *    the steady state (KB-SETTLE: the time to idle is part of the start-up figures);
 * 3. phase "remap": TAPS taps of A; for each press and each release:
 *       t0 = CLOCK_MONOTONIC; write(A value + SYN_REPORT in one write());
 *       poll/read the output node until EV_KEY B with the same value; t1 = CLOCK_MONOTONIC
 *    latency = t1 - t0; the output event's own kernel timestamp (EVIOCSCLOCKID MONOTONIC) is
 *    kept too (tk - t0: excludes this reader's wakeup). 1 s without the event = lost. An output
 *    event stamped before t0 answers an earlier write (a late probe): skipped, counted as stale.
 *    PACE_US sleep after each measured event; WARMUP taps first, not measured.
 * 4. phase "taphold" (remap mode): TAPS taps of CapsLock held HOLD_US; latency from the
 *    release's write() to EV_KEY Escape 1 on the output (tap-hold emits on release), then
 *    waits for Escape 0 (no Escape, or no Escape release within 1 s = lost). A tap that kbench's
 *    own sleep held over 150 ms (a stalled VM) is not counted: the remapper may rightly hold.
 * 5. SIGTERM to the remapper (its PID only), SIGKILL after 5 s; destroys the fake keyboard.
 * Prints (one line each, parsed by bench/peer/parse.ts):
 *   KB-SPAWN label realtime_ms=<CLOCK_REALTIME at fork, ms>   (to place the remapper's log lines)
 *   KB-STARTUP label output_s= live_s= probes= unmapped= unmapped_presses= ungrabbed= grabbed=0|1
 *   KB-SETTLE label idle_s= cpu_s= settled=0|1   (start → idle; the remapper's CPU time then)
 *   KB-STATS label/phase events= measured= lost= unexpected= stale= p50= p90= p99= max= (us)
 *   KB-RAW label/phase <us> <us> ...  (read latency)   KB-RAWK label/phase ... (kernel timestamp)
 *   KB-STOP label stop_s= status=exitN|signalN|killed   (SIGTERM → exit of the remapper)
 *   KB-INFO …  (free text)            KB-ERROR label: what: errno text (then exit 1)
 *
 * Build: gcc -static -O2 -Wall -Wextra -o kbench kbench.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/uinput.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *label = "x";
static pid_t child = -1;
static int ufd = -1;

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void stop_child(void) {
  if (child <= 0) return;
  int64_t t0 = now_us();
  int status = 0;
  kill(child, SIGTERM);
  for (int i = 0; i < 500; i++) { /* 5 s, bounded */
    if (waitpid(child, &status, WNOHANG) == child) {
      printf("KB-STOP %s stop_s=%.3f status=%s%d\n", label, (now_us() - t0) / 1e6,
             WIFEXITED(status) ? "exit" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
      child = -1;
      return;
    }
    usleep(10000);
  }
  fprintf(stderr, "kbench %s: remapper pid %d ignored SIGTERM for 5 s: SIGKILL\n", label, child);
  printf("KB-STOP %s stop_s=%.3f status=killed\n", label, (now_us() - t0) / 1e6);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  child = -1;
}

static void on_signal(int sig) { /* timeout(1) or init: stop our remapper (by PID) too */
  if (child > 0) {
    kill(child, SIGTERM);
    for (int i = 0; i < 300 && waitpid(child, NULL, WNOHANG) != child; i++) usleep(10000);
    kill(child, SIGKILL);
  }
  if (ufd >= 0) ioctl(ufd, UI_DEV_DESTROY);
  _exit(128 + sig);
}

static void die(const char *what) {
  printf("KB-ERROR %s: %s: %s\n", label, what, strerror(errno));
  stop_child();
  if (ufd >= 0) ioctl(ufd, UI_DEV_DESTROY);
  exit(1);
}

static void send_key(int code, int value) {
  struct input_event ev[2];
  memset(ev, 0, sizeof ev);
  ev[0].type = EV_KEY; ev[0].code = code; ev[0].value = value;
  ev[1].type = EV_SYN; ev[1].code = SYN_REPORT; ev[1].value = 0;
  if (write(ufd, ev, sizeof ev) != (ssize_t)sizeof ev) die("write uinput");
}

/* press and release in one write(): the key is never seen held between two syscalls. keyd, for
   one, grabs a keyboard only once it sees no key down (src/device.c: device_grab spins on
   EVIOCGKEY at SCHED_FIFO); a probe that held A while waiting would keep it from grabbing. */
static void send_tap(int code) {
  struct input_event ev[4];
  memset(ev, 0, sizeof ev);
  ev[0].type = EV_KEY; ev[0].code = code; ev[0].value = 1;
  ev[1].type = EV_SYN; ev[1].code = SYN_REPORT;
  ev[2].type = EV_KEY; ev[2].code = code; ev[2].value = 0;
  ev[3].type = EV_SYN; ev[3].code = SYN_REPORT;
  if (write(ufd, ev, sizeof ev) != (ssize_t)sizeof ev) die("write uinput");
}

/* CPU time (user + system, every thread) the process has used so far, in clock ticks; -1 if gone */
static long long cpu_ticks(pid_t pid) {
  char p[64], buf[1024];
  snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *s = strrchr(buf, ')'); /* the command name may hold spaces: fields count after it */
  if (!s) return -1;
  unsigned long long ut = 0, st = 0;
  /* after ")": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
  if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
  return (long long)(ut + st);
}

/* evdev node (/dev/input/eventN) of the input device whose sysfs name is `name`; "" if none */
static int find_node_by_name(const char *name, char *out, size_t outlen) {
  DIR *d = opendir("/sys/class/input");
  if (!d) return 0;
  struct dirent *de;
  int found = 0;
  while (!found && (de = readdir(d))) {
    if (strncmp(de->d_name, "input", 5)) continue;
    char p[512], buf[256];
    snprintf(p, sizeof p, "/sys/class/input/%s/name", de->d_name);
    FILE *f = fopen(p, "r");
    if (!f) continue;
    if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
    fclose(f);
    buf[strcspn(buf, "\n")] = 0;
    if (strcmp(buf, name)) continue;
    snprintf(p, sizeof p, "/sys/class/input/%s", de->d_name);
    DIR *d2 = opendir(p);
    if (!d2) continue;
    struct dirent *e2;
    while ((e2 = readdir(d2)))
      if (!strncmp(e2->d_name, "event", 5)) {
        snprintf(out, outlen, "/dev/input/%s", e2->d_name);
        found = 1;
        break;
      }
    closedir(d2);
  }
  closedir(d);
  return found;
}

static int open_reader(const char *node) {
  int fd = -1;
  for (int i = 0; i < 200 && fd < 0; i++) { /* the node may lag the sysfs entry */
    fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) usleep(10000);
  }
  if (fd < 0) die(node);
  int clk = CLOCK_MONOTONIC;
  if (ioctl(fd, EVIOCSCLOCKID, &clk) < 0) die("EVIOCSCLOCKID");
  return fd;
}

static int unexpected;
/* during the liveness probe: A events seen on the remapper's output (it forwarded them unmapped) */
static int probing, probe_key = -1, unmapped, unmapped_presses;
/* events read but not consumed yet (a remapper may write several reports before we read) */
static struct input_event pend[256];
static int pend_n, pend_i;
static int64_t pend_t;

static void note_unmapped(const struct input_event *e) {
  if (probing && e->type == EV_KEY && e->code == probe_key) {
    unmapped++;
    if (e->value == 1) unmapped_presses++;
  }
}

static void note_unexpected(const struct input_event *e) {
  note_unmapped(e);
  if (unexpected++ < 5)
    printf("KB-INFO %s: unexpected event type %d code %d value %d\n", label, e->type, e->code, e->value);
}

/* measured waits: an output event the kernel stamped before this time (CLOCK_MONOTONIC, us) is
   not an answer to the event just written but a late one from before (e.g. of a liveness probe):
   skipped and counted as stale, never matched (a match would shift every later pair by one) */
static int64_t not_before;
static int stale;

/* waits (timeout_ms) for EV_KEY code/value on fd; returns 1 with the time read() returned it and
   the event's kernel time, 0 on timeout. EV_KEY events before it are counted as unexpected (or
   stale, see not_before); events after it stay queued for the next call. */
static int wait_key(int fd, int code, int value, int timeout_ms, int64_t *t_read, int64_t *t_kern) {
  int64_t deadline = now_us() + (int64_t)timeout_ms * 1000;
  for (;;) {
    while (pend_i < pend_n) {
      struct input_event *e = &pend[pend_i++];
      if (e->type != EV_KEY) continue;
      int64_t tk = (int64_t)e->input_event_sec * 1000000 + e->input_event_usec;
      if (tk < not_before) {
        stale++;
        continue;
      }
      if (e->code == code && e->value == value) {
        *t_read = pend_t;
        *t_kern = tk;
        return 1;
      }
      note_unexpected(e);
    }
    ssize_t n = read(fd, pend, sizeof pend);
    if (n > 0) {
      pend_t = now_us();
      pend_n = (int)(n / sizeof pend[0]);
      pend_i = 0;
      continue;
    }
    if (n < 0 && errno != EAGAIN) die("read output");
    int64_t left = deadline - now_us();
    if (left <= 0) return 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, (int)((left + 999) / 1000));
    if (r < 0 && errno != EINTR) die("poll");
    if (r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL))) {
      errno = EIO;
      die("output device went away");
    }
  }
}

/* discards what is queued on fd (after 20 ms); while probing, counts the unmapped A events in it */
static void drain(int fd) {
  struct input_event ev[64];
  usleep(20000);
  while (pend_i < pend_n) note_unmapped(&pend[pend_i++]);
  ssize_t n;
  while ((n = read(fd, ev, sizeof ev)) > 0)
    for (int i = 0; i < (int)(n / sizeof ev[0]); i++) note_unmapped(&ev[i]);
  pend_n = pend_i = 0;
}

/* counts the EV_KEY `code` events queued on fd (non-blocking) and discards the rest */
static int count_key(int fd, int code) {
  struct input_event ev[64];
  ssize_t n;
  int c = 0;
  if (fd < 0) return 0;
  while ((n = read(fd, ev, sizeof ev)) > 0)
    for (int i = 0; i < (int)(n / sizeof ev[0]); i++)
      if (ev[i].type == EV_KEY && ev[i].code == code) c++;
  return c;
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static int64_t pct(const int64_t *s, int n, double p) {
  if (n == 0) return -1;
  int i = (int)(p * n + 0.999999) - 1; /* nearest-rank */
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return s[i];
}

static void report(const char *phase, int64_t *lat, int64_t *latk, int n, int lost, int events) {
  printf("KB-RAW %s/%s", label, phase);
  for (int i = 0; i < n; i++) printf(" %lld", (long long)lat[i]);
  printf("\nKB-RAWK %s/%s", label, phase);
  for (int i = 0; i < n; i++) printf(" %lld", (long long)latk[i]);
  printf("\n");
  qsort(lat, n, sizeof *lat, cmp64);
  qsort(latk, n, sizeof *latk, cmp64);
  printf("KB-STATS %s/%s events=%d measured=%d lost=%d unexpected=%d stale=%d p50=%lld p90=%lld p99=%lld"
         " max=%lld | kernel-ts p50=%lld p99=%lld (us)\n",
         label, phase, events, n, lost, unexpected, stale, (long long)pct(lat, n, .5), (long long)pct(lat, n, .9),
         (long long)pct(lat, n, .99), (long long)(n ? lat[n - 1] : -1), (long long)pct(latk, n, .5),
         (long long)pct(latk, n, .99));
  fflush(stdout);
}

int main(int argc, char **argv) {
  const char *mode = "remap", *outname = NULL, *logpath = "/dev/null";
  int taps = 1000, pace_us = 3000, warmup = 200, hold_us = 20000, fifo = 0, opt;
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  while ((opt = getopt(argc, argv, "l:m:n:p:w:H:o:L:F:")) != -1) {
    switch (opt) {
      case 'l': label = optarg; break;
      case 'm': mode = optarg; break;
      case 'n': taps = atoi(optarg); break;
      case 'p': pace_us = atoi(optarg); break;
      case 'w': warmup = atoi(optarg); break;
      case 'H': hold_us = atoi(optarg); break;
      case 'o': outname = optarg; break;
      case 'L': logpath = optarg; break;
      case 'F': fifo = atoi(optarg); break; /* control: run the remapper SCHED_FIFO at this priority */
      default: fprintf(stderr, "usage: see the header of kbench.c\n"); return 2;
    }
  }
  int floor_mode = !strcmp(mode, "floor");
  if (!floor_mode && (!outname || optind >= argc)) { fprintf(stderr, "remap needs -o and a command\n"); return 2; }

  /* 1. the fake keyboard */
  ufd = open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (ufd < 0) die("open /dev/uinput");
  if (ioctl(ufd, UI_SET_EVBIT, EV_KEY) < 0 || ioctl(ufd, UI_SET_EVBIT, EV_REP) < 0) die("UI_SET_EVBIT");
  for (int k = 1; k < 256; k++)
    if (ioctl(ufd, UI_SET_KEYBIT, k) < 0) die("UI_SET_KEYBIT");
  struct uinput_setup us;
  memset(&us, 0, sizeof us);
  us.id.bustype = BUS_USB;
  us.id.vendor = 0x1234;
  us.id.product = 0x5678;
  snprintf(us.name, sizeof us.name, "kbench fake keyboard");
  if (ioctl(ufd, UI_DEV_SETUP, &us) < 0) die("UI_DEV_SETUP");
  if (ioctl(ufd, UI_DEV_CREATE) < 0) die("UI_DEV_CREATE");
  char sysname[64] = {0}, kbdnode[300] = {0};
  if (ioctl(ufd, UI_GET_SYSNAME(sizeof sysname), sysname) < 0) die("UI_GET_SYSNAME");
  for (int i = 0; i < 100 && !kbdnode[0]; i++) {
    char dp[160];
    snprintf(dp, sizeof dp, "/sys/devices/virtual/input/%s", sysname);
    DIR *d = opendir(dp);
    struct dirent *de;
    if (d) {
      while ((de = readdir(d)))
        if (!strncmp(de->d_name, "event", 5)) { snprintf(kbdnode, sizeof kbdnode, "/dev/input/%s", de->d_name); break; }
      closedir(d);
    }
    if (!kbdnode[0]) usleep(10000);
  }
  if (!kbdnode[0]) { errno = ENOENT; die("fake keyboard event node"); }
  usleep(100000);

  int in_key = KEY_A, out_key = floor_mode ? KEY_A : KEY_B;
  int outfd;
  int64_t t_start = now_us();
  if (floor_mode) {
    outfd = open_reader(kbdnode);
  } else {
    /* 2. the remapper. A second reader on the fake keyboard's own node sees what reaches the
       system while the remapper has not grabbed it yet (a grab stops delivery to other readers). */
    int kbdfd = open(kbdnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    printf("KB-SPAWN %s realtime_ms=%lld\n", label, (long long)rt.tv_sec * 1000 + rt.tv_nsec / 1000000);
    child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      int lf = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (lf >= 0) { dup2(lf, 1); dup2(lf, 2); }
      if (fifo > 0) {
        struct sched_param sp = {.sched_priority = fifo};
        if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) perror("kbench: sched_setscheduler");
      }
      execv(argv[optind], argv + optind);
      _exit(127);
    }
    char outnode[300] = {0};
    for (int i = 0; i < 1200 && !find_node_by_name(outname, outnode, sizeof outnode); i++) { /* 120 s */
      if (waitpid(child, NULL, WNOHANG) == child) { child = -1; errno = ECHILD; die("remapper exited during start"); }
      usleep(100000);
    }
    if (!outnode[0]) { errno = ETIMEDOUT; die("no output device"); }
    double output_s = (now_us() - t_start) / 1e6;
    printf("KB-INFO %s: output device '%s' at %s after %.2f s (pid %d)\n", label, outname, outnode, output_s,
           child);
    outfd = open_reader(outnode);
    count_key(kbdfd, in_key); /* what the keyboard delivered before the first probe is not ours */
    /* wait until A -> B works: grab + config live (bounded: 600 probes, <= 120 s) */
    int live = 0, probes = 0, ungrabbed = 0;
    probing = 1;
    probe_key = in_key;
    for (int i = 0; i < 600 && !live; i++) {
      int64_t a, b;
      probes++;
      send_tap(in_key);
      live = wait_key(outfd, out_key, 1, 200, &a, &b);
      if (live) wait_key(outfd, out_key, 0, 1000, &a, &b);
      drain(outfd);
      ungrabbed += count_key(kbdfd, in_key);
    }
    if (!live) { errno = ETIMEDOUT; die("A never came out as B"); }
    double live_s = (now_us() - t_start) / 1e6;
    /* a slow remapper may still answer earlier probes: wait for 300 ms of silence (at most 5 s) */
    for (int i = 0; i < 50; i++) {
      struct pollfd p = {.fd = outfd, .events = POLLIN};
      if (poll(&p, 1, 300) <= 0) break;
      drain(outfd);
    }
    probing = 0;
    ungrabbed += count_key(kbdfd, in_key);
    if (kbdfd >= 0) close(kbdfd);
    int gfd = open(kbdnode, O_RDONLY | O_CLOEXEC);
    int g = ioctl(gfd, EVIOCGRAB, 1);
    int gerr = errno;
    if (g == 0) ioctl(gfd, EVIOCGRAB, 0);
    close(gfd);
    errno = gerr;
    int grabbed = g < 0 && errno == EBUSY;
    printf("KB-INFO %s: remapping live after %.2f s; EVIOCGRAB on the fake keyboard by another reader: %s\n",
           label, live_s, grabbed ? "EBUSY (grabbed by the remapper: ok)" : "NOT GRABBED");
    printf("KB-STARTUP %s output_s=%.3f live_s=%.3f probes=%d unmapped=%d unmapped_presses=%d ungrabbed=%d"
           " grabbed=%d\n",
           label, output_s, live_s, probes, unmapped, unmapped_presses, ungrabbed, grabbed);
  }

  /* 2b. settle: a remapper may go on starting (loading the rest of itself) after its key path is
     live; the latency phases measure the steady state, so wait until it is idle: at most 1 tick
     (10 ms) of CPU in 0.5 s, bounded by 180 s. The time is reported as start-up to idle. */
  if (!floor_mode) {
    long long before = cpu_ticks(child), ticks = before;
    int settled = 0;
    for (int i = 0; i < 360 && !settled && before >= 0; i++) {
      usleep(500000);
      ticks = cpu_ticks(child);
      settled = ticks >= 0 && ticks - before <= 1;
      before = ticks;
    }
    long hz = sysconf(_SC_CLK_TCK);
    printf("KB-SETTLE %s idle_s=%.3f cpu_s=%.2f settled=%d\n", label, (now_us() - t_start) / 1e6,
           hz > 0 && ticks >= 0 ? (double)ticks / (double)hz : -1.0, settled);
  }

  /* 3. A -> B (floor: A -> A on the keyboard's own node) */
  int64_t *lat = calloc(2 * (size_t)(taps + warmup) + 2, sizeof *lat);
  int64_t *latk = calloc(2 * (size_t)(taps + warmup) + 2, sizeof *latk);
  int n = 0, lost = 0, events = 0;
  unexpected = stale = 0;
  for (int i = 0; i < warmup + taps; i++) {
    for (int v = 1; v >= 0; v--) {
      int64_t t0, tr, tk;
      t0 = not_before = now_us();
      send_key(in_key, v);
      int ok = wait_key(outfd, out_key, v, 1000, &tr, &tk);
      if (i >= warmup) {
        events++;
        if (ok) { lat[n] = tr - t0; latk[n] = tk - t0; n++; } else lost++;
      }
      if (!ok) drain(outfd);
      usleep(pace_us);
    }
  }
  report(floor_mode ? "floor" : "remap", lat, latk, n, lost, events);

  /* 4. tap-hold tap: CapsLock held hold_us, latency from the release to Escape down */
  if (!floor_mode) {
    drain(outfd);
    n = lost = events = 0;
    unexpected = stale = 0;
    int tap_warm = warmup / 4, long_holds = 0;
    for (int i = 0; i < tap_warm + taps; i++) {
      int64_t t0, tr, tk, x, y, tp;
      tp = now_us();
      send_key(KEY_CAPSLOCK, 1);
      usleep(hold_us);
      t0 = not_before = now_us();
      /* our own sleep overshot (a stalled VM): the remapper may rightly see a hold, so this tap is
         neither measured nor lost; its output (if any) is still awaited, to stay in step */
      int overshoot = t0 - tp > 150000;
      if (i >= tap_warm && overshoot) {
        long_holds++;
        printf("KB-INFO %s: tap %d held %lld us (sleep overshoot: not counted)\n", label, i, (long long)(t0 - tp));
      }
      send_key(KEY_CAPSLOCK, 0);
      int ok = wait_key(outfd, KEY_ESC, 1, 1000, &tr, &tk);
      if (ok) ok = wait_key(outfd, KEY_ESC, 0, 1000, &x, &y) ? 1 : 2;
      if (i >= tap_warm && !overshoot) {
        events++;
        if (ok) { lat[n] = tr - t0; latk[n] = tk - t0; n++; }
        if (ok != 1) lost++; /* no Escape, or Escape never released */
      }
      if (ok != 1) drain(outfd);
      usleep(pace_us);
    }
    report("taphold", lat, latk, n, lost, events);
    printf("KB-INFO %s: taphold taps held over 150 ms (bench sleep overshoot, not counted): %d\n", label, long_holds);
  }

  /* 5. stop */
  printf("KB-INFO %s: done after %.2f s\n", label, (now_us() - t_start) / 1e6);
  close(outfd);
  stop_child();
  ioctl(ufd, UI_DEV_DESTROY);
  close(ufd);
  return 0;
}
