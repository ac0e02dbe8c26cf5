# shellcheck shell=bash disable=SC2034,SC2153  # the variables are cp's, set before it sources this
# The subcommands: start (fresh, partial restart or no-op), stop, status, env, and the lock that
# serialises them on one runtime directory.
# Sourced by ../cp, which sets the variables these use (DIR, PKI, RUN, LOGS, the ports…).

do_start() {
  local t0=$SECONDS c running=() dead=() recorded=0
  command -v curl >/dev/null 2>&1 || die "curl not found (used for health checks)"
  command -v kubectl >/dev/null 2>&1 || die "kubectl not found (used to create the fake nodes)"
  "$HERE/build"

  for c in "${COMPONENTS[@]}"; do
    [[ -f "$RUN/$c.pid" ]] || continue
    recorded=1
    if alive "$c"; then running+=("$c"); else dead+=("$c"); fi
  done
  load_ports

  STARTED_FRESH=0
  if ((${#running[@]} == ${#COMPONENTS[@]})); then
    log "already running (${running[*]}); nothing to do"
    wait_for kube-apiserver "/readyz" check_api
    echo "$KUBECONFIG_OUT"
    return 0
  elif ((${#running[@]} > 0)); then
    # Partial: some recorded processes died (crash, kill -9). Restart only those, on the same
    # state (certs, etcd data, ports), then wait for readiness as usual.
    for c in "${COMPONENTS[@]}"; do
      if ! alive "$c"; then dead+=("$c"); fi
    done
    mapfile -t dead < <(printf '%s\n' "${dead[@]}" | awk '!seen[$0]++')
    log "running: ${running[*]}; not running: ${dead[*]} -> restarting those"
    check_ports_free "${dead[@]}"
    for c in "${dead[@]}"; do rm -f "$RUN/$c.pid"; done
    for c in "${COMPONENTS[@]}"; do
      [[ " ${dead[*]} " == *" $c "* ]] || continue
      launch "$c"
      [[ "$c" == etcd ]] && wait_for etcd "etcd /health" check_etcd
      [[ "$c" == kube-apiserver ]] && wait_for kube-apiserver "/readyz" check_api
    done
  else
    if ((recorded)); then
      log "stale pid files in $RUN (recorded processes are gone): cleaning the old state"
    fi
    cleanup_state
    env_ports
    check_ports_free "${COMPONENTS[@]}"
    STARTED_FRESH=1
    mkdir -p "$RUN" "$LOGS" "$DATA" "$DIR/home"
    chmod 700 "$DIR"
    save_ports
    make_pki
    write_kubeconfig "$KUBECONFIG_OUT" admin
    write_kubeconfig "$DIR/kube-controller-manager.kubeconfig" kube-controller-manager
    write_kubeconfig "$DIR/kube-scheduler.kubeconfig" kube-scheduler
    write_kubeconfig "$DIR/kwok.kubeconfig" kwok
    log "CA and certs in $PKI ($((SECONDS - t0))s)"
    launch etcd
    wait_for etcd "etcd /health on 127.0.0.1:$ETCD_PORT" check_etcd
    launch kube-apiserver
    wait_for kube-apiserver "/readyz on https://127.0.0.1:$APISERVER_PORT" check_api
    log "kube-apiserver ready ($((SECONDS - t0))s)"
    launch kube-controller-manager
    launch kube-scheduler
    launch kwok
  fi

  wait_for etcd "etcd /health" check_etcd
  wait_for kube-apiserver "/readyz" check_api
  relaunch_pending
  create_nodes
  wait_for kwok "$NODES fake node(s) Ready" check_nodes
  wait_for kube-controller-manager "controller-manager /healthz on 127.0.0.1:$KCM_PORT" check_kcm
  wait_for kube-scheduler "scheduler /healthz on 127.0.0.1:$SCHEDULER_PORT" check_sched
  wait_for kube-controller-manager "the default ServiceAccount (serviceaccount controller)" check_default_sa
  log "ready in $((SECONDS - t0))s: API https://127.0.0.1:$APISERVER_PORT ($KUBE_VERSION), $(ready_nodes) node(s) Ready"
  log "use: eval \"\$($HERE/cp env)\"   or   kubectl --kubeconfig=$KUBECONFIG_OUT get nodes"
  echo "$KUBECONFIG_OUT"
}

cleanup_state() {
  [[ -e "$DIR/.cicd-platform-cp" ]] || return 0 # only ever delete inside a dir cp created
  rm -rf "$DATA" "$PKI" "$RUN" "${DIR:?}/home" "$KUBECONFIG_OUT" \
    "$DIR/kube-controller-manager.kubeconfig" "$DIR/kube-scheduler.kubeconfig" "$DIR/kwok.kubeconfig"
}

# stop_group GRACE COMPONENT...: TERM the recorded, still-alive processes of these components (each
# leads its own session and group: launch starts it with setsid), wait up to GRACE seconds, then KILL
# what is left and wait for it to be gone.
stop_group() {
  local grace="$1" c entries=()
  shift
  for c in "$@"; do entries+=("$c:$RUN/$c.pid"); done
  pid_stop "$grace" "${entries[@]}"
}

do_stop() {
  # API clients first, then the API server (its graceful shutdown needs etcd), etcd last.
  stop_group 15 kwok kube-scheduler kube-controller-manager
  stop_group 20 kube-apiserver
  stop_group 10 etcd
  cleanup_state
  log "stopped; removed state under $DIR (logs kept in $LOGS)"
}

do_status() {
  local c pid all=0 ports state
  load_ports
  for c in "${COMPONENTS[@]}"; do
    pid="$(pid_of "$c" || true)"
    ports="$(ports_of "$c")"
    if [[ -z "$pid" ]]; then state="not started"; all=1
    elif alive "$c"; then state="running"
    else state="NOT RUNNING (stale pid file)"; all=1
    fi
    printf '%-24s pid %-8s %-30s %s\n' "$c" "${pid:--}" "$state" "${ports:+port ${ports// /,}}"
  done
  if [[ -f "$PKI/admin.crt" ]] && check_api 2>/dev/null; then
    local nodes; nodes="$(ready_nodes 2>/dev/null || echo 0)"
    printf 'API: ready at https://127.0.0.1:%s (%s); Ready nodes: %s\n' "$APISERVER_PORT" "$KUBE_VERSION" "$nodes"
    printf 'kubeconfig: %s\n' "$KUBECONFIG_OUT"
  else
    printf 'API: not ready\n'; all=1
  fi
  return $((all ? 3 : 0))
}

do_env() {
  if [[ ! -f "$KUBECONFIG_OUT" ]]; then
    log "no kubeconfig at $KUBECONFIG_OUT: run '$HERE/cp start' first"
    exit 3
  fi
  printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_OUT"
}

lock() { # serialise start/stop on one runtime dir (and refuse a dir that cp did not create)
  [[ "$DIR" == /* && "$DIR" != / ]] || die "CICD_CP_DIR must be an absolute path other than / (got '$DIR')"
  if [[ -d "$DIR" && ! -e "$DIR/.cicd-platform-cp" && -n "$(ls -A "$DIR" 2>/dev/null)" ]]; then
    die "$DIR exists, is not empty and was not created by cp: refusing to use it (set CICD_CP_DIR)"
  fi
  mkdir -p "$DIR"
  touch "$DIR/.cicd-platform-cp"
  exec 8>"$DIR/.lock"
  if ! flock -n 8; then
    log "another 'cp start/stop' is running on $DIR; waiting (up to 10 min)"
    flock -w 600 8 || die "timed out waiting for the lock $DIR/.lock"
  fi
}
