# shellcheck shell=bash disable=SC2034,SC2153  # the variables are bootstrap's, set before it sources this
# The engine itself: the Pulumi CLI and the Node.js language host beside it.
# Sourced by ../bootstrap.

# The Pulumi CLI: wrapper module requiring pkg/v3 and sdk/v3 at the same tag.
build_cli() {
  local comp="pulumi v$PULUMI_VERSION" out; out="$(cli_dir)"
  if built "$out" pulumi; then say "$comp: cached"; return 0; fi
  local t=$SECONDS w="$SRC/pulumi-$PULUMI_VERSION" logf="$LOGS/pulumi-$PULUMI_VERSION.log" mod="$PULUMI_MODULE@$PULUMI_MODULE_VERSION"
  started "$comp" "$logf"; : >"$logf"
  rm -rf "$w"; mkdir -p "$w"
  cat >"$w/go.mod" <<EOF
module cicd-platform.local/toolchain/pulumi

go 1.26.6

require (
	$PULUMI_MODULE $PULUMI_MODULE_VERSION
	$PULUMI_SDK_MODULE $PULUMI_MODULE_VERSION
)

replace ${PULUMI_CLIPBOARD_REPLACE%%=*} => ${PULUMI_CLIPBOARD_REPLACE#*=}
EOF
  sed -i 's/ => \(.*\)@/ => \1 /' "$w/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/pulumi"\n' "$PULUMI_MODULE" >"$w/tools.go"
  (cd "$w" && run "$logf" go mod tidy) || { fail "$comp" "$(step_or_download download "$logf")" "$mod" "$logf" "go mod tidy could not resolve the module graph"; return 1; }
  mkdir -p "$out"
  (cd "$w" && CGO_ENABLED=0 run "$logf" "${NICE_CMD[@]}" go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      -o "$out/pulumi.tmp" "$PULUMI_MODULE/cmd/pulumi") \
    || { fail "$comp" "$(step_or_download build "$logf")" "$mod" "$logf" "go build failed"; return 1; }
  mv -f "$out/pulumi.tmp" "$out/pulumi"
  local v; v="$("$out/pulumi" version 2>>"$logf")" || true
  [[ "$v" == "v$PULUMI_VERSION" ]] || { fail "$comp" build "$mod" "$logf" "built binary reports '$v'"; return 1; }
  date -u +%FT%TZ >"$out/.built"
  finished "$comp" "$t"
}

# The Node.js language host: the project's own (tools/language-nodejs), because the proxy refuses the
# upstream module at every version. The CLI only takes it as a real file beside the pulumi binary.
build_host() {
  local comp="pulumi-language-nodejs v$LANGUAGE_NODEJS_VERSION" logf="$LOGS/pulumi-language-nodejs-$LANGUAGE_NODEJS_VERSION.log"
  local t=$SECONDS bin
  bin="$("$ROOT/tools/language-nodejs/build" 2>>"$logf")" \
    || { fail "$comp" build "tools/language-nodejs" "$logf" "the project's language host did not build"; return 1; }
  [[ -d "$(cli_dir)" ]] || { fail "$comp" install "tools/language-nodejs" "" "no pulumi CLI in $(cli_dir) to place it beside"; return 1; }
  if ! cmp -s "$bin" "$(host_dir)/pulumi-language-nodejs"; then
    cp -f "$bin" "$(host_dir)/pulumi-language-nodejs.tmp" && mv -f "$(host_dir)/pulumi-language-nodejs.tmp" "$(host_dir)/pulumi-language-nodejs"
    date -u +%FT%TZ >"$(host_dir)/.built-host"
    say "$comp: installed beside pulumi in $((SECONDS - t)) s"
  else
    say "$comp: cached"
  fi
}
