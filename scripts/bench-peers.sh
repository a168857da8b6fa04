#!/usr/bin/env bash
# The peers Ferry's benchmarks compare against (bench/): Debian's rclone.
# Usage: scripts/bench-peers.sh (installs what is missing; quiet when present).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if ! command -v rclone >/dev/null 2>&1; then
  log "installing rclone (Debian package) for the benchmark"
  apt_install rclone
fi
