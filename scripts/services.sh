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
SSHD_BIN=/usr/sbin/sshd # sshd refuses to run from a relative path
SSHD_DIR="$STATE_DIR/sshd"
SFTP_USER=ferry-sftp
SFTP_ROOT="$STATE_DIR/sftp-root"

# Ports per service, for the port check and `status`.
service_ports() {
  local -A ports=([temporal]="$FERRY_TEMPORAL_PORT $FERRY_TEMPORAL_UI_PORT" [sshd]="$FERRY_SSHD_PORT"
    [minio]="$FERRY_MINIO_PORT $FERRY_MINIO_CONSOLE_PORT" [postgres]="$PG_PORT")
  echo "${ports[$1]}"
}

# --- temporal: dev server, SQLite file kept across restarts ----------------
temporal_ready() {
  "$TOOLS_DIR/temporal" operator cluster health --command-timeout 3s --address "127.0.0.1:$FERRY_TEMPORAL_PORT" 2>/dev/null | grep -q SERVING &&
    curl -fs --max-time 3 -o /dev/null "http://127.0.0.1:$FERRY_TEMPORAL_UI_PORT/"
}

up_temporal() {
  need_cmd curl "apt-get install -y curl"
  ensure_temporal
  mkdir -p "$STATE_DIR/temporal"
  # The "default" namespace is always created by start-dev; the UI binds to --ip.
  # SQLite in WAL mode with synchronous=NORMAL: a commit no longer waits for
  # fsync, which otherwise caps the dev server at a few workflows per second.
  # A crash of any process loses nothing; a power cut can lose the last
  # commits (the dev server is for one machine; production runs a cluster).
  start_if_needed temporal temporal_ready 90 "$(service_ports temporal)" \
    "$TOOLS_DIR/temporal" server start-dev --ip 127.0.0.1 --port "$FERRY_TEMPORAL_PORT" \
    --ui-port "$FERRY_TEMPORAL_UI_PORT" --ui-codec-endpoint "http://127.0.0.1:$FERRY_EVENTS_PORT/codec" \
    --db-filename "$STATE_DIR/temporal/temporal.db" \
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
    --dynamic-config-value system.enableActivityEagerExecution=true \
    --dynamic-config-value matching.numTaskqueueReadPartitions=1 \
    --dynamic-config-value matching.numTaskqueueWritePartitions=1 --log-level warn
  ensure_search_attributes
}

# Ferry's custom search attributes (src/workflows/contract/search-attributes.ts; a
# unit test keeps this list equal to it). Registered through the operator API
# rather than start-dev's --search-attribute, which applies only when the SQLite
# file is new; adding an existing attribute of the same type is a no-op.
FERRY_SEARCH_ATTRIBUTES=(FerryKind FerryServerId FerryUploadId FerryExportId FerryBucket)
ensure_search_attributes() {
  local name args=()
  for name in "${FERRY_SEARCH_ATTRIBUTES[@]}"; do args+=(--name "$name" --type Keyword); done
  "$TOOLS_DIR/temporal" operator search-attribute create --address "127.0.0.1:$FERRY_TEMPORAL_PORT" \
    --namespace default "${args[@]}" >/dev/null || die "temporal: could not register the search attributes"
}

# --- minio ------------------------------------------------------------------
minio_ready() {
  curl -fs --max-time 3 -o /dev/null "http://127.0.0.1:$FERRY_MINIO_PORT/minio/health/ready"
}

# Bucket notifications go to Ferry's POST /v1/events through MinIO's webhook
# target "FERRY" (ARN arn:minio:sqs::FERRY:webhook), with a fixed token Ferry
# accepts as an event source token (start.sh). The queue directory keeps
# events while Ferry's API is down and resends them (at least once); MinIO
# starts whether or not the API answers. Only buckets whose notification
# configuration names the ARN send anything (Ferry sets it for routed buckets).
ensure_events_token() {
  [[ -s $STATE_DIR/events-token ]] || head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$STATE_DIR/events-token"
}

up_minio() {
  need_cmd curl "apt-get install -y curl"
  ensure_minio
  mkdir -p "$STATE_DIR/minio/data" "$STATE_DIR/minio/events-queue"
  ensure_events_token
  MINIO_NOTIFY_WEBHOOK_ENABLE_FERRY=on \
    MINIO_NOTIFY_WEBHOOK_ENDPOINT_FERRY="http://127.0.0.1:$FERRY_EVENTS_PORT/v1/events" \
    MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_FERRY="$(cat "$STATE_DIR/events-token")" \
    MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_FERRY="$STATE_DIR/minio/events-queue" \
    MINIO_ROOT_USER="$FERRY_MINIO_USER" MINIO_ROOT_PASSWORD="$FERRY_MINIO_PASSWORD" \
    start_if_needed minio minio_ready 60 "$(service_ports minio)" \
    "$TOOLS_DIR/minio" server "$STATE_DIR/minio/data" \
    --address "127.0.0.1:$FERRY_MINIO_PORT" --console-address "127.0.0.1:$FERRY_MINIO_CONSOLE_PORT"
}

