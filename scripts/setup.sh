#!/usr/bin/env bash
# Installs Ferry's npm dependencies and generates the Prisma client, only when
# the lock file or the schema changed since the last run.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

need_cmd node "Node.js 20 or newer (apt-get install nodejs, or nodejs.org)"
need_cmd npm "npm (comes with Node.js)"

# The export tests' validator checks archives with an independent reader (Info-ZIP's `unzip -t`).
if ! command -v unzip >/dev/null 2>&1; then
  log "installing unzip (Debian package) for the export tests"
  apt_install unzip
fi

stamp_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

deps_stamp="node_modules/.ferry-deps"
want="$(stamp_of package-lock.json)"
if [[ ! -f $deps_stamp || "$(cat "$deps_stamp")" != "$want" ]]; then
  log "installing npm dependencies"
  # Not `npm ci`: the registry these machines reach serves only the Linux
  # builds of @swc/core's optional platform packages, so the lock file cannot
  # list the others and `npm ci` refuses it as out of sync. `npm install`
  # still installs exactly the locked versions.
  npm install --no-audit --no-fund --loglevel=error
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
