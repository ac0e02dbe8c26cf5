# shellcheck shell=bash disable=SC2034,SC2153  # the variables are cp's, set before it sources this
# Waiting for the components: health checks, and what to do when one exits meanwhile (relaunch once,
# or fail naming it with its log tail).
# Sourced by ../cp, which sets the variables these use (DIR, PKI, RUN, LOGS, the ports…).

fail_component() { # component reason
  local c="$1"
  {
    printf '[cp] ERROR: %s: %s\n' "$c" "$2"
    printf '[cp] (run "cp status" to see what runs; "cp start" again restarts dead components, "cp stop" cleans up)\n'
    printf '[cp] last lines of %s:\n' "$LOGS/$c.log"
    tail -n 25 "$LOGS/$c.log" 2>/dev/null | sed 's/^/    /'
  } >&2
  if [[ "${CICD_CP_KEEP_ON_FAILURE:-0}" != 1 && "${STARTED_FRESH:-0}" == 1 ]]; then
    log "stopping what this start launched (set CICD_CP_KEEP_ON_FAILURE=1 to keep it for debugging)"
    do_stop >/dev/null 2>&1 || true
  fi
  exit 1
}

# wait_for COMPONENT DESCRIPTION CHECK-FUNCTION: polls until CHECK succeeds; fails naming the
# component (with its log tail) on timeout or when any launched process dies meanwhile.
wait_for() {
  local c="$1" what="$2" check="$3" deadline=$((SECONDS + TIMEOUT)) x
  while ! "$check" >/dev/null 2>&1; do
    for x in "${COMPONENTS[@]}"; do
      if [[ -f "$RUN/$x.pid" ]] && ! alive "$x"; then
        # One automatic relaunch per component and start: e.g. kube-controller-manager exits
        # when the API server goes away while it initialises its controllers.
        if [[ -z "${RELAUNCHED[$x]:-}" && "$MAX_RELAUNCH" != 0 ]]; then
          # shellcheck disable=SC2004 # an associative array (cp declares it): the key needs its $
          RELAUNCHED[$x]=1
          log "$x exited while waiting for $what (log tail below); relaunching it once"
          tail -n 5 "$LOGS/$x.log" 2>/dev/null | cut -c1-300 | sed 's/^/    /' >&2
          if [[ "$x" == etcd || "$x" == kube-apiserver ]] || check_api >/dev/null 2>&1; then
            launch "$x"
          else
            # API clients exit at startup on errors from a not-yet-ready API server (e.g. RBAC
            # not synced): relaunch them once /readyz is ok (relaunch_pending).
            rm -f "$RUN/$x.pid"
            PENDING+=("$x")
          fi
        else
          fail_component "$x" "process exited while waiting for $what"
        fi
      fi
    done
    ((SECONDS < deadline)) || fail_component "$c" "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.5
  done
}

relaunch_pending() {
  local x
  for x in "${PENDING[@]}"; do launch "$x"; done
  PENDING=()
}

api() { curl -sf --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://127.0.0.1:$APISERVER_PORT$1"; }
kc() { kubectl --kubeconfig="$KUBECONFIG_OUT" --request-timeout=10s "$@"; }
check_etcd() { curl -sf --max-time 3 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
check_api() { [[ "$(api /readyz)" == ok ]]; }
check_kcm() { [[ "$(curl -skf --max-time 3 "https://127.0.0.1:$KCM_PORT/healthz")" == ok ]]; }
check_sched() { [[ "$(curl -skf --max-time 3 "https://127.0.0.1:$SCHEDULER_PORT/healthz")" == ok ]]; }
check_default_sa() { kc -n default get serviceaccount default; }
ready_nodes() {
  kc get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null | grep -c True
}
check_nodes() { (($(ready_nodes) >= NODES)); }
