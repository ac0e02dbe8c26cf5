# shellcheck shell=bash
# Source this file (after scripts/toolchain/bootstrap) to use the Pulumi toolchain bootstrap chose:
#   source scripts/toolchain/env.sh
# It exports:
#   PATH          the chosen bin directory first (pulumi, pulumi-language-nodejs)
#   PULUMI_HOME   the chosen plugin home (the cache's, where bootstrap installed the plugins)
#   PULUMI_SKIP_UPDATE_CHECK=true                     no "new version available" call home
#   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true  a missing plugin is an error, not a download;
#                 left alone when bootstrap chose an installed CLI that can reach its plugin site
# It does not set a backend, a passphrase or PULUMI_SKIP_CONFIRMATIONS: those are the caller's
# choice (see README.md). It sets no shell options and leaves no helper variables behind.
# bootstrap records its choice in <cache>/toolchain/active.env.

__cicd_tc_root="${CICD_CACHE:-$HOME/.cache/cicd-platform}/toolchain"
__cicd_tc_bin="$__cicd_tc_root/bin"
__cicd_tc_home="$__cicd_tc_root/pulumi-home"
__cicd_tc_acq=off
if [ -r "$__cicd_tc_root/active.env" ]; then
  # KEY=value lines written by bootstrap (values shell-quoted).
  # shellcheck source=/dev/null
  __cicd_tc_bin="$(. "$__cicd_tc_root/active.env" && printf '%s' "$TOOLCHAIN_BIN_DIR")"
  # shellcheck source=/dev/null
  __cicd_tc_home="$(. "$__cicd_tc_root/active.env" && printf '%s' "$TOOLCHAIN_PULUMI_HOME")"
  # shellcheck source=/dev/null
  __cicd_tc_acq="$(. "$__cicd_tc_root/active.env" && printf '%s' "${TOOLCHAIN_PLUGIN_ACQUISITION:-off}")"
fi
if [ ! -x "$__cicd_tc_bin/pulumi" ]; then
  printf '[toolchain] warning: no pulumi in %s yet: run scripts/toolchain/bootstrap\n' "$__cicd_tc_bin" >&2
fi
case ":$PATH:" in
  ":$__cicd_tc_bin:"*) ;; # already first
  *) PATH="$__cicd_tc_bin:$PATH" ;;
esac
export PATH
export PULUMI_HOME="$__cicd_tc_home"
export PULUMI_SKIP_UPDATE_CHECK=true
if [ "$__cicd_tc_acq" = auto ]; then
  unset PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION
else
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
fi
unset __cicd_tc_root __cicd_tc_bin __cicd_tc_home __cicd_tc_acq
