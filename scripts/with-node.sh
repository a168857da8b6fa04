#!/usr/bin/env bash
# with-node.sh COMMAND...: runs COMMAND with the Node.js Ferry uses first on
# PATH (.tools/node when setup installed it, lib/node.sh). The npm scripts
# that run tsx directly go through it: npm itself does not put the Node it
# runs on first on PATH, so tsx's `#!/usr/bin/env node` would find the
# system's.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
exec "$@"
