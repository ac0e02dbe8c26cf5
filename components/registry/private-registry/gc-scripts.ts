import { REGISTRY_PATHS } from "./pod";

/**
 * The two halves of a garbage collection that loses no push: the writer's supervisor, which
 * restarts Distribution read-only while a collection is requested, and the collector's script,
 * which asks for that, waits for the writer to confirm, collects and always withdraws its request.
 */
/**
 * The writer and the collector agree through files in this directory of the registry volume:
 * the collector writes `gc-request` ("<epoch seconds> <token>", refreshed while it runs); the
 * writer answers with `writer-read-only` (the token) once its writable process has exited.
 * Distribution ignores anything outside `docker/` under its root directory.
 * @internal
 */
export const MAINTENANCE_DIR = `${REGISTRY_PATHS.data}/.maintenance`;

/**
 * How long a request holds the writer read-only without being refreshed: a collector killed
 * without its cleanup (SIGKILL, node loss) leaves pushes refused for at most this long.
 * @internal
 */
export const GC_REQUEST_STALE_SECONDS = 60;

/** How long the collector waits for the writer to switch before it gives up, collecting nothing. */
const GC_WAIT_FOR_WRITER_SECONDS = 120;

/**
 * The writer container's entrypoint when garbage collection is on (POSIX sh, busybox or dash):
 * serves the normal config, and while a fresh collection request exists, the read-only one. The
 * switch stops the writable process first (SIGTERM; it drains uploads in flight) and acknowledges
 * only after it exited, so no write can overlap the collection: pushes meanwhile answer 405 and
 * succeed when retried after it. A crashed process is restarted in the mode it had.
 *
 * Arguments: registry binary, normal config, read-only config, maintenance directory, seconds
 * after which an unrefreshed request is ignored.
 * @internal
 */
export const WRITER_SUPERVISOR_SCRIPT = `set -u
bin=$1 normal=$2 readonly=$3 control=$4 stale=$5
request="$control/gc-request" ack="$control/writer-read-only"
mkdir -p "$control"
rm -f "$ack"
child="" mode="" acked=""
stop_writer() {
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
    child=""
  fi
}
trap 'stop_writer; exit 0' TERM INT
while :; do
  want=normal token=""
  if [ -f "$request" ]; then
    since="" token=""
    read -r since token <"$request" || true
    case "$since" in
      "" | *[!0-9]*) ;;
      *) [ $(($(date +%s) - since)) -lt "$stale" ] && want=read-only ;;
    esac
  fi
  if [ "$want" != "$mode" ] || ! kill -0 "$child" 2>/dev/null; then
    stop_writer
    rm -f "$ack"
    acked=""
    if [ "$want" = read-only ]; then
      echo "registry writer: garbage collection requested; serving read-only until it is done" >&2
      "$bin" serve "$readonly" &
    else
      [ "$mode" = read-only ] && echo "registry writer: garbage collection over; accepting pushes" >&2
      "$bin" serve "$normal" &
    fi
    child=$!
    mode=$want
  fi
  if [ "$mode" = read-only ] && [ "$token" != "$acked" ]; then
    # Only now: the writable process has exited, so nothing writes while the collector runs.
    printf '%s\\n' "$token" >"$ack.tmp" && mv "$ack.tmp" "$ack"
    acked=$token
  fi
  sleep 1 &
  wait $!
done
`;

/**
 * One collection (POSIX sh): ask the writer to go read-only, wait for its acknowledgement, collect,
 * and withdraw the request on every way out (success, failure, SIGTERM at the job's deadline),
 * which brings the writer back. While collecting, the request is refreshed every 5 seconds.
 *
 * Arguments: registry binary, the writer's config, maintenance directory, seconds to wait for the
 * writer, then extra `garbage-collect` flags.
 * @internal
 */
export const COLLECTOR_SCRIPT = `set -eu
bin=$1 config=$2 control=$3 wait_seconds=$4
shift 4
request="$control/gc-request" ack="$control/writer-read-only"
token="$(date +%s).$$.$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
beat=""
release() {
  [ -z "$beat" ] || kill "$beat" 2>/dev/null || true
  rm -f "$request"
}
trap release EXIT
trap 'exit 143' TERM INT
mkdir -p "$control"
# A shell builtin writes it: killing the heartbeat leaves no writer process behind.
stamp() { printf '%s %s\\n' "$(date +%s)" "$token" >"$request"; }
stamp
waited=0
until [ "$(cat "$ack" 2>/dev/null || true)" = "$token" ]; do
  if [ "$waited" -ge "$wait_seconds" ]; then
    echo "garbage-collect: the writer did not switch to read-only within \${wait_seconds}s; nothing collected" >&2
    exit 1
  fi
  sleep 1
  waited=$((waited + 1))
done
echo "garbage-collect: the writer is read-only; collecting" >&2
parent=$$
(while kill -0 "$parent" 2>/dev/null; do stamp; sleep 5; done) &
beat=$!
"$bin" garbage-collect "$@" "$config"
`;

/**
 * The collector's command line: \`sh -c <script> <name> <arguments>\`.
 * @internal
 */
export function collectorCommand(binary: string, configPath: string, deleteUntagged: boolean): string[] {
    return [
        "sh",
        "-c",
        COLLECTOR_SCRIPT,
        "garbage-collect",
        binary,
        configPath,
        MAINTENANCE_DIR,
        String(GC_WAIT_FOR_WRITER_SECONDS),
        ...(deleteUntagged ? ["--delete-untagged"] : []),
    ];
}

/**
 * The writer container's command line when garbage collection is on.
 * @internal
 */
export function writerSupervisorCommand(binary: string, normalConfig: string, readOnlyConfig: string): string[] {
    return [
        "sh",
        "-c",
        WRITER_SUPERVISOR_SCRIPT,
        "registry-writer",
        binary,
        normalConfig,
        readOnlyConfig,
        MAINTENANCE_DIR,
        String(GC_REQUEST_STALE_SECONDS),
    ];
}
