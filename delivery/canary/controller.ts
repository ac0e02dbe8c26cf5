/**
 * The canary loop: step the stack's canary percentage, judge windows until one passes (holding on
 * no data or a misrouted split), then go on; at 100% optionally bake one more window; promote after
 * that, roll back on a fail or too many holds. Each of these is a named step in steps.ts.
 *
 * It knows neither the Automation API nor Prometheus: it talks to a {@link Rollout} (the stack
 * driver) and a {@link CanaryMetrics} (Prometheus), so unit tests drive it with in-memory fakes.
 *
 * Interrupts (Ctrl-C, SIGTERM) never leave a half state: a running `up` is never cancelled; once it
 * has finished, the controller rolls back (or, with `onInterrupt: "hold"`, stays at the last
 * completed step) and says which.
 */
import { type Clock, realClock } from "../shared/clock";
import { describeError, type InterruptPolicy, logOrConsole, RunOutcome } from "../shared/outcome";
import type { CanaryMetrics } from "../shared/prometheus";
import { type CanaryResult, EXIT_CODES, type Outcome, type Rollout, type RolloutPlan } from "./rollout-types";
import { bake, type CanaryRun, promote, step } from "./steps";

export type { Clock } from "../shared/clock";
export * from "./rollout-types";
export type { WindowRecord } from "../shared/window-loop";

export interface ControllerOptions {
    readonly rollout: Rollout;
    readonly metrics: CanaryMetrics;
    /** Aborted on SIGINT/SIGTERM. */
    readonly interrupt?: AbortSignal;
    /** What an interrupt leaves behind. @default "rollback" */
    readonly onInterrupt?: InterruptPolicy;
    /** Progress lines (one per step and per decision). @default console.log */
    readonly log?: (line: string) => void;
    /** @default the real clock */
    readonly clock?: Clock;
    /** Extra wait after each window so the last scrape is in Prometheus. @default 0 */
    readonly settleMs?: number;
}

export async function runCanary(options: ControllerOptions): Promise<CanaryResult> {
    const log = logOrConsole(options.log);
    const clock = options.clock ?? realClock;
    const outcome = new RunOutcome<Outcome>({
        tag: "canary",
        stateLabel: "now running",
        exitCodes: EXIT_CODES,
        log,
        clock,
    });
    let plan: RolloutPlan;
    try {
        plan = await options.rollout.prepare();
    } catch (error) {
        return outcome.end(
            { outcome: "error", state: "unchanged (nothing was written)", message: describeError(error) },
            { plan: undefined, windows: [] },
        );
    }
    const run = startRun(options, plan, { outcome, log, clock });
    for (const [stepIndex, percent] of plan.steps.entries()) {
        const ended = await step(run, stepIndex, percent);
        if (ended !== undefined) {
            return ended;
        }
    }
    if (run.bakeSeconds > 0) {
        const ended = await bake(run);
        if (ended !== undefined) {
            return ended;
        }
    }
    return promote(run);
}

/** The run's context, and its first line: what goes from where to where, in which steps. */
function startRun(
    options: ControllerOptions,
    plan: RolloutPlan,
    { outcome, log, clock }: Pick<CanaryRun, "outcome" | "log" | "clock">,
): CanaryRun {
    const run: CanaryRun = {
        rollout: options.rollout,
        metrics: options.metrics,
        interrupt: options.interrupt,
        onInterrupt: options.onInterrupt ?? "rollback",
        settleMs: options.settleMs ?? 0,
        log,
        clock,
        outcome,
        plan,
        bakeSeconds: plan.bakeSeconds ?? 0,
        stableState: `stable ${plan.stableVersion} only, no canary`,
        windows: [],
        upTimes: [],
        lastCompleted: undefined,
    };
    run.log(
        `[canary] ${plan.stack}: ${plan.app} ${plan.stableVersion} -> ${plan.canaryVersion}, steps ${plan.allSteps.join(", ")}%` +
            `, window ${plan.analysis.intervalSeconds}s` +
            (run.bakeSeconds > 0 ? `, bake ${run.bakeSeconds}s at 100%` : "") +
            (plan.resumedFrom === undefined ? "" : `, resuming at ${plan.resumedFrom}%`),
    );
    return run;
}
