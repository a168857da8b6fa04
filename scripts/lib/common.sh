# shellcheck shell=bash
# shellcheck disable=SC2034 # variables here are used by the sourcing scripts
# Helpers shared by the scripts in scripts/. Source it; it defines no side
# effects beyond variables and functions (directories are made on demand).

# The repo may be checked out anywhere (CI uses a fresh clone), so every path
# derives from this file's location. -P resolves symlinks so paths written to
# config files and the env file are the real ones.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
TOOLS_DIR="$ROOT/.tools/bin"
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
FERRY_MINIO_USER="${FERRY_MINIO_USER:-ferryadmin}"
FERRY_MINIO_PASSWORD="${FERRY_MINIO_PASSWORD:-ferryadmin-secret}"
FERRY_SFTP_PASSWORD="${FERRY_SFTP_PASSWORD:-ferry-sftp-pw}"

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

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: poll instead of sleeping a
# fixed time, so a fast start is not slowed down and a slow one still works.
# COMMAND may itself call die (e.g. when the daemon exited) to stop early;
# only its stdout is silenced so such a message stays visible.
wait_for() {
  local what="$1" timeout="$2" deadline
  shift 2
  deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null; do
    if (($(date +%s) >= deadline)); then
      die "$what: not ready after ${timeout}s"
    fi
    sleep 0.2
  done
}

# port_open HOST PORT: true when something accepts TCP connections there.
# Uses bash's /dev/tcp so it needs no nc; the subshell closes the socket.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
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
  setsid nohup "$@" >>"$(log_file "$name")" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$(pid_file "$name")"
  log "$name: started (pid $pid, log ${LOG_DIR#"$ROOT"/}/$name.log)"
}

# alive_or_die NAME: used inside readiness checks so a daemon that crashed
# during start-up fails at once, with the end of its log, not at the timeout.
alive_or_die() {
  is_running "$1" && return 0
  tail -n 15 "$(log_file "$1")" >&2 2>/dev/null || true
  die "$1 exited during start-up; see $(log_file "$1")"
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

# still_alive PID [PID...]: any listed process, or the first one's process
# group, still exists.
still_alive() {
  local p
  for p in "$@"; do
    kill -0 "$p" 2>/dev/null && return 0
  done
  kill -0 -- "-$1" 2>/dev/null
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
