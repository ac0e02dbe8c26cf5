# shellcheck shell=bash
# Processes a script starts and must stop: recorded by pid WITH the process's start time (so a pid
# the kernel reused for another process is never signalled), stopped with their process group.
# Sourced by ./common.sh.
#
#   proc_start PID                  the start time (clock ticks since boot); fails if PID is gone
#   pid_record FILE PID             write "PID START" to FILE
#   pid_recorded FILE               the pid FILE holds
#   pid_alive FILE                  0 if the process FILE records still runs (same start time)
#   pid_signal SIGNAL FILE          signal the recorded process and, when it leads one (started
#                                   with setsid), its process group
#   pid_stop GRACE NAME:FILE…       TERM each live recorded process (and group), wait up to GRACE
#                                   seconds, KILL what is left, wait until it is gone

proc_start() {
  local s t
  s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  s="${s##*) }"
  if [[ "${s:0:1}" == Z || "${s:0:1}" == X ]]; then
    # A zombie leader whose other threads still exit keeps its sockets (ports) until the
    # last thread is gone: count it as alive until then. A lone zombie only waits for reaping.
    t=(/proc/"$1"/task/*)
    ((${#t[@]} > 1)) || return 1
  fi
  awk '{print $20}' <<<"$s"
}

pid_record() {
  local st
  st="$(proc_start "$2" || true)"
  echo "$2 $st" >"$1"
}

pid_recorded() { [[ -f "$1" ]] && awk '{print $1}' "$1"; }

pid_alive() {
  local pid st cur
  [[ -f "$1" ]] || return 1
  read -r pid st <"$1" || return 1
  [[ -n "$pid" ]] || return 1
  cur="$(proc_start "$pid")" || return 1
  [[ -z "$st" || "$cur" == "$st" ]]
}

# The process group of PID, if PID leads it (its own pgid).
__pid_group_led() {
  local s
  s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  s="${s##*) }"
  [[ "$(awk '{print $3}' <<<"$s")" == "$1" ]]
}

pid_signal() {
  local sig="$1" pid
  pid_alive "$2" || return 1
  pid="$(pid_recorded "$2")"
  if __pid_group_led "$pid"; then
    kill "-$sig" -- "-$pid" 2>/dev/null || true
  else
    kill "-$sig" "$pid" 2>/dev/null || true
  fi
}

pid_stop() {
  local grace="$1" entry name file pid st cur i left deadline names=() files=() pids=()
  shift
  for entry in "$@"; do
    name="${entry%%:*}" file="${entry#*:}"
    [[ -f "$file" ]] || continue
    read -r pid st <"$file" || true
    if pid_alive "$file"; then
      pid_signal TERM "$file"
      pids+=("$pid") names+=("$name") files+=("$file")
      say "sent TERM to $name (pid $pid)"
    elif cur="$(proc_start "$pid")"; then
      say "$name: pid $pid is now another process (start time $cur != $st); not touching it"
    else
      say "$name: not running (stale pid $pid)"
    fi
  done
  deadline=$((SECONDS + grace))
  while :; do
    left=0
    for i in "${!pids[@]}"; do pid_alive "${files[$i]}" && left=1; done
    ((left == 0 || SECONDS >= deadline)) && break
    sleep 0.2
  done
  for i in "${!pids[@]}"; do
    if pid_alive "${files[$i]}"; then
      say "${names[$i]} (pid ${pids[$i]}) still running after ${grace}s: KILL"
      pid_signal KILL "${files[$i]}"
    fi
  done
  for i in "${!pids[@]}"; do
    for _ in $(seq 1 50); do
      pid_alive "${files[$i]}" || break
      sleep 0.2
    done
    if pid_alive "${files[$i]}"; then say "WARNING: ${names[$i]} (pid ${pids[$i]}) survived KILL"; fi
  done
  return 0
}
