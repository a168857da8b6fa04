#!/usr/bin/env bash
# Installs Ferry's npm dependencies and generates the Prisma client, only when
# the lock file or the schema changed since the last run.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/node.sh
source "$ROOT/scripts/lib/node.sh"
cd "$ROOT"

need_cmd npm "npm, which comes with Node.js (apt-get install nodejs npm, or nodejs.org)"
ensure_node
need_cmd node "Node.js 22 or newer (nodejs.org)"

# The export tests' validator checks archives with an independent reader (Info-ZIP's `unzip -t`).
if ! command -v unzip >/dev/null 2>&1; then
  log "installing unzip (Debian package) for the export tests"
  apt_install unzip
fi

stamp_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

deps_stamp="node_modules/.ferry-deps"
want="$(stamp_of package-lock.json)"
if [[ ! -f $deps_stamp || "$(cat "$deps_stamp")" != "$want" ]]; then
  log "installing npm dependencies (Node $(node --version))"
  # A fresh checkout gets exactly the lock file (`npm ci`); an existing one is
  # brought up to a changed lock file by `npm install`, which keeps what is
  # already installed (npm ci would delete node_modules and download it all).
  if [[ -d node_modules ]]; then
    npm install --no-audit --no-fund --loglevel=error
  else
    npm ci --no-audit --no-fund --loglevel=error
  fi
  printf '%s\n' "$want" >"$deps_stamp"
fi

gen_stamp="src/generated/.ferry-schema"
want="$(stamp_of prisma/schema.prisma package-lock.json)"
if [[ ! -f $gen_stamp || "$(cat "$gen_stamp")" != "$want" ]]; then
  log "generating the Prisma client"
  # `prisma generate` does not run the schema engine, but looks for one and
  # would try to download it; any existing file satisfies the lookup.
  PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$(type -P true)}" \
    npx prisma generate >/dev/null
  printf '%s\n' "$want" >"$gen_stamp"
fi

bash "$ROOT/scripts/build-native.sh"
