#!/usr/bin/env bash
# Builds the native code that makes transfers fast, offline, when its source
# changed. Both parts are optional: without a C compiler Ferry still works,
# slower, and says so.
#   - native/sha256: Ferry's addon, resumable SHA-256 at OpenSSL speed (the
#     worker otherwise uses the JavaScript twin of the same state format).
#   - ssh2's optional crypto binding (AES-GCM without a cipher object per
#     packet), whose install script npm holds back (package.json allowScripts).
# The headers are the ones installed with Node (include/node), so node-gyp is
# pointed at them with --nodedir and downloads nothing.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
node_gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
openssl_major="$(node -p '/^\d+/.exec(process.versions.openssl)[0]')"
# Under `npm run`, npm exports its config as npm_config_* variables, and
# node-gyp takes npm_config_nodedir (a user's ~/.npmrc may name another Node's
# headers, /usr for the system's) over --nodedir: ssh2's binding then built
# for the wrong ABI and failed to load ("Module did not self-register").
export npm_config_nodedir="$node_prefix"
unset NPM_CONFIG_NODEDIR

# build NAME DIR ADDON SOURCES...: node-gyp rebuild in DIR unless ADDON is
# there and was built from the same SOURCES with the same Node.
build() {
  local name="$1" dir="$2" addon="$3" want blog
  shift 3
  want="$(cd "$dir" && cat "$@" <(node --version) <(echo "nodedir=$node_prefix") | sha256sum | cut -c1-16)"
  [[ -f $dir/$addon && -f $dir/build/.ferry-source && "$(cat "$dir/build/.ferry-source")" == "$want" ]] &&
    return 0
  mkdir -p "$LOG_DIR"
  blog="$(log_file "build-$name")"
  if [[ ! -f $node_prefix/include/node/node_api.h || ! -f $node_gyp ]] ||
    ! (cd "$dir" && node "$node_gyp" rebuild --nodedir="$node_prefix" \
      --real_openssl_major="$openssl_major" >"$blog" 2>&1); then
    rm -rf "${dir:?}/build"
    log "warning: $name: native build failed (see $blog); Ferry works without it, slower"
    return 0
  fi
  printf '%s\n' "$want" >"$dir/build/.ferry-source"
  log "$name: native code built"
}

build sha256 "$ROOT/native/sha256" build/Release/ferry_sha256.node sha256.c binding.gyp
build ssh2-crypto "$ROOT/node_modules/ssh2/lib/protocol/crypto" build/Release/sshcrypto.node \
  src/binding.cc binding.gyp
