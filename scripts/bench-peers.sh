#!/usr/bin/env bash
# The peers Ferry's benchmarks compare against (bench/): Debian's rclone, and zip for bench:exports.
# Usage: scripts/bench-peers.sh (installs what is missing; quiet when present).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if ! command -v rclone >/dev/null 2>&1; then
  log "installing rclone (Debian package) for the benchmark"
  apt_install rclone
fi

if ! command -v zip >/dev/null 2>&1; then
  log "installing zip (Debian package) for the export benchmark"
  apt_install zip
fi
