#!/usr/bin/env bash
# Starts Ferry with everything it needs: installs and builds what is missing,
# starts Temporal, MinIO, sshd (and checks PostgreSQL), migrates the database,
# then runs the API and one worker in the background. `npm stop` stops it all.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

bash scripts/setup.sh
bash scripts/services.sh up
set -a
# shellcheck disable=SC1091 # written by services.sh
source "$STATE_DIR/env"
set +a

# shellcheck source=lib/dev-secrets.sh
source "$ROOT/scripts/lib/dev-secrets.sh"
make_dev_secrets "$STATE_DIR"
export FERRY_SECRET_KEY="${FERRY_SECRET_KEY:-$(cat "$STATE_DIR/secret.key")}"
export API_TOKENS="${API_TOKENS:-$(cat "$STATE_DIR/api-token")}"
export API_PORT="${API_PORT:-8080}"
export WORKER_METRICS_PORT="${WORKER_METRICS_PORT:-9464}"
# The local MinIO's bucket notifications (scripts/services.sh): Ferry accepts its token and
# configures the buckets routes watch to notify it.
export FERRY_EVENT_TOKENS="${FERRY_EVENT_TOKENS:-minio:$FERRY_MINIO_EVENTS_TOKEN}"
export FERRY_EVENTS_NOTIFY_ARN="${FERRY_EVENTS_NOTIFY_ARN-$FERRY_MINIO_EVENTS_ARN}"
# Two malloc arenas instead of glibc's 8 per core: freed part-sized buffers
# otherwise linger in per-thread arenas (CONTRIBUTING.md).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

npx tsx scripts/migrate.ts
npx tsx scripts/ensure-bucket.ts

# The trailing "state=" argument is ignored by Ferry; it marks the processes as
# this checkout's so the pid-file checks in common.sh recognise them.
is_running api || start_daemon api node --import tsx src/api/main.ts "state=$STATE_DIR"
is_running worker || start_daemon worker node --import tsx src/worker.ts "state=$STATE_DIR"

api_ready() {
  alive_or_die api
  alive_or_die worker
  curl -fs "http://127.0.0.1:$API_PORT/readyz"
}
wait_for "ferry api" 60 api_ready

cat >&2 <<MSG
ferry: running
  API            http://127.0.0.1:$API_PORT  (token in .ferry/api-token: Authorization: Bearer $(cat "$STATE_DIR/api-token"))
  Temporal UI    $TEMPORAL_UI_URL
  MinIO console  $MINIO_CONSOLE_URL  (user $S3_ACCESS_KEY_ID)
  SFTP           sftp -P $FERRY_SFTP_PORT -i $FERRY_SFTP_KEY_FILE $FERRY_SFTP_USER@$FERRY_SFTP_HOST
  Worker metrics http://127.0.0.1:$WORKER_METRICS_PORT/metrics
  Logs           .ferry/logs/   Stop with: npm stop
MSG
