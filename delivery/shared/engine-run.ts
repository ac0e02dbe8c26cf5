/**
 * How both engines begin a run: their options resolved (log, clock, interrupt policy), the outcome
 * with the clock started, the plan read from the stack port (a plan that cannot be read ends the
 * run, nothing written), and the context every named step of either engine works on.
 */
import { type Clock, realClock } from "./clock";
import { describeError, type InterruptPolicy, type OutcomeOptions, RunOutcome } from "./outcome";
import type { CanaryMetrics } from "./prometheus";
import type { WindowRecord } from "./window-loop";

/** The options both engines take besides their stack port. */
export interface EngineOptions {
    readonly metrics: CanaryMetrics;
    /** Aborted on SIGINT/SIGTERM. */
    readonly interrupt?: AbortSignal;
    /** What an interrupt leaves behind. @default "rollback" */
    readonly onInterrupt?: InterruptPolicy;
    /** Progress lines (one per step and per decision). @default console.log */
    readonly log?: (line: string) => void;
    /** @default the real clock */
    readonly clock?: Clock;
    /** Extra wait after each window so its last scrape is in Prometheus. @default 0 */
    readonly settleMs?: number;
}

/** A run's log and clock, and its outcome with the clock started. */
export interface Begun<O extends string> {
    readonly log: (line: string) => void;
    readonly clock: Clock;
    readonly outcome: RunOutcome<O>;
}

/** Resolves the engine's log and clock and starts the outcome's clock. */
export function beginRun<O extends string>(
    options: EngineOptions,
    ends: Pick<OutcomeOptions<O>, "tag" | "stateLabel" | "exitCodes">,
): Begun<O> {
    const log =
        options.log ??
        ((line: string) => {
            console.log(line);
        });
    const clock = options.clock ?? realClock;
    return { log, clock, outcome: new RunOutcome({ ...ends, log, clock }) };
}

/** The state of a run whose plan could not be read. */
export const NOTHING_WRITTEN = "unchanged (nothing was written)";

/** The port's plan, or the error that kept it from being read (nothing was written). */
export async function readPlan<P>(
    prepare: () => Promise<P>,
): Promise<{ ok: true; plan: P } | { ok: false; error: string }> {
    try {
        return { ok: true, plan: await prepare() };
    } catch (error) {
        return { ok: false, error: describeError(error) };
    }
}

/** The context every step of a run works on: the options resolved, the outcome, the plan, the windows. */
export interface EngineRun<O extends string, P> {
    readonly metrics: CanaryMetrics;
    readonly interrupt: AbortSignal | undefined;
    readonly onInterrupt: InterruptPolicy;
    readonly settleMs: number;
    readonly log: (line: string) => void;
    readonly clock: Clock;
    readonly outcome: RunOutcome<O>;
    readonly plan: P;
    readonly windows: WindowRecord[];
}

export function engineRun<O extends string, P>(options: EngineOptions, begun: Begun<O>, plan: P): EngineRun<O, P> {
    return {
        metrics: options.metrics,
        interrupt: options.interrupt,
        onInterrupt: options.onInterrupt ?? "rollback",
        settleMs: options.settleMs ?? 0,
        ...begun,
        plan,
        windows: [],
    };
}
