# shellcheck shell=bash disable=SC2034,SC2153  # the variables are bootstrap's, set before it sources this
# Plugins of this repository on pulumi-go-provider: command (<P>_KIND=go-provider) and gitlab.
# Sourced by ../bootstrap.

# ---- plugins of ours on pulumi-go-provider (<P>_KIND=go-provider: command) ------------------------
# A provider module of this repository written on pulumi-go-provider's `infer` package: its schema
# comes from the Go types at run time, so there is no generate step. Steps: resolve (the module's
# go.mod requires exactly the <P>_REQUIRES pins) -> prepare (a copy in src/) -> download (the
# packages of the main package, checked against the committed go.sum) -> build (version stamped;
# `-version` must print it) -> schema (`pulumi package get-schema` must name the plugin and its
# version) -> install.
build_go_provider_plugin() {
  local p="$1" ver src cmd vvar
  ver="$(var "$p" VERSION)" src="$(var "$p" SOURCE)" cmd="$(var "$p" CMD)" vvar="$(var "$p" VERSION_VAR)"
  local comp="$p v$ver" out bin="pulumi-resource-$p" hash; out="$(plugin_dir "$p")" hash="$(source_hash "$p")"
  local logf="$LOGS/$p-$ver.log" w="$SRC/$p-$ver" t=$SECONDS ts
  local mod; mod="$src ($(var "$p" REQUIRES))"
  if plugin_built "$p"; then
    if installed "$TC_HOME" "$p" "$ver"; then say "$comp: cached"; return 0; fi
    install_plugin "$p" "$mod" "$logf"; return
  fi
  started "$comp" "$logf"; : >"$logf"
  # resolve: versions.env is the one place that pins; the module's go.mod must say the same.
  local pin m v
  for pin in $(var "$p" REQUIRES); do
    m="${pin%@*}" v="${pin##*@}"
    grep -Eq "^[[:space:]]*(require[[:space:]]+)?${m//./\\.} ${v//./\\.}([[:space:]]|\$)" "$ROOT/$src/go.mod" \
      || { fail "$comp" resolve "$pin" "" "$src/go.mod does not require $m $v as $VERSIONS_FILE pins it"; return 1; }
  done
  say "$comp: resolve done"
  # prepare: a copy, so nothing the build writes lands in the work tree
  rm -rf "$w"; mkdir -p "$w" "$out"
  cp -r "$ROOT/$src/." "$w/" || { fail "$comp" prepare "$src" "" "cannot copy $src into $w"; return 1; }
  say "$comp: prepare done"
  ts=$SECONDS
  (cd "$w" && run "$logf" go list -mod=readonly -deps -f '{{with .Error}}{{.}}{{end}}' "./$cmd") >/dev/null \
    || { fail "$comp" "$(step_or_download download "$logf")" "$mod" "$logf" "go list -deps ./$cmd failed"; return 1; }
  say "$comp: download done in $((SECONDS - ts)) s"
  ts=$SECONDS
  # The CLI's own build flags (tags, cgo off, trimpath): every package the two share (the pulumi
  # sdk, grpc…) then comes from the Go build cache the CLI's build filled.
  (cd "$w" && CGO_ENABLED=0 run "$logf" "${NICE_CMD[@]}" go build -mod=readonly -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X $vvar=$ver" -o "$out/$bin.tmp" "./$cmd") \
    || { fail "$comp" "$(step_or_download build "$logf")" "$mod" "$logf" "go build ./$cmd failed"; return 1; }
  check_built_version "$comp" "$out/$bin.tmp" "$ver" "$mod" "$logf" || return 1
  say "$comp: build done in $((SECONDS - ts)) s"
  ts=$SECONDS
  local pulumi_bin; pulumi_bin="$(cli_dir)/pulumi"
  [[ -x "$pulumi_bin" ]] || { fail "$comp" schema "$mod" "" "no pulumi CLI in $(cli_dir) to read the schema with"; return 1; }
  PULUMI_HOME="$TC_HOME" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    "$pulumi_bin" package get-schema "$out/$bin.tmp" >"$out/schema.json.tmp" 2>>"$logf" \
    || { fail "$comp" schema "$mod" "$logf" "pulumi package get-schema failed"; return 1; }
  if ! grep -q "\"name\": *\"$p\"" "$out/schema.json.tmp" || ! grep -q "\"version\": *\"$ver\"" "$out/schema.json.tmp"; then
    fail "$comp" schema "$mod" "$logf" "the schema does not name $p $ver"
    return 1
  fi
  mv -f "$out/schema.json.tmp" "$out/schema.json"
  say "$comp: schema done in $((SECONDS - ts)) s"
  keep_built_plugin "$p" "$comp" "$out" "$bin" "$hash" "$mod" "$logf" "$t"
}

# ---- gitlab: our own provider (tools/provider-gitlab) on pulumi-go-provider and GitLab's client-go --
# No code generation: the schema is inferred from the Go types at run time. Steps: resolve (go.mod
# requires what versions.env pins), download (exactly the packages the plugin needs, checked against
# the committed go.sum), build (version stamped, checked with -version), install. Cached under the
# hash of the module's sources.
build_gitlab_plugin() {
  local p=gitlab ver src cmd vvar
  ver="$(var "$p" VERSION)" src="$(var "$p" SOURCE)" cmd="$(var "$p" CMD)" vvar="$(var "$p" VERSION_VAR)"
  local comp="$p v$ver" out bin="pulumi-resource-$p" hash; out="$(plugin_dir "$p")" hash="$(source_hash "$p")"
  local logf="$LOGS/$p-$ver.log" t=$SECONDS ts
  local mod; mod="$src ($(var "$p" GO_PROVIDER), $(var "$p" CLIENT))"
  if plugin_built "$p"; then
    if installed "$TC_HOME" "$p" "$ver"; then say "$comp: cached"; return 0; fi
    install_plugin "$p" "$mod" "$logf"; return
  fi
  started "$comp" "$logf"; : >"$logf"
  local pin m v
  for pin in "$(var "$p" GO_PROVIDER)" "$(var "$p" CLIENT)" "$(var "$p" PULUMI_SDK)"; do
    m="${pin%@*}" v="${pin##*@}"
    grep -Eq "^[[:space:]]*(require[[:space:]]+)?${m//./\\.} ${v//./\\.}([[:space:]]|\$)" "$ROOT/$src/go.mod" \
      || { fail "$comp" resolve "$pin" "" "$src/go.mod does not require $m $v as $VERSIONS_FILE pins it"; return 1; }
  done
  say "$comp: resolve done"
  ts=$SECONDS
  (cd "$ROOT/$src" && run "$logf" go list -mod=readonly -deps -f '{{with .Error}}{{.}}{{end}}' "./$cmd") >/dev/null \
    || { fail "$comp" "$(step_or_download download "$logf")" "$mod" "$logf" "go list -deps failed"; return 1; }
  say "$comp: download done in $((SECONDS - ts)) s"
  ts=$SECONDS
  mkdir -p "$out"
  (cd "$ROOT/$src" && CGO_ENABLED=0 run "$logf" "${NICE_CMD[@]}" go build -mod=readonly -trimpath \
      -ldflags "-s -w -X $vvar=$ver" -o "$out/$bin.tmp" "./$cmd") \
    || { fail "$comp" "$(step_or_download build "$logf")" "$mod" "$logf" "go build ./$cmd failed"; return 1; }
  check_built_version "$comp" "$out/$bin.tmp" "$ver" "$mod" "$logf" || return 1
  say "$comp: build done in $((SECONDS - ts)) s"
  keep_built_plugin "$p" "$comp" "$out" "$bin" "$hash" "$mod" "$logf" "$t"
}
