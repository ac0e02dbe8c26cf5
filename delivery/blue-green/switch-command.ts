/**
 * `npm run canary -- switch --stack <s> --release <name> --to <blue|green> [options]`: the blue-green
 * switch with a watch (blue-green-switch.ts), from the command line.
 *
 * Exit codes: 0 switched (the watch passed), 3 switched back, 4 interrupted, 1 error, 2 usage error.
 */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

import { BlueGreenStackDriver } from "./driver";
import { runSwitch } from "./switch";
import { listenForInterrupt, type SignalSource } from "../shared/interrupt";
import { PrometheusCanaryMetrics, PrometheusClient } from "../shared/prometheus";
import type { InterruptPolicy } from "../canary/rollout-types";
import { openStack, prometheusUrl } from "../shared/open-stack";
import type { Colour } from "./types";
import { writeSwitchReport } from "./report";

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

export interface SwitchArgs {
    readonly stack: string;
    readonly release: string;
    readonly to: Colour;
    readonly prometheus: string;
    /** --prometheus or PROMETHEUS_URL was given (else a release stack's own prometheusUrl output is used). */
    readonly prometheusGiven: boolean;
    readonly trackLabel: string;
    readonly report?: string;
    readonly jsonOut?: string;
    readonly workDir: string;
    readonly watchSeconds?: number;
    readonly onInterrupt: InterruptPolicy;
    readonly queryTimeoutMs: number;
}

/** Parses `switch …`; `fail` builds the caller's usage error. */
export function parseSwitchCommandLine(
    argv: readonly string[],
    env: NodeJS.ProcessEnv,
    fail: (message: string) => Error,
): SwitchArgs {
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
        throw fail(error instanceof Error ? error.message : String(error));
    }
    for (const flag of ["stack", "release", "to"] as const) {
        if (values[flag] === undefined || values[flag] === "") {
            throw fail(`--${flag} is required`);
        }
    }
    const to = values.to;
    if (to !== "blue" && to !== "green") {
        throw fail(`--to: "${String(to)}" is not blue or green`);
    }
    const onInterrupt = values["on-interrupt"] ?? "rollback";
    if (onInterrupt !== "rollback" && onInterrupt !== "hold") {
        throw fail(`--on-interrupt: "${onInterrupt}" is not rollback or hold`);
    }
    const positive = (flag: string, value: string | undefined): number | undefined => {
        if (value !== undefined && !/^[1-9][0-9]*$/.test(value)) {
            throw fail(`${flag}: "${value}" is not a positive integer`);
        }
        return value === undefined ? undefined : Number(value);
    };
    const prometheus = values.prometheus ?? env.PROMETHEUS_URL ?? "http://127.0.0.1:9090";
    if (!URL.canParse(prometheus)) {
        throw fail(`--prometheus: "${prometheus}" is not a URL (e.g. http://127.0.0.1:9090)`);
    }
    const trackLabel = values["track-label"] ?? "track";
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(trackLabel)) {
        throw fail(`--track-label: "${trackLabel}" is not a Prometheus label name`);
    }
    const watchSeconds = positive("--watch-seconds", values["watch-seconds"]);
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
        queryTimeoutMs: positive("--query-timeout-ms", values["query-timeout-ms"]) ?? 5000,
    };
}

export interface SwitchIO {
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
    readonly signals: SignalSource;
}

export async function runSwitchCommand(args: SwitchArgs, io: SwitchIO): Promise<number> {
    let opened;
    try {
        opened = await openStack({ stackName: args.stack, workDir: args.workDir });
    } catch (error) {
        io.err(
            `canary: cannot open stack ${args.stack} in ${args.workDir}: ${String(error instanceof Error ? error.message : error)}`,
        );
        return 1;
    }
    const interrupt = listenForInterrupt(
        io.signals,
        io.err,
        args.onInterrupt === "hold" ? "keeping the new colour" : "switching back",
    );
    try {
        const target = new BlueGreenStackDriver(opened.stack, {
            layout: opened.layout,
            release: args.release,
            to: args.to,
            stackFile: opened.stackFile,
            ...(args.watchSeconds === undefined ? {} : { watchSeconds: args.watchSeconds }),
            onOutput: (text) => {
                for (const line of text.split("\n").filter((l) => l.trim() !== "")) {
                    io.err(`  | ${line}`);
                }
            },
        });
        const from: Colour = args.to === "blue" ? "green" : "blue";
        const metrics = new PrometheusCanaryMetrics(
            new PrometheusClient({ url: await prometheusUrl(args, opened), timeoutMs: args.queryTimeoutMs }),
            args.release,
            { label: args.trackLabel, canary: args.to, stable: from },
        );
        const result = await runSwitch({
            target,
            metrics,
            interrupt: interrupt.signal,
            onInterrupt: args.onInterrupt,
            log: io.out,
        });
        for (const line of result.configChange?.diff ?? []) {
            io.out(`  ${line}`);
        }
        const reportPath =
            args.report ??
            join(tmpdir(), `switch-${args.stack.replace(/[^\w.-]/g, "_")}-${args.release}-${Date.now()}.md`);
        const written = await writeSwitchReport(result, reportPath, args.jsonOut);
        io.out(`[switch] report: ${written.markdown}${written.json === undefined ? "" : ` (JSON ${written.json})`}`);
        return result.exitCode;
    } finally {
        interrupt.dispose();
        await opened.dispose();
    }
}
