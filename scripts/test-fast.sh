#!/usr/bin/env bash
# The fast tier: unit tests, workflow tests with stub activities and replay
# tests (test/unit, test/workflows). It needs the `temporal` binary only,
# built or found the way services.sh does; each workflow test file starts its
# own in-memory dev server from it. No MinIO, sshd or PostgreSQL.
# Extra arguments are test files to run instead.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/tools.sh
source "$ROOT/scripts/lib/tools.sh"
cd "$ROOT"

started=$(date +%s)
bash scripts/setup.sh
ensure_temporal

if (($# == 0)); then
  mapfile -t files < <(find test/unit test/workflows -name '*.test.ts' | sort)
else
  files=("$@")
fi

log "running ${#files[@]} test files (fast tier)"
node --import tsx --test --test-reporter=spec --test-concurrency=2 --test-timeout=120000 "${files[@]}"
log "fast tier finished in $(($(date +%s) - started))s"
