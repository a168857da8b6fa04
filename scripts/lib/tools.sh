# shellcheck shell=bash
# Builds the Go-based service binaries into $TOOLS_DIR from the Go module
# proxy (the only place these machines can get them from). Needs common.sh.

# temporal CLI = dev server with SQLite and the Web UI. v1.5.1 is the last tag
# without a `replace` directive, which `go install pkg@version` refuses.
TEMPORAL_PKG="github.com/temporalio/cli/cmd/temporal"
TEMPORAL_VERSION="v1.5.1"
# MinIO has no semver tags. The proxy answers 403 for the older
# pseudo-version v0.0.0-20251015172955-9e49d5e7a648 (RELEASE.2025-10-15), so
# we pin this later commit, which it serves.
MINIO_PKG="github.com/minio/minio"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"

ensure_temporal() { ensure_go_tool temporal "$TEMPORAL_PKG" "$TEMPORAL_VERSION"; }
ensure_minio() { ensure_go_tool minio "$MINIO_PKG" "$MINIO_VERSION"; }

# built_version BIN: the main module version recorded in a Go binary (the
# same data `go version -m` prints), without running the binary.
built_version() {
  command -v go >/dev/null 2>&1 || return 0
  go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

# ensure_go_tool NAME PKG VERSION: reuse $TOOLS_DIR/NAME when its stamp file
# names VERSION; otherwise go install it. The stamp makes the check free (no
# go needed once built); a binary without a stamp (built by hand) is accepted
# when the binary itself says it is VERSION.
ensure_go_tool() {
  local name="$1" pkg="$2" version="$3"
  local bin="$TOOLS_DIR/$name" stamp="$TOOLS_DIR/.$name.version"
  if [[ -x $bin && -f $stamp && "$(<"$stamp")" == "$version" ]]; then
    return 0
  fi
  mkdir -p "$TOOLS_DIR" "$LOG_DIR"
  if [[ -x $bin && "$(built_version "$bin")" == "$version" ]]; then
    printf '%s\n' "$version" >"$stamp"
    return 0
  fi
  need_cmd go "Go >= 1.25 from https://go.dev/dl (or the distribution's golang package)"
  build_go_tool "$name" "$pkg@$version"
  printf '%s\n' "$version" >"$stamp"
}

# build_go_tool NAME PKG@VERSION: go install into $TOOLS_DIR, output to a log
# (it is long); on failure show its end, where go puts the reason.
build_go_tool() {
  local name="$1" target="$2" blog
  blog="$(log_file "build-$name")"
  log "building $name (first run only, a few minutes)"
  rm -f "$TOOLS_DIR/.$name.version"
  if ! GOBIN="$TOOLS_DIR" go install "$target" >"$blog" 2>&1; then
    tail -n 20 "$blog" >&2
    die "go install $target failed; full log: $blog"
  fi
  log "$name: built $target"
}
