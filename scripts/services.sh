#!/usr/bin/env bash
# Local services for development and tests: Temporal dev server, MinIO, an
# SFTP-only sshd, and the machine's PostgreSQL.
#   scripts/services.sh up|down|status [temporal|minio|sshd|postgres ...]
# `up` is idempotent and writes .ferry/env (KEY=VALUE) for clients.
# `status` exits 3 when a requested service is not running.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/tools.sh
source "$ROOT/scripts/lib/tools.sh"

ALL_SERVICES=(temporal minio sshd postgres)
PG_HOST=127.0.0.1 PG_PORT=5432 PG_USER=postgres
SSHD_DIR="$STATE_DIR/sshd"
SFTP_USER=ferry-sftp
SFTP_ROOT="$STATE_DIR/sftp-root"
SSHD_BIN=/usr/sbin/sshd

# port_free_or_die NAME PORT: a port taken by a foreign process would make
# the daemon fail with a less obvious error (or clients talk to the wrong one).
port_free_or_die() {
  ! port_open 127.0.0.1 "$2" || die "$1: port $2 is already in use by another process (set FERRY_*_PORT to move it)"
}

# start_if_needed NAME READY_FN TIMEOUT COMMAND...: no-op when running and
# healthy; otherwise (re)start and wait until READY_FN succeeds.
start_if_needed() {
  local name="$1" ready="$2" timeout="$3" port
  shift 3
  if is_running "$name"; then
    "$ready" && { log "$name: already running"; return 0; }
    log "$name: running but not ready, restarting" && stop_pid "$name"
  fi
  for port in $(service_ports "$name"); do port_free_or_die "$name" "$port"; done
  start_daemon "$name" "$@"
  wait_for "$name" "$timeout" "$ready"
  log "$name: ready"
}

service_ports() {
  case "$1" in
    temporal) echo "$FERRY_TEMPORAL_PORT $FERRY_TEMPORAL_UI_PORT" ;;
    minio) echo "$FERRY_MINIO_PORT $FERRY_MINIO_CONSOLE_PORT" ;;
    sshd) echo "$FERRY_SSHD_PORT" ;;
    postgres) echo "$PG_PORT" ;;
  esac
}

# --- temporal -------------------------------------------------------------
temporal_ready() {
  alive_or_die temporal
  "$TOOLS_DIR/temporal" operator cluster health --address "127.0.0.1:$FERRY_TEMPORAL_PORT" 2>/dev/null | grep -q SERVING &&
    curl -fs -o /dev/null "http://127.0.0.1:$FERRY_TEMPORAL_UI_PORT/"
}

up_temporal() {
  need_cmd curl "apt-get install -y curl"
  ensure_temporal
  mkdir -p "$STATE_DIR/temporal"
  # The SQLite file keeps workflows across restarts; the "default" namespace
  # is created by start-dev itself.
  start_if_needed temporal temporal_ready 90 "$TOOLS_DIR/temporal" server start-dev \
    --ip 127.0.0.1 --port "$FERRY_TEMPORAL_PORT" --ui-port "$FERRY_TEMPORAL_UI_PORT" \
    --db-filename "$STATE_DIR/temporal/temporal.db" --log-level warn
}

# --- minio ----------------------------------------------------------------
minio_ready() {
  alive_or_die minio
  curl -fs -o /dev/null "http://127.0.0.1:$FERRY_MINIO_PORT/minio/health/ready"
}

up_minio() {
  need_cmd curl "apt-get install -y curl"
  ensure_minio
  mkdir -p "$STATE_DIR/minio/data"
  export MINIO_ROOT_USER="$FERRY_MINIO_USER" MINIO_ROOT_PASSWORD="$FERRY_MINIO_PASSWORD"
  start_if_needed minio minio_ready 60 "$TOOLS_DIR/minio" server "$STATE_DIR/minio/data" \
    --address "127.0.0.1:$FERRY_MINIO_PORT" --console-address "127.0.0.1:$FERRY_MINIO_CONSOLE_PORT"
}

# --- sshd -----------------------------------------------------------------
install_sshd() {
  [[ -x $SSHD_BIN ]] && return 0
  [[ $(id -u) -eq 0 ]] || die "sshd: $SSHD_BIN missing; run as root or: sudo apt-get install -y openssh-server"
  log "sshd: installing openssh-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q openssh-server >"$(log_file apt)" 2>&1 ||
    { apt-get update -q && apt-get install -y -q openssh-server; } >>"$(log_file apt)" 2>&1 ||
    die "sshd: apt-get install openssh-server failed; see $(log_file apt)"
}