# --- sshd: SFTP only, own config, keys and port ----------------------------
install_sshd() {
  [[ -x $SSHD_BIN ]] && return 0
  log "sshd: installing openssh-server"
  apt_install openssh-server
}

# A passwordless useradd account is locked and sshd refuses it even for keys;
# setting the password (every time: it is cheap and may have changed) unlocks it.
ensure_sftp_user() {
  id "$SFTP_USER" >/dev/null 2>&1 || useradd -M -s /bin/sh "$SFTP_USER"
  printf '%s:%s\n' "$SFTP_USER" "$FERRY_SFTP_PASSWORD" | chpasswd
}

# sshd reads authorized_keys and internal-sftp runs as the user, so every
# directory above the sftp root must be traversable by "others" (a clone
# under /root would not be).
make_traversable() {
  local dir="$1"
  while [[ $dir != / ]]; do
    dir="$(dirname "$dir")"
    (($(stat -c '0%a' "$dir") & 1)) && continue
    log "sshd: chmod o+x $dir (so $SFTP_USER can reach $SFTP_ROOT)"
    chmod o+x "$dir"
  done
}

# Keys are made once and kept, so clients can pin the host fingerprint.
ensure_sshd_files() {
  mkdir -p "$SSHD_DIR" "$SFTP_ROOT" /run/sshd # /run/sshd: privsep dir, gone after reboot
  chmod 755 "$SSHD_DIR"
  [[ -f $SSHD_DIR/ssh_host_ed25519_key ]] || ssh-keygen -q -t ed25519 -N '' -C ferry-sshd -f "$SSHD_DIR/ssh_host_ed25519_key"
  [[ -f $SSHD_DIR/client_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C ferry-client -f "$SSHD_DIR/client_ed25519"
  install -m 644 "$SSHD_DIR/client_ed25519.pub" "$SSHD_DIR/authorized_keys"
  chown "$SFTP_USER" "$SFTP_ROOT"
  make_traversable "$SFTP_ROOT"
  runuser -u "$SFTP_USER" -- test -w "$SFTP_ROOT" || die "sshd: $SFTP_USER cannot write to $SFTP_ROOT"
}

sshd_config() {
  cat <<EOF
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
# Several test workers connect at once; the defaults (10:30:100, 10) throttle them.
MaxStartups 100:30:200
MaxSessions 50
Subsystem sftp internal-sftp
Match User $SFTP_USER
  ForceCommand internal-sftp -d $SFTP_ROOT
  AllowTcpForwarding no
  X11Forwarding no
EOF
}

# write_sshd_config: validate before use; a running sshd does not reread its
# config, so a change means a restart.
write_sshd_config() {
  local conf="$SSHD_DIR/sshd_config"
  # sshd splits internal-sftp's arguments on spaces and ignores quotes.
  [[ $SFTP_ROOT != *[[:space:]%]* ]] || die "sshd: the repo path must not contain spaces or '%': $ROOT"
  sshd_config >"$conf.new"
  "$SSHD_BIN" -t -f "$conf.new" || die "sshd: invalid config $conf.new"
  cmp -s "$conf.new" "$conf" && { rm -f "$conf.new"; return 0; }
  mv "$conf.new" "$conf"
  if is_running sshd; then log "sshd: config changed, restarting" && stop_pid sshd; fi
}

sshd_ready() {
  ssh-keyscan -T 2 -t ed25519 -p "$FERRY_SSHD_PORT" 127.0.0.1 2>/dev/null | grep -q ssh-ed25519
}

up_sshd() {
  # Root: it manages a system account and hands the sftp root to it.
  [[ $EUID -eq 0 ]] || die "sshd: run as root (creates user $SFTP_USER, installs openssh-server if missing)"
  install_sshd
  need_cmd ssh-keyscan "apt-get install -y openssh-client"
  ensure_sftp_user
  ensure_sshd_files
  write_sshd_config
  start_if_needed sshd sshd_ready 20 "$(service_ports sshd)" "$SSHD_BIN" -D -e -f "$SSHD_DIR/sshd_config"
}

# --- postgres: the machine's; we only make sure it answers -----------------
pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2; }
pg_sql() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc "$1"; }

