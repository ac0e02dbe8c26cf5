# shellcheck shell=bash disable=SC2034,SC2153  # the variables are bootstrap's, set before it sources this
# Resource plugins: upstream providers and the Terraform-bridge wrappers (build_plugin dispatches
# on <P>_KIND), and their installation into the cache's PULUMI_HOME.
# Sourced by ../bootstrap.

# A provider plugin, built inside a writable copy of its module so that its own replace lines apply.
build_plugin() {
  if [[ "$1" == gitlab ]]; then build_gitlab_plugin; return; fi
  if [[ -n "$(var "$1" SOURCE)" ]]; then build_source_plugin "$1"; return; fi
  local p="$1" ver module modver cmd vvar replaces
  ver="$(var "$p" VERSION)" module="$(var "$p" MODULE)" modver="$(var "$p" MODULE_VERSION)"
  cmd="$(var "$p" CMD)" vvar="$(var "$p" VERSION_VAR)" replaces="$(var "$p" REPLACES)"
  local comp="$p v$ver" out bin="pulumi-resource-$p"; out="$(plugin_dir "$p")"
  local logf="$LOGS/$p-$ver.log" mod="$module@${modver:-?}" w="$SRC/$p-$ver" t=$SECONDS
  if built "$out" "$bin"; then
    if installed "$TC_HOME" "$p" "$ver"; then say "$comp: cached"; return 0; fi
  else
    started "$comp" "$logf"; : >"$logf"
    [[ -n "$modver" ]] || { fail "$comp" resolve "$module" "" "$(pfx "$p")_MODULE_VERSION is empty in $VERSIONS_FILE: the pseudo-version of the v$ver release commit is unknown (see README.md, Blocked)"; return 1; }
    # download
    local dir
    # (run from the cache dir: no go.mod there, so no caller's module is involved)
    dir="$(cd "$TC" && run "$logf" go mod download -json "$mod" && sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' "$logf" | tail -n 1)" || true
    if [[ -z "$dir" || ! -f "$dir/go.mod" ]]; then fail "$comp" download "$mod" "$logf" "the Go module proxy did not serve it"; return 1; fi
    # prepare: writable copy; rewrite the relative replace lines that point outside the module zip
    rm -rf "$w"; cp -r "$dir" "$w"; chmod -R u+w "$w"
    local r old new
    for r in $replaces; do
      old="${r%%=*}" new="${r#*=}"
      run "$logf" go -C "$w" mod edit -dropreplace="$old" -replace="$old=$new" \
        || { fail "$comp" prepare "$mod" "$logf" "cannot rewrite replace $old"; return 1; }
    done
    local rel
    rel="$(cd "$w" && go mod edit -json | sed -n 's/.*"Path": "\(\.\.\?\/[^"]*\)".*/\1/p' | sort -u | tr '\n' ' ')"
    if [[ -n "$rel" ]]; then
      fail "$comp" prepare "$mod" "$logf" "go.mod still replaces with directories outside the module zip: $rel(set $(pfx "$p")_REPLACES)"; return 1
    fi
    # generate: the embed files, as upstream's Makefile does (VERSION=<ver> go generate on main.go)
    if grep -q '^//go:generate' "$w/$cmd"/*.go 2>/dev/null; then
      (cd "$w/$cmd" && VERSION="$ver" run "$logf" "${NICE_CMD[@]}" go generate ./...) \
        || { fail "$comp" "$(step_or_download generate "$logf")" "$mod" "$logf" "go generate in $cmd failed"; return 1; }
    fi
    # fetch exactly the packages the plugin's main package needs (not the test-only module graph)
    (cd "$w" && run "$logf" go list -deps -f "{{with .Error}}{{.}}{{end}}" "./$cmd") >/dev/null \
      || { fail "$comp" "$(step_or_download prepare "$logf")" "$mod" "$logf" "go list -deps ./$cmd failed"; return 1; }
    # build
    mkdir -p "$out"
    (cd "$w" && CGO_ENABLED=0 run "$logf" "${NICE_CMD[@]}" go build -trimpath \
        -ldflags "-s -w -X $vvar=$ver" -o "$out/$bin.tmp" "./$cmd") \
      || { fail "$comp" "$(step_or_download build "$logf")" "$mod" "$logf" "go build failed"; return 1; }
    mv -f "$out/$bin.tmp" "$out/$bin"
    date -u +%FT%TZ >"$out/.built"
    finished "$comp" "$t"
  fi
  install_plugin "$p" "$mod" "$logf"
}

# install_plugin NAME MODULE LOG: the built binary into the cache's PULUMI_HOME, under the npm version.
install_plugin() {
  local p="$1" mod="$2" logf="$3" ver; ver="$(var "$p" VERSION)"
  local comp="$p v$ver" pulumi_bin; pulumi_bin="$(cli_dir)/pulumi"
  [[ -x "$pulumi_bin" ]] || { fail "$comp" install "$mod" "" "no pulumi CLI in $(cli_dir) to install the plugin with"; return 1; }
  PULUMI_HOME="$TC_HOME" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    run "$logf" "$pulumi_bin" plugin install resource "$p" "v$ver" --file "$(plugin_dir "$p")/pulumi-resource-$p" --reinstall --non-interactive \
    || { fail "$comp" install "$mod" "$logf" "pulumi plugin install failed"; return 1; }
  installed "$TC_HOME" "$p" "$ver" || { fail "$comp" install "$mod" "$logf" "plugin not found in $TC_HOME/plugins after install"; return 1; }
  say "$comp: installed into $TC_HOME"
}

# A plugin built from one of our own wrapper modules (<P>_SOURCE, go.mod and go.sum committed) on the
# Terraform bridge: tfgen writes the schema, which the resource binary embeds.
build_source_plugin() {
  if [[ "$(var "$1" KIND)" == go-provider ]]; then build_go_provider_plugin "$1"; return; fi
  local p="$1" ver src cmd tfgen vvar
  ver="$(var "$p" VERSION)" src="$(var "$p" SOURCE)" cmd="$(var "$p" CMD)" tfgen="$(var "$p" TFGEN_CMD)" vvar="$(var "$p" VERSION_VAR)"
  local comp="$p v$ver" out bin="pulumi-resource-$p" hash; out="$(plugin_dir "$p")" hash="$(source_hash "$p")"
  local logf="$LOGS/$p-$ver.log" w="$SRC/$p-$ver" t=$SECONDS ts
  local mod; mod="$src ($(var "$p" UPSTREAM), $(var "$p" BRIDGE))"
  if plugin_built "$p"; then
    if installed "$TC_HOME" "$p" "$ver"; then say "$comp: cached"; return 0; fi
    install_plugin "$p" "$mod" "$logf"; return
  fi
  started "$comp" "$logf"; : >"$logf"
  # The checksum database does not know these modules: their hashes come from the committed go.sum.
  local nosum; nosum="${GONOSUMDB:+$GONOSUMDB,}$(var "$p" NOSUMDB)"
  local -x GONOSUMDB="$nosum"
  # resolve: versions.env is the one place that pins; the wrapper's go.mod must say the same.
  local pin m v
  for pin in "$(var "$p" UPSTREAM)" "$(var "$p" BRIDGE)"; do
    m="${pin%@*}" v="${pin##*@}"
    grep -Eq "^[[:space:]]*(require[[:space:]]+)?${m//./\\.} ${v//./\\.}([[:space:]]|\$)" "$ROOT/$src/go.mod" \
      || { fail "$comp" resolve "$pin" "" "$src/go.mod does not require $m $v as $VERSIONS_FILE pins it"; return 1; }
  done
  # prepare: a copy, so the generated embed files never land in the work tree
  rm -rf "$w"; mkdir -p "$w" "$out"
  cp -r "$ROOT/$src/." "$w/" || { fail "$comp" prepare "$src" "" "cannot copy $src into $w"; return 1; }
  rm -f "$w/$cmd/schema.json" "$w/$cmd/bridge-metadata.json"
  # download: exactly the packages tfgen needs (a superset of the resource binary's, whose embed
  # files do not exist yet), checked against go.sum (-mod=readonly)
  ts=$SECONDS
  (cd "$w" && run "$logf" go list -mod=readonly -deps -f '{{with .Error}}{{.}}{{end}}' "./$tfgen") >/dev/null \
    || { fail "$comp" "$(step_or_download download "$logf")" "$mod" "$logf" "go list -deps failed"; return 1; }
  say "$comp: download done in $((SECONDS - ts)) s"
  # generate: tfgen, then the schema and bridge metadata the resource binary embeds
  ts=$SECONDS
  local ldflags="-s -w -X $vvar=$ver"
  (cd "$w" && CGO_ENABLED=0 run "$logf" "${NICE_CMD[@]}" go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$out/pulumi-tfgen-$p" "./$tfgen") \
    || { fail "$comp" "$(step_or_download generate "$logf")" "$mod" "$logf" "go build ./$tfgen failed"; return 1; }
  (cd "$w" && run "$logf" "${NICE_CMD[@]}" "$out/pulumi-tfgen-$p" schema --skip-docs --skip-examples --out "$w/$cmd") \
    || { fail "$comp" generate "$mod" "$logf" "pulumi-tfgen-$p schema failed"; return 1; }
  [[ -s "$w/$cmd/schema.json" && -s "$w/$cmd/bridge-metadata.json" ]] \
    || { fail "$comp" generate "$mod" "$logf" "tfgen wrote no schema.json/bridge-metadata.json into $w/$cmd"; return 1; }
  cp -f "$w/$cmd/schema.json" "$out/schema.json"
  say "$comp: generate done in $((SECONDS - ts)) s (schema.json $(($(stat -c %s "$out/schema.json") / 1024)) KiB)"
  # build
  ts=$SECONDS
  (cd "$w" && CGO_ENABLED=0 run "$logf" "${NICE_CMD[@]}" go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$out/$bin.tmp" "./$cmd") \
    || { fail "$comp" "$(step_or_download build "$logf")" "$mod" "$logf" "go build ./$cmd failed"; return 1; }
  check_built_version "$comp" "$out/$bin.tmp" "$ver" "$mod" "$logf" || return 1
  say "$comp: build done in $((SECONDS - ts)) s"
  keep_built_plugin "$p" "$comp" "$out" "$bin" "$hash" "$mod" "$logf" "$t"
}
