# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# Sourced by scripts/ci/preview and scripts/ci/up: puts the Pulumi toolchain on PATH and turns CI
# secrets that arrive as file contents into files. Sets no shell options.
#   KUBECONFIG_DATA   a kubeconfig's content (environment secret); written to a private temp file
#                     and exported as KUBECONFIG, unless KUBECONFIG is already set
__cicd_ci_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if ! command -v pulumi >/dev/null 2>&1 && [[ -f "$__cicd_ci_root/scripts/toolchain/env.sh" ]]; then
  # shellcheck source=../toolchain/env.sh
  source "$__cicd_ci_root/scripts/toolchain/env.sh"
fi
export PULUMI_SKIP_UPDATE_CHECK=true
if [[ -n "${KUBECONFIG_DATA:-}" && -z "${KUBECONFIG:-}" ]]; then
  KUBECONFIG="$(umask 077 && mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kubeconfig.XXXXXX")"
  printf '%s\n' "$KUBECONFIG_DATA" >"$KUBECONFIG"
  export KUBECONFIG
fi
unset __cicd_ci_root
