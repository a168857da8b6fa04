# shellcheck shell=bash
# shellcheck disable=SC2034 # variables here are used by the sourcing scripts
# Helpers shared by the scripts in scripts/. Source it; it defines no side
# effects beyond variables and functions (directories are made on demand).

# The repo may be checked out anywhere (CI uses a fresh clone), so every path
# derives from this file's location. -P resolves symlinks so paths written to
# config files and the env file are the real ones.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
TOOLS_DIR="$ROOT/.tools/bin"
# Node.js installed by setup when the system's is too old (lib/node.sh). First
# on PATH whether or not it exists yet, so a script that runs setup and then
# node, npx or npm picks it up as soon as setup has installed it.
NODE_DIR="$ROOT/.tools/node"
case ":$PATH:" in *":$NODE_DIR/bin:"*) ;; *) PATH="$NODE_DIR/bin:$PATH" ;; esac
export PATH
STATE_DIR="$ROOT/.ferry"
LOG_DIR="$STATE_DIR/logs"
RUN_DIR="$STATE_DIR/run"

# Ports and credentials; override through the environment to run two
# checkouts side by side.
FERRY_TEMPORAL_PORT="${FERRY_TEMPORAL_PORT:-7233}"
FERRY_TEMPORAL_UI_PORT="${FERRY_TEMPORAL_UI_PORT:-8233}"
FERRY_MINIO_PORT="${FERRY_MINIO_PORT:-9000}"
FERRY_MINIO_CONSOLE_PORT="${FERRY_MINIO_CONSOLE_PORT:-9001}"
FERRY_SSHD_PORT="${FERRY_SSHD_PORT:-2222}"
FERRY_DB_NAME="${FERRY_DB_NAME:-ferry}"
FERRY_TEST_DB_NAME="${FERRY_TEST_DB_NAME:-ferry_test}"
FERRY_MINIO_USER="${FERRY_MINIO_USER:-ferryadmin}"
FERRY_MINIO_PASSWORD="${FERRY_MINIO_PASSWORD:-ferryadmin-secret}"
FERRY_SFTP_PASSWORD="${FERRY_SFTP_PASSWORD:-ferry-sftp-pw}"
# Where the local MinIO sends bucket notifications: the API's port (fixed when MinIO starts).
FERRY_EVENTS_PORT="${FERRY_EVENTS_PORT:-${API_PORT:-8080}}"

log() { printf 'ferry: %s\n' "$*" >&2; }

die() {
  log "error: $*"
  exit 1
}

# need_cmd CMD "how to install": fail early with an actionable message instead
# of a "command not found" somewhere in the middle of a start-up.
need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is missing; install it: $2"
}

# apt_install PACKAGE...: Debian packages, refreshing the package lists only
# when the install fails without them (slow). Output goes to the apt log.
apt_install() {
  mkdir -p "$LOG_DIR"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -q "$@" || { apt-get update -q && apt-get install -y -q "$@"; }; } \
    >"$LOG_DIR/apt.log" 2>&1 </dev/null || die "apt-get install $* failed; see $LOG_DIR/apt.log"
}

# poll TIMEOUT_SECONDS COMMAND...: true as soon as COMMAND succeeds, false
# at the deadline. Polling instead of fixed sleeps: fast starts stay fast and
# slow ones still work. Only stdout is silenced, so messages stay visible.
# COMMAND must bound its own run time (curl --max-time...): a hung daemon
# accepts connections and never answers.
poll() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null; do
    (($(date +%s) < deadline)) || return 1
    sleep 0.2
  done
}

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: poll, or die at the deadline.
# COMMAND may itself call die (e.g. when the daemon exited) to stop early.
wait_for() {
  local what="$1" timeout="$2"
  shift 2
  poll "$timeout" "$@" || die "$what: not ready after ${timeout}s"
}

# port_open HOST PORT: true when something accepts TCP connections there.
# Uses bash's /dev/tcp so it needs no nc; the subshell closes the socket.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# take_lock: serialize scripts that start or stop daemons (parallel test
# workers may all run `up`). Held on fd 9 until the script exits.
take_lock() {
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  exec 9>"$RUN_DIR/services.lock"
  flock 9
}

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }
log_file() { printf '%s/%s.log' "$LOG_DIR" "$1"; }

# read_pid NAME: print the recorded pid, or nothing.
read_pid() {
  local f
  f="$(pid_file "$1")"
  [[ -s $f ]] && head -n 1 "$f"
  return 0
}

# is_running NAME: the recorded pid is alive and is still ours. Every daemon
# we start has a path under STATE_DIR on its command line; checking for it
# guards against a stale pid file whose pid was reused by something else.
is_running() {
  local pid
  pid="$(read_pid "$1")"
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$STATE_DIR"
}