# The test account: a passwordless useradd account is locked and sshd
# refuses it even for keys; setting a password unlocks it.
ensure_sftp_user() {
  id "$SFTP_USER" >/dev/null 2>&1 || useradd -M -s /bin/sh "$SFTP_USER"
  printf '%s:%s\n' "$SFTP_USER" "$FERRY_SFTP_PASSWORD" | chpasswd
}

# sshd reads authorized_keys and internal-sftp works as the user, so every
# directory from / down to the sftp root must be traversable by "others".
make_traversable() {
  local dir="$1"
  while [[ $dir != / ]]; do
    dir="$(dirname "$dir")"
    [[ $(( 0$(stat -c %a "$dir") & 1 )) -eq 1 ]] && continue
    log "sshd: chmod o+x $dir (so $SFTP_USER can reach $SFTP_ROOT)"
    chmod o+x "$dir"
  done
}

# Keys are made once and kept, so clients can pin the host fingerprint.
ensure_sshd_keys() {
  mkdir -p "$SSHD_DIR"
  chmod 755 "$SSHD_DIR"
  [[ -f $SSHD_DIR/ssh_host_ed25519_key ]] ||
    ssh-keygen -q -t ed25519 -N '' -C ferry-sshd -f "$SSHD_DIR/ssh_host_ed25519_key"
  [[ -f $SSHD_DIR/client_ed25519 ]] ||
    ssh-keygen -q -t ed25519 -N '' -C ferry-client -f "$SSHD_DIR/client_ed25519"
  cp "$SSHD_DIR/client_ed25519.pub" "$SSHD_DIR/authorized_keys"
  chmod 644 "$SSHD_DIR/authorized_keys"
}

write_sshd_config() {
  # sshd splits internal-sftp's arguments on spaces and ignores quotes.
  [[ $SFTP_ROOT != *[[:space:]%]* ]] || die "sshd: the repo path must not contain spaces or '%' ($SFTP_ROOT)"
  cat >"$SSHD_DIR/sshd_config" <<EOF
# Generated by scripts/services.sh; edits are overwritten.
ListenAddress 127.0.0.1
Port $FERRY_SSHD_PORT
HostKey "$SSHD_DIR/ssh_host_ed25519_key"
PidFile "$SSHD_DIR/sshd.pid"
AuthorizedKeysFile "$SSHD_DIR/authorized_keys"
AllowUsers $SFTP_USER
UsePAM no
PasswordAuthentication yes
PubkeyAuthentication yes
KbdInteractiveAuthentication no
StrictModes no
MaxStartups 100:30:200
MaxSessions 50
Subsystem sftp internal-sftp
Match User $SFTP_USER
  ForceCommand internal-sftp -d $SFTP_ROOT
  AllowTcpForwarding no
  X11Forwarding no
EOF
}

sshd_ready() {
  alive_or_die sshd
  ssh-keyscan -T 2 -t ed25519 -p "$FERRY_SSHD_PORT" 127.0.0.1 2>/dev/null | grep -q ssh-ed25519
}

up_sshd() {
  install_sshd
  need_cmd ssh-keyscan "apt-get install -y openssh-client"
  ensure_sftp_user
  ensure_sshd_keys
  mkdir -p "$SFTP_ROOT"
  chown "$SFTP_USER" "$SFTP_ROOT"
  make_traversable "$SFTP_ROOT"
  runuser -u "$SFTP_USER" -- test -w "$SFTP_ROOT" || die "sshd: $SFTP_USER cannot write $SFTP_ROOT"
  write_sshd_config
  mkdir -p /run/sshd # privilege separation directory, gone after a reboot
  "$SSHD_BIN" -t -f "$SSHD_DIR/sshd_config" || die "sshd: invalid config $SSHD_DIR/sshd_config"
  start_if_needed sshd sshd_ready 20 "$SSHD_BIN" -D -e -f "$SSHD_DIR/sshd_config"
}

# --- postgres (the machine's; we only make sure it answers) -----------------
pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2; }
pg_sql() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc "$1"; }

up_postgres() {
  need_cmd pg_isready "apt-get install -y postgresql-client"
  if ! pg_ready; then
    local ver=""
    [[ -d /etc/postgresql ]] && ver="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)"
    [[ -n $ver ]] || die "postgres: nothing answers on $PG_HOST:$PG_PORT and no cluster in /etc/postgresql"
    log "postgres: starting cluster $ver/main"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start
    wait_for postgres 30 pg_ready
  fi
  local db
  for db in ferry ferry_test; do
    [[ $(pg_sql "select 1 from pg_database where datname='$db'") == 1 ]] && continue
    createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$db"
    log "postgres: created database $db"
  done
}