up_postgres() {
  need_cmd pg_isready "apt-get install -y postgresql-client"
  local ver="" db
  if ! pg_ready; then
    [[ -d /etc/postgresql ]] && ver="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)"
    [[ -n $ver ]] || die "postgres: nothing answers on $PG_HOST:$PG_PORT and no cluster in /etc/postgresql"
    log "postgres: starting cluster $ver/main"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start
    wait_for postgres 30 pg_ready
  fi
  for db in "$FERRY_DB_NAME" "$FERRY_TEST_DB_NAME"; do
    [[ $(pg_sql "select 1 from pg_database where datname='$db'") == 1 ]] && continue
    createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$db" || die "postgres: createdb $db failed"
    log "postgres: created database $db"
  done
}

# status_line NAME: "name state pid=N port=P"; fails when stopped.
status_line() {
  local name="$1" state=stopped pid=""
  if [[ $name == postgres ]]; then
    pg_ready && state=running && pid="$(head -n 1 "$(pg_sql 'show data_directory')/postmaster.pid" 2>/dev/null || true)"
  elif is_running "$name"; then
    state=running pid="$(read_pid "$name")"
  fi
  printf '%-9s %-8s pid=%-8s port=%s\n' "$name" "$state" "${pid:--}" "$(service_ports "$name" | tr ' ' ,)"
  [[ $state == running ]]
}

# env_line KEY VALUE: single-quote values that need it; both `source` and
# Node's env-file parsers (dotenv, process.loadEnvFile) read that form.
env_line() {
  [[ $2 != *"'"* ]] || die "env: the value of $1 contains a single quote"
  if [[ $2 =~ ^[A-Za-z0-9_./:@+=,-]*$ ]]; then printf '%s=%s\n' "$1" "$2"; else printf "%s='%s'\n" "$1" "$2"; fi
}

write_env() {
  local fp="" pub="$SSHD_DIR/ssh_host_ed25519_key.pub" pg="postgresql://$PG_USER@$PG_HOST:$PG_PORT"
  [[ -f $pub ]] && fp="$(ssh-keygen -lf "$pub" -E sha256 | awk '{ print $2 }')"
  {
    echo "# Written by scripts/services.sh up; do not edit."
    env_line TEMPORAL_ADDRESS "127.0.0.1:$FERRY_TEMPORAL_PORT"
    env_line TEMPORAL_NAMESPACE default
    env_line TEMPORAL_UI_URL "http://127.0.0.1:$FERRY_TEMPORAL_UI_PORT"
    # The Web UI decodes payloads through the API's /codec, from its own origin.
    env_line FERRY_CODEC_CORS_ORIGINS "http://127.0.0.1:$FERRY_TEMPORAL_UI_PORT"
    env_line TEMPORAL_CLI_PATH "$TOOLS_DIR/temporal"
    env_line S3_ENDPOINT "http://127.0.0.1:$FERRY_MINIO_PORT"
    env_line S3_REGION us-east-1
    env_line S3_FORCE_PATH_STYLE true
    env_line S3_ACCESS_KEY_ID "$FERRY_MINIO_USER"
    env_line S3_SECRET_ACCESS_KEY "$FERRY_MINIO_PASSWORD"
    env_line MINIO_CONSOLE_URL "http://127.0.0.1:$FERRY_MINIO_CONSOLE_PORT"
    [[ -s $STATE_DIR/events-token ]] && env_line FERRY_MINIO_EVENTS_TOKEN "$(cat "$STATE_DIR/events-token")"
    env_line FERRY_MINIO_EVENTS_ARN "arn:minio:sqs::FERRY:webhook"
    env_line DATABASE_URL "$pg/$FERRY_DB_NAME"
    env_line TEST_DATABASE_URL "$pg/$FERRY_TEST_DB_NAME"
    env_line FERRY_SFTP_HOST 127.0.0.1
    env_line FERRY_SFTP_PORT "$FERRY_SSHD_PORT"
    env_line FERRY_SFTP_USER "$SFTP_USER"
    env_line FERRY_SFTP_PASSWORD "$FERRY_SFTP_PASSWORD"
    env_line FERRY_SFTP_KEY_FILE "$SSHD_DIR/client_ed25519"
    env_line FERRY_SFTP_ROOT "$SFTP_ROOT"
    env_line FERRY_SFTP_HOST_FINGERPRINT "$fp"
  } >"$STATE_DIR/env.new"
  mv "$STATE_DIR/env.new" "$STATE_DIR/env" # atomic: a reader never sees half a file
  log "env written to $STATE_DIR/env"
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
  take_lock
  for svc in "${services[@]}"; do
    case "$cmd:$svc" in
      up:*) "up_$svc" ;;
      down:postgres) log "postgres: left running (it is the machine's, not ferry's)" ;;
      down:*) stop_pid "$svc" ;;
    esac
  done
  [[ $cmd == down ]] || write_env
}

main "$@"
