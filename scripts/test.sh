#!/usr/bin/env bash
# The whole test suite: installs and builds what is missing, starts the real
# services (reusing running ones), then type-checks, lints and runs every test.
# Extra arguments are test files to run instead of all of them.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/chromium.sh
source "$ROOT/scripts/lib/chromium.sh"
cd "$ROOT"

started=$(date +%s)
bash scripts/setup.sh
bash scripts/services.sh up
ensure_chromium
# shellcheck disable=SC1091 # written by services.sh
source "$STATE_DIR/env"
DATABASE_URL="$TEST_DATABASE_URL" npx tsx scripts/migrate.ts

if (($# == 0)); then
  log "type-check, lint, format check"
  npx tsc --noEmit
  npx eslint .
  npx prettier --check . >/dev/null || { npx prettier --list-different .; die "files need formatting: npm run format"; }
  mapfile -t files < <(find test -name '*.test.ts' | sort)
else
  files=("$@")
fi

log "running ${#files[@]} test files"
# One file at a time: the integration tests share two cores with the services.
node --import tsx --test --test-reporter=spec --test-concurrency=1 --test-timeout=900000 "${files[@]}"
log "test suite finished in $(($(date +%s) - started))s"
