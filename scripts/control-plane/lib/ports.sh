# shellcheck shell=bash disable=SC2034,SC2153  # the variables are cp's, set before it sources this
# The control plane's ports: the ones a running instance recorded, or those the environment asks for,
# and a check that they are free before anything starts.
# Sourced by ../cp, which sets the variables these use (DIR, PKI, RUN, LOGS, the ports…).

load_ports() { # the ports recorded by the running instance, else those from the environment
  if [[ -f "$RUN/ports.env" ]]; then
    # shellcheck disable=SC1091
    source "$RUN/ports.env"
  else
    env_ports
  fi
}
env_ports() {
  {
    ETCD_PORT="${CICD_CP_ETCD_PORT:-12379}"
    ETCD_PEER_PORT="${CICD_CP_ETCD_PEER_PORT:-12380}"
    APISERVER_PORT="${CICD_CP_APISERVER_PORT:-16443}"
    KCM_PORT="${CICD_CP_KCM_PORT:-20257}"
    SCHEDULER_PORT="${CICD_CP_SCHEDULER_PORT:-20259}"
  }
}
save_ports() {
  cat >"$RUN/ports.env" <<EOF
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
APISERVER_PORT=$APISERVER_PORT
KCM_PORT=$KCM_PORT
SCHEDULER_PORT=$SCHEDULER_PORT
EOF
}
ports_of() {
  case "$1" in
    etcd) echo "$ETCD_PORT $ETCD_PEER_PORT" ;;
    kube-apiserver) echo "$APISERVER_PORT" ;;
    kube-controller-manager) echo "$KCM_PORT" ;;
    kube-scheduler) echo "$SCHEDULER_PORT" ;;
    kwok) echo "" ;;
  esac
}
port_in_use() { # port
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
check_ports_free() { # component...
  local c p bad=()
  for c in "$@"; do
    for p in $(ports_of "$c"); do
      port_in_use "$p" && bad+=("$p ($c)")
    done
  done
  if ((${#bad[@]})); then
    die "port(s) already in use on 127.0.0.1: ${bad[*]}. Free them or override, e.g. CICD_CP_APISERVER_PORT=16444 (see 'cp' header for the variables)"
  fi
}