down_postgres() { log "postgres: left running (it is the machine's, not ferry's)"; }
down_service() { stop_pid "$1"; }

pg_pid() {
  local dir
  dir="$(pg_sql 'show data_directory' 2>/dev/null)" || return 0
  head -n 1 "$dir/postmaster.pid" 2>/dev/null || true
}

# status_line NAME: "name state pid=N port=P"; returns 1 when stopped.
status_line() {
  local name="$1" state=stopped pid=-
  if [[ $name == postgres ]]; then
    pg_ready && { state=running; pid="$(pg_pid)"; }
  elif is_running "$name"; then
    state=running pid="$(read_pid "$name")"
  fi
  printf '%-9s %-8s pid=%-8s port=%s\n' "$name" "$state" "${pid:--}" "$(service_ports "$name" | tr ' ' ,)"
  [[ $state == running ]]
}

# env_line KEY VALUE: single-quote values that need it; both `source` and
# Node's env-file parsers (dotenv, process.loadEnvFile) accept that form.
env_line() {
  [[ $2 != *"'"* ]] || die "env: value of $1 contains a single quote"
  if [[ $2 =~ ^[A-Za-z0-9_./:@+=,-]*$ ]]; then printf '%s=%s\n' "$1" "$2"; else printf "%s='%s'\n" "$1" "$2"; fi
}

write_env() {
  local fp="" key="$SSHD_DIR/ssh_host_ed25519_key.pub"
  [[ -f $key ]] && fp="$(ssh-keygen -lf "$key" -E sha256 | awk '{ print $2 }')"
  {
    echo "# Written by scripts/services.sh up; do not edit."
    env_line TEMPORAL_ADDRESS "127.0.0.1:$FERRY_TEMPORAL_PORT"
    env_line TEMPORAL_NAMESPACE default
    env_line TEMPORAL_UI_URL "http://127.0.0.1:$FERRY_TEMPORAL_UI_PORT"
    env_line TEMPORAL_CLI "$TOOLS_DIR/temporal"
    env_line S3_ENDPOINT "http://127.0.0.1:$FERRY_MINIO_PORT"
    env_line S3_REGION us-east-1
    env_line S3_FORCE_PATH_STYLE true
    env_line S3_ACCESS_KEY_ID "$FERRY_MINIO_USER"
    env_line S3_SECRET_ACCESS_KEY "$FERRY_MINIO_PASSWORD"
    env_line MINIO_CONSOLE_URL "http://127.0.0.1:$FERRY_MINIO_CONSOLE_PORT"
    env_line DATABASE_URL "postgresql://$PG_USER@$PG_HOST:$PG_PORT/ferry"
    env_line TEST_DATABASE_URL "postgresql://$PG_USER@$PG_HOST:$PG_PORT/ferry_test"
    env_line FERRY_SFTP_HOST 127.0.0.1
    env_line FERRY_SFTP_PORT "$FERRY_SSHD_PORT"
    env_line FERRY_SFTP_USER "$SFTP_USER"
    env_line FERRY_SFTP_PASSWORD "$FERRY_SFTP_PASSWORD"
    env_line FERRY_SFTP_KEY_FILE "$SSHD_DIR/client_ed25519"
    env_line FERRY_SFTP_ROOT "$SFTP_ROOT"
    env_line FERRY_SFTP_HOST_FINGERPRINT "$fp"
  } >"$STATE_DIR/env.tmp"
  mv "$STATE_DIR/env.tmp" "$STATE_DIR/env" # atomic: readers never see half a file
}

main() {
  local cmd="${1:-}" svc rc=0
  [[ $cmd =~ ^(up|down|status)$ ]] || die "usage: $0 up|down|status [${ALL_SERVICES[*]}]"
  shift
  local -a services=("$@")
  ((${#services[@]})) || services=("${ALL_SERVICES[@]}")
  for svc in "${services[@]}"; do
    [[ " ${ALL_SERVICES[*]} " == *" $svc "* ]] || die "unknown service '$svc' (known: ${ALL_SERVICES[*]})"
  done
  if [[ $cmd == status ]]; then
    for svc in "${services[@]}"; do status_line "$svc" || rc=3; done
    return "$rc"
  fi
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  # One up/down at a time: parallel test workers may all call `up`.
  exec 9>"$RUN_DIR/services.lock"
  flock 9
  for svc in "${services[@]}"; do
    if [[ $cmd == up ]]; then "up_$svc"; elif [[ $svc == postgres ]]; then down_postgres; else down_service "$svc"; fi
  done
  if [[ $cmd == up ]]; then write_env && log "env written to $STATE_DIR/env"; fi
}

main "$@"
