# shellcheck shell=bash disable=SC2034,SC2153  # the variables are bootstrap's, set before it sources this
# Running a build step into its log, naming a failed step (and whether the module proxy refused a
# download), and the start/finish lines.
# Sourced by ../bootstrap.

# fail COMPONENT STEP MODULE LOG MESSAGE: report a broken step; stops unless --keep-going.
fail() {
  local comp="$1" step="$2" module="$3" logf="$4" msg="$5"
  if [[ -n "$logf" && -s "$logf" ]]; then tail -n 25 "$logf" | sed 's/^/    | /' >&2; fi
  say "ERROR: $comp: step '$step' failed for module $module: $msg${logf:+ (log: $logf)}"
  FAILED+=("$comp:$step")
  if [[ $KEEP_GOING -eq 0 ]]; then
    say "stopped after $((SECONDS - T0)) s; fix the step above or re-run with --keep-going"
    exit 1
  fi
  return 1
}

# run LOG cmd...: append the command and its output to LOG.
run() {
  local logf="$1"; shift
  printf '\n$ %s\n' "$*" >>"$logf"
  "$@" >>"$logf" 2>&1
}

# step_or_download STEP LOG: a step that failed because the proxy refused a module is a 'download' failure.
step_or_download() {
  if grep -qE 'This module version is not available|Go module path not permitted|403 Forbidden|404 Not Found|410 Gone|unknown revision' "$2" 2>/dev/null; then
    printf 'download'
  else
    printf '%s' "$1"
  fi
}

started() { say "$1: building… (log: $2)"; }
finished() { say "$1: built in $(( SECONDS - $2 )) s"; }

# check_built_version COMP BINARY VERSION MOD LOG: the fresh binary must print exactly VERSION for
# -version (the version stamped by -ldflags), or the build failed.
check_built_version() {
  local got; got="$("$2" -version 2>>"$5")" || true
  [[ "$got" == "$3" ]] || { fail "$1" build "$4" "$5" "built binary reports version '$got', not $3"; return 1; }
}
# keep_built_plugin P COMP OUT BIN HASH MOD LOG T: the checked <BIN>.tmp becomes the cached binary,
# stamped with the source hash it was built from, and is installed into the toolchain's PULUMI_HOME.
keep_built_plugin() {
  mv -f "$3/$4.tmp" "$3/$4"
  printf '%s\n' "$5" >"$3/.built"
  finished "$2" "$8"
  install_plugin "$1" "$6" "$7"
}
