#!/usr/bin/env bash
# Stops the API and the worker (the worker drains: running activities get its
# shutdown grace time), then the local services Ferry started.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

stop_pid api
stop_pid worker
bash scripts/services.sh down