# start_daemon NAME COMMAND...: run COMMAND in the background in its own
# session (setsid: no controlling terminal, and its own process group, which
# stop_pid kills as a whole). Output goes to $LOG_DIR/NAME.log.
start_daemon() {
  local name="$1" pid
  shift
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  # A background job of a non-interactive shell is never a group leader, so
  # setsid execs in place and $! is the daemon's own pid (= its pgid).
  # fd 9 is the services lock (take_lock): the daemon must not inherit it,
  # or the lock would stay held for as long as the daemon runs.
  setsid nohup "$@" >>"$(log_file "$name")" 2>&1 </dev/null 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$(pid_file "$name")"
  log "$name: started (pid $pid, log ${LOG_DIR#"$ROOT"/}/$name.log)"
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
  local stat
  stat="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ $stat != Z* ]]
}

# alive_or_die NAME: die, showing the end of the daemon's log, unless its pid
# is alive. Not is_running: just after the fork the child's command line is
# still this script's, and a loaded machine shows that window.
alive_or_die() {
  pid_alive "$(read_pid "$1")" && return 0
  tail -n 15 "$(log_file "$1")" >&2 2>/dev/null || true
  die "$1 exited during start-up; see $(log_file "$1")"
}

# alive_and_ready NAME READY_FN: for a daemon being started; one that crashed
# fails at once, with the end of its log, instead of at the timeout.
alive_and_ready() {
  alive_or_die "$1"
  "$2"
}

# ready_or_gone NAME READY_FN: stops polling early when the daemon is gone.
ready_or_gone() { ! is_running "$1" || "$2"; }

# runs_command NAME COMMAND...: the running daemon was started as COMMAND, so
# changed ports or paths mean a restart (sshd rewrites its process title but
# keeps the command line in it).
runs_command() {
  local pid
  pid="$(read_pid "$1")"
  shift
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$*"
}

# start_if_needed NAME READY_FN TIMEOUT "PORT..." COMMAND...: nothing to do
# when running and healthy; otherwise (re)start and wait until READY_FN
# succeeds. A running daemon gets the whole timeout to answer before it is
# restarted: a busy one (tests share two cores with it) must not be killed
# under the tests' feet because one probe was slow.
start_if_needed() {
  local name="$1" ready="$2" timeout="$3" ports="$4" port
  shift 4
  if is_running "$name" && ! runs_command "$name" "$@"; then
    log "$name: settings changed, restarting"
    stop_pid "$name"
  fi
  if is_running "$name"; then
    if poll "$timeout" ready_or_gone "$name" "$ready" && is_running "$name"; then
      log "$name: already running"
      return 0
    fi
    log "$name: running but not healthy, restarting"
    stop_pid "$name"
  fi
  # A port held by a foreign process fails here with a clear message rather
  # than as an obscure bind error in the daemon's log.
  for port in $ports; do
    ! port_open 127.0.0.1 "$port" || die "$name: port $port is already used by another process (see FERRY_*_PORT)"
  done
  start_daemon "$name" "$@"
  wait_for "$name" "$timeout" alive_and_ready "$name" "$ready"
  log "$name: ready"
}

# descendants PID: all processes below PID. Some daemons (sshd) put children
# in new sessions, so killing the process group alone would miss them.
descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do
    printf '%s\n' "$child"
    descendants "$child"
  done
}

# still_alive PID [PID...]: any listed process, or any member of the first
# one's process group, exists and is not a zombie. Zombies count as gone:
# this machine's init reaps orphans only about once a second.
still_alive() {
  ps -eo pid=,pgid=,stat= | awk -v list=" $* " -v group="$1" '
    $3 !~ /^Z/ && (index(list, " " $1 " ") || $2 == group) { found = 1 }
    END { exit !found }'
}

# stop_pid NAME: TERM the daemon, its process group and its descendants; wait
# up to 15 s for a clean exit (MinIO and Temporal flush state on TERM), then
# KILL whatever is left so no strays hold ports.
stop_pid() {
  local name="$1" pid deadline
  local -a procs
  if ! is_running "$name"; then
    rm -f "$(pid_file "$name")"
    return 0
  fi
  pid="$(read_pid "$name")"
  mapfile -t procs < <(printf '%s\n' "$pid"; descendants "$pid")
  kill -TERM -- "-$pid" "${procs[@]}" 2>/dev/null || true
  deadline=$(($(date +%s) + 15))
  while still_alive "${procs[@]}" && (($(date +%s) < deadline)); do
    sleep 0.2
  done
  if still_alive "${procs[@]}"; then
    log "$name: still running after 15s, killing"
    kill -KILL -- "-$pid" "${procs[@]}" 2>/dev/null || true
  fi
  rm -f "$(pid_file "$name")"
  log "$name: stopped"
}
