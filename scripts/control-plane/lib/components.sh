# shellcheck shell=bash disable=SC2034,SC2153  # the variables are cp's, set before it sources this
# Each component's binary and arguments, launching one (recording its pid), and the fake nodes
# kwok keeps Ready.
# Sourced by ../cp, which sets the variables these use (DIR, PKI, RUN, LOGS, the ports…).

bin_of() {
  case "$1" in
    etcd) echo "$CACHE_ROOT/etcd-$ETCD_VERSION/etcd" ;;
    kwok) echo "$CACHE_ROOT/kwok-$KWOK_VERSION/kwok" ;;
    *) echo "$CACHE_ROOT/$1-$KUBE_VERSION/$1" ;;
  esac
}

args_of() {
  case "$1" in
    etcd)
      ARGS=(--name=cicd-local --data-dir="$DATA/etcd"
        --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT"
        --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT"
        --initial-cluster="cicd-local=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state=new
        --listen-metrics-urls="" --quota-backend-bytes=2147483648 --snapshot-count=10000
        --log-level=warn) ;;
    kube-apiserver)
      # shellcheck disable=SC2054 # commas inside flag values (--authorization-mode=Node,RBAC)
      ARGS=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT"
        --etcd-servers="http://127.0.0.1:$ETCD_PORT"
        --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key"
        --client-ca-file="$PKI/ca.crt"
        --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client
        --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group
        --requestheader-extra-headers-prefix=X-Remote-Extra-
        --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key"
        --authorization-mode=Node,RBAC
        --service-cluster-ip-range="$SERVICE_CIDR"
        --service-account-issuer=https://kubernetes.default.svc.cluster.local
        --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key"
        --allow-privileged=true --profiling=false
        --endpoint-reconciler-type=none
        --v=1) ;;
    kube-controller-manager)
      ARGS=(--kubeconfig="$DIR/kube-controller-manager.kubeconfig"
        --authentication-kubeconfig="$DIR/kube-controller-manager.kubeconfig"
        --authorization-kubeconfig="$DIR/kube-controller-manager.kubeconfig"
        --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false
        --use-service-account-credentials=true
        --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt"
        --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key"
        --service-cluster-ip-range="$SERVICE_CIDR" --allocate-node-cidrs=false
        --profiling=false --v=1) ;;
    kube-scheduler)
      ARGS=(--kubeconfig="$DIR/kube-scheduler.kubeconfig"
        --authentication-kubeconfig="$DIR/kube-scheduler.kubeconfig"
        --authorization-kubeconfig="$DIR/kube-scheduler.kubeconfig"
        --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false
        --profiling=false --v=1) ;;
    kwok)
      local cfg=() f
      for f in "$CACHE_ROOT/kwok-$KWOK_VERSION/stages"/*.yaml; do cfg+=(--config="$f"); done
      ARGS=(--kubeconfig="$DIR/kwok.kubeconfig" "${cfg[@]}"
        --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake
        --node-lease-duration-seconds=40 --cidr="$POD_CIDR" --node-ip=127.0.0.1) ;;
  esac
}

launch() { # component
  local c="$1" bin; bin="$(bin_of "$c")"
  [[ -x "$bin" ]] || die "$c: binary $bin missing (run scripts/control-plane/build)"
  args_of "$c"
  mkdir -p "$LOGS" "$RUN"
  printf '\n==== %s start %s\n' "$(date -u +%FT%TZ)" "$c" >>"$LOGS/$c.log"
  # setsid: own session, so a Ctrl-C in the calling terminal does not reach it. In a
  # non-interactive shell the child is no group leader, so setsid execs in place: $! is the pid.
  # kwok reads ~/.kwok/kwok.yaml if present: give it its own HOME.
  # fd 8 is cp's lock: not inherited, or the daemons would hold it forever.
  HOME="$DIR/home" setsid "$bin" "${ARGS[@]}" </dev/null >>"$LOGS/$c.log" 2>&1 8>&- &
  local pid=$!
  pid_record "$RUN/$c.pid" "$pid"
  log "started $c (pid $pid, log $LOGS/$c.log)"
}

create_nodes() {
  local i manifest=""
  for ((i = 0; i < NODES; i++)); do
    manifest+="apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: \"0\"
  labels:
    type: kwok
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: \"\"
status:
  allocatable: {cpu: \"1k\", memory: 1Ti, ephemeral-storage: 1Ti, pods: \"1M\"}
  capacity: {cpu: \"1k\", memory: 1Ti, ephemeral-storage: 1Ti, pods: \"1M\"}
---
"
  done
  kc apply -f - <<<"$manifest" >/dev/null || fail_component kube-apiserver "creating the fake nodes failed"
}
