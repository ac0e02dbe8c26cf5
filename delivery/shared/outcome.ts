/**
 * How a run of either engine ends: two lines on the log (the outcome, then what runs now) and a
 * result carrying the outcome's exit code, the windows judged and the stack-file lines that
 * changed. The canary and the blue-green switch differ only in their outcomes, the word for "what
 * runs" and the details they add (the plan, the switch's timeline).
 */
import type { Clock } from "./clock";
import type { WindowRecord } from "./window-loop";

/** The lines of `Pulumi.<stack>.yaml` that changed, as a line diff (`-old`, `+new`). */
export interface ConfigChange {
    readonly file: string;
    readonly diff: readonly string[];
}

/** What Ctrl-C / SIGTERM leaves behind: the previous state again (`rollback`) or the current one. */
export type InterruptPolicy = "rollback" | "hold";

/** An `up` that must not throw: it ended the run's way, or failed with this error. */
export type Attempted =
    | { readonly ok: true; readonly change: ConfigChange }
    | { readonly ok: false; readonly error: string };

export function describeError(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/** Runs one `up` that changes the stack file; a failure is returned, never thrown. */
export async function attempt(up: () => Promise<ConfigChange>): Promise<Attempted> {
    try {
        return { ok: true, change: await up() };
    } catch (error) {
        return { ok: false, error: describeError(error) };
    }
}

/** What every result of a run holds. */
export interface RunResult<O extends string> {
    readonly outcome: O;
    readonly exitCode: number;
    /** One sentence: what runs (serves traffic) now. */
    readonly state: string;
    readonly message: string;
    readonly windows: readonly WindowRecord[];
    readonly configChange?: ConfigChange;
    readonly startedAt: number;
    readonly finishedAt: number;
}

/** How a run ends: its outcome, what runs now and why. */
export interface Ending<O extends string> {
    readonly outcome: O;
    readonly state: string;
    readonly message: string;
    readonly configChange?: ConfigChange;
}

export interface OutcomeOptions<O extends string> {
    /** The log lines' tag: `[canary]`, `[switch]`. */
    readonly tag: string;
    /** Names the state line: `now running`, `now serving`. */
    readonly stateLabel: string;
    readonly exitCodes: Readonly<Record<O, number>>;
    readonly log: (line: string) => void;
    readonly clock: Clock;
}

/** The end of one run; `startedAt` is when it was made. */
export class RunOutcome<O extends string> {
    readonly startedAt: number;

    constructor(private readonly options: OutcomeOptions<O>) {
        this.startedAt = options.clock.now();
    }

    /**
     * Logs the ending and returns the result: `details` (the windows among them) stand between the
     * message and the config change, as the JSON report has always listed them.
     */
    end<D extends { readonly windows: readonly WindowRecord[] }>(ending: Ending<O>, details: D): RunResult<O> & D {
        const { tag, stateLabel, exitCodes, log, clock } = this.options;
        log(`[${tag}] ${ending.outcome}: ${ending.message}`);
        log(`[${tag}] ${stateLabel}: ${ending.state}`);
        return {
            outcome: ending.outcome,
            exitCode: exitCodes[ending.outcome],
            state: ending.state,
            message: ending.message,
            ...details,
            ...(ending.configChange === undefined ? {} : { configChange: ending.configChange }),
            startedAt: this.startedAt,
            finishedAt: clock.now(),
        };
    }
}
