# shellcheck shell=bash
# Source this file (after scripts/toolchain/bootstrap) to use the offline Pulumi toolchain:
#   source scripts/toolchain/env.sh
# It exports:
#   PATH          the toolchain's bin directory first (pulumi, pulumi-language-nodejs)
#   PULUMI_HOME   the toolchain's plugin home in the cache (plugins installed by bootstrap)
#   PULUMI_SKIP_UPDATE_CHECK=true                     no "new version available" call home
#   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true  a missing plugin is an error, not a download
# It does not set a backend, a passphrase or PULUMI_SKIP_CONFIRMATIONS: those are the caller's
# choice (see README.md). It sets no shell options and leaves no helper variables behind.
# If bootstrap chose an already installed pulumi (same version, all plugins present), the
# bin directory and PULUMI_HOME are that installation's (recorded in <cache>/toolchain/active.env).

__cicd_tc_root="${CICD_CACHE:-$HOME/.cache/cicd-platform}/toolchain"
__cicd_tc_bin="$__cicd_tc_root/bin"
__cicd_tc_home="$__cicd_tc_root/pulumi-home"
if [ -r "$__cicd_tc_root/active.env" ]; then
  # Two KEY=value lines written by bootstrap (values shell-quoted).
  __cicd_tc_bin="$(. "$__cicd_tc_root/active.env" && printf '%s' "$TOOLCHAIN_BIN_DIR")"
  __cicd_tc_home="$(. "$__cicd_tc_root/active.env" && printf '%s' "$TOOLCHAIN_PULUMI_HOME")"
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
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
unset __cicd_tc_root __cicd_tc_bin __cicd_tc_home
