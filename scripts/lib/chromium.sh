# shellcheck shell=bash
# ensure_chromium: the browser tests (docs page, status page) drive Debian's
# Chromium through playwright-core. playwright's own browser download cannot
# reach its host from these machines, so the system package is used instead.
ensure_chromium() {
  if [[ -x "${FERRY_CHROMIUM:-/usr/bin/chromium}" ]]; then return 0; fi
  command -v apt-get >/dev/null 2>&1 || die "Chromium is missing and apt-get is not available: install chromium, or set FERRY_CHROMIUM to its path"
  log "installing Chromium from Debian's packages (browser tests)"
  local sudo=""
  ((EUID == 0)) || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium >"$LOG_DIR/chromium-install.log" 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >>"$LOG_DIR/chromium-install.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium >>"$LOG_DIR/chromium-install.log" 2>&1; } ||
    die "could not install Chromium; see $LOG_DIR/chromium-install.log"
}
