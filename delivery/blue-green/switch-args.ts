/**
 * The `canary switch` command line: its usage text and its parsing into checked arguments, with an
 * error that names the flag and what it takes.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";

import { positiveInteger, type StackCommandArgs, UsageError } from "../shared/command";
import type { Colour } from "./types";

export const SWITCH_USAGE = `usage: canary switch --stack <stack> --release <name> --to <blue|green> [options]

Moves blue-green release <name> of stack <stack> to colour <blue|green> with one up (its health
check and smoke test gate the move), watches the new colour on Prometheus for blueGreen.watch.seconds,
switches back in one up if the watch fails or has no data for too long, and otherwise scales the
idle colour down to blueGreen.idleReplicas after blueGreen.watch.drainSeconds.

  --stack <name>             stack to drive (its Pulumi.<stack>.yaml is the desired state)
  --release <name>           blueGreen.name of the release
  --to <blue|green>          the colour to serve from
  --prometheus <url>         Prometheus base URL (default $PROMETHEUS_URL or http://127.0.0.1:9090)
  --track-label <label>      label of http_requests_total that holds the colour (default track)
  --report <file.md>         Markdown report; default in the temp dir
  --json-out <file.json>     the same as JSON, every check with its query
  --work-dir <dir>           directory of Pulumi.yaml (default .; release/ for a release stack)
  --watch-seconds <n>        watch window for this run, overrides blueGreen.watch.seconds (not written)
  --on-interrupt <what>      rollback (switch back, default) or hold: what Ctrl-C/SIGTERM leaves behind
  --query-timeout-ms <n>     timeout of one Prometheus query (default 5000)

exit codes: 0 switched, 3 switched back, 4 interrupted, 1 error, 2 usage error`;

export interface SwitchArgs extends StackCommandArgs {
    readonly release: string;
    readonly to: Colour;
    readonly trackLabel: string;
    readonly watchSeconds?: number;
}

/** Parses `switch …`; throws UsageError naming the flag. */
export function parseSwitchCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): SwitchArgs {
    let values;
    try {
        values = parseArgs({
            args: argv.slice(1),
            strict: true,
            options: {
                stack: { type: "string" },
                release: { type: "string" },
                to: { type: "string" },
                prometheus: { type: "string" },
                "track-label": { type: "string" },
                report: { type: "string" },
                "json-out": { type: "string" },
                "work-dir": { type: "string" },
                "watch-seconds": { type: "string" },
                "on-interrupt": { type: "string" },
                "query-timeout-ms": { type: "string" },
            },
        }).values;
    } catch (error) {
        throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    for (const flag of ["stack", "release", "to"] as const) {
        if (values[flag] === undefined || values[flag] === "") {
            throw new UsageError(`--${flag} is required`);
        }
    }
    const to = values.to;
    if (to !== "blue" && to !== "green") {
        throw new UsageError(`--to: "${String(to)}" is not blue or green`);
    }
    const onInterrupt = values["on-interrupt"] ?? "rollback";
    if (onInterrupt !== "rollback" && onInterrupt !== "hold") {
        throw new UsageError(`--on-interrupt: "${onInterrupt}" is not rollback or hold`);
    }
    const prometheus = values.prometheus ?? env.PROMETHEUS_URL ?? "http://127.0.0.1:9090";
    if (!URL.canParse(prometheus)) {
        throw new UsageError(`--prometheus: "${prometheus}" is not a URL (e.g. http://127.0.0.1:9090)`);
    }
    const trackLabel = values["track-label"] ?? "track";
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(trackLabel)) {
        throw new UsageError(`--track-label: "${trackLabel}" is not a Prometheus label name`);
    }
    const watchSeconds = positiveInteger("--watch-seconds", values["watch-seconds"]);
    return {
        stack: values.stack as string,
        release: values.release as string,
        to,
        prometheus,
        prometheusGiven: values.prometheus !== undefined || env.PROMETHEUS_URL !== undefined,
        trackLabel,
        ...(values.report === undefined ? {} : { report: values.report }),
        ...(values["json-out"] === undefined ? {} : { jsonOut: values["json-out"] }),
        workDir: resolve(values["work-dir"] ?? "."),
        ...(watchSeconds === undefined ? {} : { watchSeconds }),
        onInterrupt,
        queryTimeoutMs: positiveInteger("--query-timeout-ms", values["query-timeout-ms"]) ?? 5000,
    };
}
