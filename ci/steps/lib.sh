# shellcheck shell=bash
# Sourced by every step script: strict mode, messages, variable checks, the registry login, and a
# private scratch directory removed on exit. Exit codes shared by all steps:
#   0 done; 1 the step's own check failed (build, test, scan, signature, E2E…);
#   2 a variable is missing or invalid; 3 a tool the job image must provide is missing.
set -euo pipefail

STEP="${0##*/}"
say() { printf '[%s] %s\n' "$STEP" "$*" >&2; }
fail() {
  say "$*"
  exit 1
}
usage_error() {
  say "$*"
  exit 2
}

# need NAME...: every variable must be set and not empty.
need() {
  local name
  for name in "$@"; do
    [[ -n "${!name:-}" ]] || usage_error "$name is required (the variables are listed at the top of this script)"
  done
}

# need_tool BINARY...: on PATH, or exit 3.
need_tool() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || {
      say "$tool is not on PATH: the job image must provide it"
      exit 3
    }
  done
}

# one_of NAME VALUE...: the variable's value must be one of the values.
one_of() {
  local name="$1" value
  shift
  for value in "$@"; do
    [[ "${!name}" == "$value" ]] && return 0
  done
  usage_error "$name: \"${!name}\" is not one of: $*"
}

# A private directory (mktemp -d: mode 0700) for keys and auth files, gone when the step ends however it ends.
# TMPDIR may name a directory on the build volume that does not exist yet.
mkdir -p "${TMPDIR:-/tmp}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cicd-step.XXXXXX")"
cleanup_work() { rm -rf "$WORK"; }
trap cleanup_work EXIT

# registry_login: makes REGISTRY_AUTH_FILE usable. A given auth file (a CI file variable, the
# fan-out's dockerconfigjson) is used as it is; otherwise a password goes through stdin into a
# private auth file. With neither, the registry is used anonymously.
registry_login() {
  if [[ -n "${REGISTRY_AUTH_FILE:-}" ]]; then
    [[ -r "$REGISTRY_AUTH_FILE" ]] || usage_error "REGISTRY_AUTH_FILE: $REGISTRY_AUTH_FILE is not a readable file"
    export REGISTRY_AUTH_FILE
    return 0
  fi
  REGISTRY_AUTH_FILE="$WORK/auth.json"
  export REGISTRY_AUTH_FILE
  printf '{"auths":{}}\n' >"$REGISTRY_AUTH_FILE"
  if [[ -n "${REGISTRY_PASSWORD:-}" ]]; then
    need REGISTRY_SERVER REGISTRY_USERNAME
    need_tool skopeo
    printf '%s' "$REGISTRY_PASSWORD" | skopeo login --authfile "$REGISTRY_AUTH_FILE" --tls-verify="$TLS_VERIFY" \
      --username "$REGISTRY_USERNAME" --password-stdin "$REGISTRY_SERVER" >&2
  fi
}

# cosign_registry_config: cosign reads registry credentials from DOCKER_CONFIG (the auth file's JSON).
cosign_registry_config() {
  DOCKER_CONFIG="$WORK/docker"
  export DOCKER_CONFIG
  mkdir -p "$DOCKER_CONFIG"
  cp "$REGISTRY_AUTH_FILE" "$DOCKER_CONFIG/config.json"
}

# key_file NAME: the variable holds a key file's path (a CI file variable, a Jenkins file
# credential) or the PEM text itself (a GitHub secret); prints a path to the key either way.
key_file() {
  local name="$1" value="${!1}"
  if [[ "$value" == -----BEGIN* ]]; then
    printf '%s\n' "$value" >"$WORK/$name.pem"
    printf '%s\n' "$WORK/$name.pem"
  elif [[ -r "$value" ]]; then
    printf '%s\n' "$value"
  else
    usage_error "$name: neither a PEM key nor a readable file"
  fi
}

# kubeconfig_file NAME: the variable holds a kubeconfig, a path to one (a CI file variable), or
# either base64-encoded (GitLab masks only one line of a limited alphabet, so the platform's GitLab
# fan-out sends it so); prints a path to the kubeconfig itself.
kubeconfig_file() {
  local name="$1" value="${!1}" text
  if [[ -f "$value" ]]; then
    text="$(cat "$value")"
  else
    text="$(printf '%s' "$value")"
  fi
  if [[ "$(printf '%s' "$text" | tr -d '\n')" =~ ^[A-Za-z0-9+/]+=*$ ]]; then
    text="$(printf '%s' "$text" | base64 -d 2>/dev/null)" || usage_error "$name: neither a kubeconfig nor base64 of one"
  fi
  [[ "$text" == *apiVersion* ]] || usage_error "$name: neither a kubeconfig, a readable file nor base64 of one"
  (umask 077 && printf '%s\n' "$text" >"$WORK/$name.kubeconfig")
  printf '%s\n' "$WORK/$name.kubeconfig"
}

# tls_flag NAME: TLS_VERIFY must be true or false.
check_tls_verify() {
  TLS_VERIFY="${TLS_VERIFY:-true}"
  one_of TLS_VERIFY true false
}
