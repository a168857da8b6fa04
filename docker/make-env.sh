#!/usr/bin/env bash
# Writes .env (read by `docker compose`) with random secrets for
# docker-compose.yml, which has no default for any of them. Keeps an existing
# .env. The file is readable by its owner only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -e .env ]]; then
  echo ".env exists; keeping it" >&2
  exit 0
fi
secret() { head -c "$1" /dev/urandom | base64 | tr -d '\n' | tr '+/' '-_'; }
umask 077
cat >.env <<ENV
API_TOKENS=$(secret 24)
FERRY_SECRET_KEY=$(head -c 32 /dev/urandom | base64)
FERRY_EVENTS_TOKEN=$(secret 18)
MINIO_ROOT_PASSWORD=$(secret 24)
FERRY_S3_SECRET_KEY=$(secret 24)
ENV
echo "wrote .env; the API token is API_TOKENS there" >&2
