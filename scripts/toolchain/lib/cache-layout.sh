# shellcheck shell=bash disable=SC2034,SC2153  # the variables are bootstrap's, set before it sources this
# Where each part of the toolchain lives in the cache, whether it is built and installed, and the
# bin directory env.sh puts on PATH.
# Sourced by ../bootstrap.

# Upper-case variable prefix of a plugin name (kubernetes -> KUBERNETES).
pfx() { printf '%s' "$1" | tr '[:lower:]-' '[:upper:]_'; }
var() { local n; n="$(pfx "$1")_$2"; printf '%s' "${!n:-}"; }

cli_dir() { printf '%s/pulumi-%s' "$TC" "$PULUMI_VERSION"; }
host_dir() { cli_dir; }
plugin_dir() { printf '%s/%s-%s' "$TC" "$1" "$(var "$1" VERSION)"; }
# built: a binary is in the cache with its completion stamp (written last, after a build succeeded).
built() { [[ -x "$1/$2" && -f "$1/.built" ]]; }
# source_hash NAME: the inputs of a plugin built from one of our own modules (<P>_SOURCE): its
# version and every file but tests and generated ones, so an edit rebuilds it under the same version.
source_hash() {
  local src; src="$ROOT/$(var "$1" SOURCE)"
  {
    printf '%s\n' "$(var "$1" VERSION)"
    (cd "$src" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) ! -name '*_test.go' | LC_ALL=C sort | xargs cat)
  } | sha256sum | cut -c1-16
}
# plugin_built NAME: built, and for our own modules built from the current sources.
plugin_built() {
  built "$(plugin_dir "$1")" "pulumi-resource-$1" || return 1
  [[ -z "$(var "$1" SOURCE)" || "$(cat "$(plugin_dir "$1")/.built")" == "$(source_hash "$1")" ]]
}
# installed HOME NAME VERSION: plugin present (and complete) in a PULUMI_HOME.
installed() {
  local d="$1/plugins/resource-$2-v$3"
  [[ -x "$d/pulumi-resource-$2" && ! -e "$d.partial" ]]
}

# write_active BIN_DIR PULUMI_HOME ACQUISITION: what env.sh puts on PATH and exports.
write_active() {
  mkdir -p "$TC"
  printf 'TOOLCHAIN_BIN_DIR=%q\nTOOLCHAIN_PULUMI_HOME=%q\nTOOLCHAIN_PLUGIN_ACQUISITION=%q\n' "$1" "$2" "$3" >"$TC/active.env.tmp"
  mv -f "$TC/active.env.tmp" "$TC/active.env"
}

link_bins() {
  mkdir -p "$TC_BIN"
  if built "$(cli_dir)" pulumi; then ln -sfn "$(cli_dir)/pulumi" "$TC_BIN/pulumi"; fi
  if [[ -x "$(host_dir)/pulumi-language-nodejs" ]]; then
    ln -sfn "$(host_dir)/pulumi-language-nodejs" "$TC_BIN/pulumi-language-nodejs"
  fi
  # Launchers for dynamic providers and policy packs (shims/): release archives ship their own.
  local shim
  for shim in "$HERE"/shims/*; do install -m 0755 "$shim" "$TC_BIN/$(basename "$shim")"; done
  write_active "$TC_BIN" "$TC_HOME" off
}

report_unavailable() {
  local p
  for p in ${UNAVAILABLE_PLUGINS:-}; do
    say "$p v$(var "$p" VERSION): unavailable here (the Go module proxy refuses $(var "$p" MODULE); see scripts/toolchain/README.md)"
  done
}
