#!/usr/bin/env bash
# Builds Ferry's one native addon, native/sha256 (resumable SHA-256 at
# OpenSSL speed), when its source changed. Optional: without a C compiler the
# worker uses the JavaScript implementation of the same state format, about
# ten times slower. Needs no network: the headers are the ones installed
# with Node (include/node), so node-gyp is pointed at them with --nodedir.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT/native/sha256"

addon="build/Release/ferry_sha256.node"
stamp="build/.ferry-source"
want="$(cat sha256.c binding.gyp <(node --version) | sha256sum | cut -c1-16)"
[[ -f $addon && -f $stamp && "$(cat "$stamp")" == "$want" ]] && exit 0

node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
node_gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
mkdir -p "$LOG_DIR"
blog="$(log_file build-native)"
if [[ ! -f $node_prefix/include/node/node_api.h || ! -f $node_gyp ]] ||
  ! node "$node_gyp" rebuild --nodedir="$node_prefix" >"$blog" 2>&1; then
  rm -rf build
  log "warning: native SHA-256 not built (see $blog); transfers hash in JavaScript, slower"
  exit 0
fi
printf '%s\n' "$want" >"$stamp"
log "native SHA-256 built"
