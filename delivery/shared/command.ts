/**
 * What both commands (`canary promote`, `canary switch`) do around their engine: open the stack
 * through the Automation API, turn the first Ctrl-C / SIGTERM into a clean finish, pass the engine's
 * output on to stderr, query the Prometheus the stack names, and put the report in the temp dir
 * unless told where. Usage errors name the flag and what it takes.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";

import { listenForInterrupt, type SignalSource } from "./interrupt";
import { openStack, type OpenedStack, prometheusUrl } from "./open-stack";
import { describeError, type InterruptPolicy } from "./outcome";
import { PrometheusCanaryMetrics, PrometheusClient, type TrackSelection } from "./prometheus";

export class UsageError extends Error {
    override readonly name = "UsageError";
}

/** A flag that takes a positive integer; undefined when not given. */
export function positiveInteger(flag: string, value: string | undefined): number | undefined {
    if (value === undefined) {
        return undefined;
    }
    if (!/^[1-9][0-9]*$/.test(value)) {
        throw new UsageError(`${flag}: "${value}" is not a positive integer`);
    }
    return Number(value);
}

export interface CommandIO {
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
    readonly signals: SignalSource;
}

/** The arguments both commands share. */
export interface StackCommandArgs {
    readonly stack: string;
    readonly workDir: string;
    readonly prometheus: string;
    /** --prometheus or PROMETHEUS_URL was given (else a release stack's own prometheusUrl output is used). */
    readonly prometheusGiven: boolean;
    readonly report?: string;
    readonly jsonOut?: string;
    readonly onInterrupt: InterruptPolicy;
    readonly queryTimeoutMs: number;
}

/** What a stack driver takes from the opened stack and the command. */
export interface DriverBase {
    readonly layout: OpenedStack["layout"];
    readonly stackFile: string;
    /** The engine output of each `up`, indented on stderr. */
    readonly onOutput: (text: string) => void;
}

/** The opened stack and what the engine gets from the command. */
export interface OnStack {
    readonly opened: OpenedStack;
    /** Aborted by the first SIGINT/SIGTERM. */
    readonly interrupt: AbortSignal;
    readonly driverBase: DriverBase;
}

/**
 * Opens the stack, runs `body` with it and the interrupt listening (the first signal is answered
 * with what the run's `onInterrupt` policy will do), and closes both; exit code 1 when the stack
 * does not open.
 */
export async function runOnStack(
    args: Pick<StackCommandArgs, "stack" | "workDir" | "onInterrupt">,
    io: CommandIO,
    onInterrupt: Readonly<Record<InterruptPolicy, string>>,
    body: (on: OnStack) => Promise<number>,
): Promise<number> {
    let opened;
    try {
        opened = await openStack({ stackName: args.stack, workDir: args.workDir });
    } catch (error) {
        io.err(`canary: cannot open stack ${args.stack} in ${args.workDir}: ${describeError(error)}`);
        return 1;
    }
    const interrupt = listenForInterrupt(io.signals, io.err, onInterrupt[args.onInterrupt]);
    const driverBase = { layout: opened.layout, stackFile: opened.stackFile, onOutput: indentTo(io.err) };
    try {
        return await body({ opened, interrupt: interrupt.signal, driverBase });
    } finally {
        interrupt.dispose();
        await opened.dispose();
    }
}

function indentTo(err: (line: string) => void): (text: string) => void {
    return (text) => {
        for (const line of text.split("\n")) {
            if (line.trim() !== "") {
                err(`  | ${line}`);
            }
        }
    };
}

/** The metrics of release `name` on the Prometheus the arguments or the stack name. */
export async function stackMetrics(
    args: StackCommandArgs,
    opened: OpenedStack,
    name: string,
    tracks?: TrackSelection,
): Promise<PrometheusCanaryMetrics> {
    const client = new PrometheusClient({ url: await prometheusUrl(args, opened), timeoutMs: args.queryTimeoutMs });
    return new PrometheusCanaryMetrics(client, name, tracks);
}

/** `<tmp>/<kind>-<stack>-<name>-<ms>.md`, when no `--report` was given. */
export function defaultReportPath(kind: "canary" | "switch", stack: string, name: string): string {
    return join(tmpdir(), `${kind}-${stack.replace(/[^\w.-]/g, "_")}-${name}-${Date.now()}.md`);
}
