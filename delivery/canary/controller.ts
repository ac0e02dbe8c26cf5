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
import { type Begun, beginRun, type EngineOptions, engineRun, NOTHING_WRITTEN, readPlan } from "../shared/engine-run";
import { type CanaryResult, EXIT_CODES, type Outcome, type Rollout, type RolloutPlan } from "./rollout-types";
import { bake, type CanaryRun, promote, step } from "./steps";

export type { Clock } from "../shared/clock";
export * from "./rollout-types";
export type { WindowRecord } from "../shared/window-loop";

export interface ControllerOptions extends EngineOptions {
    readonly rollout: Rollout;
}

export async function runCanary(options: ControllerOptions): Promise<CanaryResult> {
    const begun = beginRun<Outcome>(options, { tag: "canary", stateLabel: "now running", exitCodes: EXIT_CODES });
    const prepared = await readPlan(() => options.rollout.prepare());
    if (!prepared.ok) {
        const ending = { outcome: "error", state: NOTHING_WRITTEN, message: prepared.error } as const;
        return begun.outcome.end(ending, { plan: undefined, windows: [] });
    }
    const run = startRun(options, prepared.plan, begun);
    for (const [stepIndex, percent] of run.plan.steps.entries()) {
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
function startRun(options: ControllerOptions, plan: RolloutPlan, begun: Begun<Outcome>): CanaryRun {
    const run: CanaryRun = {
        ...engineRun(options, begun, plan),
        rollout: options.rollout,
        bakeSeconds: plan.bakeSeconds ?? 0,
        stableState: `stable ${plan.stableVersion} only, no canary`,
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
