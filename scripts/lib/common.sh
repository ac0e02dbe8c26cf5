# shellcheck shell=bash disable=SC2034  # its variables are for the scripts that source it
# What every script of this repository shares, sourced first thing:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"   (the path relative to the script)
#   log_tag NAME [stdout]
# then:
#   say/log TEXT…      one line "[NAME] TEXT" on stderr (on stdout with `log_tag NAME stdout`, for
#                      scripts whose log is their output)
#   die TEXT…          "[NAME] ERROR: TEXT", exit 1
#   CICD_CACHE_ROOT    the cache of every version-keyed build: ${CICD_CACHE:-$HOME/.cache/cicd-platform}
#   CICD_REPO_ROOT     the repository's top directory
# and the pid handling of ./pids.sh (processes started, recorded and stopped by pid and group).
# It sets no shell options: each script keeps its own `set -euo pipefail`.

CICD_CACHE_ROOT="${CICD_CACHE:-$HOME/.cache/cicd-platform}"
CICD_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

__cicd_log_tag=cicd
__cicd_log_fd=2
log_tag() {
  __cicd_log_tag="$1"
  __cicd_log_fd=2
  if [[ "${2:-}" == stdout ]]; then __cicd_log_fd=1; fi
}
say() { printf '[%s] %s\n' "$__cicd_log_tag" "$*" >&"$__cicd_log_fd"; }
log() { say "$@"; }
die() {
  say "ERROR: $*"
  exit 1
}

# shellcheck source=pids.sh
source "$(dirname "${BASH_SOURCE[0]}")/pids.sh"
