/**
 * The named steps of one canary run, each a small function of the run's {@link CanaryRun}: `step`
 * (one percentage, one `up`, then its windows), `judge` (windows until one passes, holds or fails),
 * `bake` (one more window at 100%), `promote`, `rollBack`, and `finish` (the result and its two log
 * lines). Every failure after `prepare`, and an interrupt unless told to hold, ends in
 * {@link rollBackAndFinish}: one `up` back to stable, then the outcome asked for, or an error saying
 * the rollback failed too.
 */
import type { Action, Verdict } from "../shared/analysis";
import { formatDuration } from "../shared/clock";
import type { EngineRun } from "../shared/engine-run";
import { attempt, type Attempted, describeError } from "../shared/outcome";
import { progressLine } from "../shared/progress-line";
import { judgeWindows, type WindowRecord } from "../shared/window-loop";
import type { CanaryResult, ConfigChange, Outcome, Rollout, RolloutPlan } from "./rollout-types";

/** One run's context: its ports, its plan and what it has done so far. */
export interface CanaryRun extends EngineRun<Outcome, RolloutPlan> {
    readonly rollout: Rollout;
    readonly bakeSeconds: number;
    /** What runs after a rollback. */
    readonly stableState: string;
    /** How long each `up` of a step took, for the time left. */
    readonly upTimes: number[];
    /** The last percentage whose `up` completed. */
    lastCompleted: number | undefined;
}

/** Where windows are judged: a step, or the bake at 100%. */
interface JudgeAt {
    readonly phase: "step" | "bake";
    readonly stepNumber: number;
    readonly percent: number;
    /** Time of the `up` before the first window. */
    readonly upMs: number;
    readonly stepIndex: number;
}

/** How a run ends when its rollback succeeded, and when it failed too. */
interface AfterRollback {
    readonly outcome: Outcome;
    readonly message: string;
    readonly failedState: string;
    readonly failedMessage: (error: string) => string;
}

function interrupted(run: CanaryRun): boolean {
    return run.interrupt?.aborted === true;
}

function finish(
    run: CanaryRun,
    outcome: Outcome,
    state: string,
    message: string,
    configChange?: ConfigChange,
): CanaryResult {
    return run.outcome.end({ outcome, state, message, configChange }, { plan: run.plan, windows: run.windows });
}

/** Rolls back in one `up`; never throws. */
async function rollBack(run: CanaryRun, why: string): Promise<Attempted> {
    run.log(`[canary] rolling back (${why}): canaryPercent 0, canary workload removed, one up`);
    return attempt(() => run.rollout.rollBack());
}

async function rollBackAndFinish(run: CanaryRun, why: string, then: AfterRollback): Promise<CanaryResult> {
    const result = await rollBack(run, why);
    return result.ok
        ? finish(run, then.outcome, run.stableState, then.message, result.change)
        : finish(run, "error", then.failedState, then.failedMessage(result.error));
}

/** Ctrl-C / SIGTERM once no `up` runs: hold where the run is, or roll back. */
async function onInterrupted(run: CanaryRun, lastCompleted: number | undefined): Promise<CanaryResult> {
    const { plan } = run;
    if (run.onInterrupt === "hold") {
        const state =
            lastCompleted === undefined
                ? `${run.stableState} (canary version written to config, no traffic)`
                : `held at ${lastCompleted}%: canary ${plan.canaryVersion}, stable ${plan.stableVersion}`;
        return finish(
            run,
            "interrupted",
            state,
            `interrupted; holding at the last completed step as asked (--on-interrupt=hold). ` +
                `Run the same command again to resume, or set canaryPercent 0 to roll back.`,
        );
    }
    return rollBackAndFinish(run, "interrupted", {
        outcome: "interrupted",
        message: "interrupted; rolled back to stable",
        failedState: "unknown: the rollback up failed",
        failedMessage: (error) => `interrupted, and the rollback failed: ${error}`,
    });
}

/** One step: `canaryPercent := percent` in one `up`, then its windows; undefined when it passed. */
export async function step(run: CanaryRun, stepIndex: number, percent: number): Promise<CanaryResult | undefined> {
    if (interrupted(run)) {
        return onInterrupted(run, run.lastCompleted);
    }
    const stepNumber = run.plan.allSteps.indexOf(percent) + 1;
    run.log(
        `[canary] step ${stepNumber}/${run.plan.allSteps.length} ${percent}%: setting canaryPercent ${percent}, up`,
    );
    const upStarted = run.clock.now();
    try {
        await run.rollout.setCanaryPercent(percent);
    } catch (error) {
        const failure = describeError(error);
        return rollBackAndFinish(run, "the up failed", {
            outcome: "error",
            message: `up at ${percent}% failed: ${failure}; rolled back`,
            failedState: "unknown: the up and the rollback failed; inspect the stack and run pulumi up",
            failedMessage: (again) => `up at ${percent}% failed: ${failure}; the rollback failed too: ${again}`,
        });
    }
    const upMs = run.clock.now() - upStarted;
    run.upTimes.push(upMs);
    run.lastCompleted = percent;
    return judge(run, { phase: "step", stepNumber, percent, upMs, stepIndex });
}

/** One more window at 100% before stable is replaced; undefined when it passed. */
export async function bake(run: CanaryRun): Promise<CanaryResult | undefined> {
    run.log(`[canary] baking ${run.plan.canaryVersion} at 100% for ${run.bakeSeconds}s before stable is replaced`);
    const at: JudgeAt = {
        phase: "bake",
        stepNumber: run.plan.allSteps.length,
        percent: 100,
        upMs: 0,
        stepIndex: run.plan.steps.length - 1,
    };
    return judge(run, at);
}

/** Judges windows at one percentage; undefined when one passed, a result when the run ends here. */
async function judge(run: CanaryRun, at: JudgeAt): Promise<CanaryResult | undefined> {
    const windowSeconds = at.phase === "bake" ? run.bakeSeconds : run.plan.analysis.intervalSeconds;
    const judged = await judgeWindows({
        metrics: run.metrics,
        thresholds: run.plan.analysis,
        windowSeconds,
        targetShare: at.percent / 100,
        splitDesignEffect: run.plan.splitDesignEffect ?? 1,
        clock: run.clock,
        ...(run.interrupt === undefined ? {} : { interrupt: run.interrupt }),
        settleMs: run.settleMs,
        phase: at.phase,
        step: at.stepNumber,
        percent: at.percent,
        upMs: at.upMs,
        onWindow: (record, heldBefore) => {
            run.windows.push(record);
            run.log(windowLine(run, at, record, heldBefore, windowSeconds));
        },
    });
    if (judged.kind === "interrupted") {
        return onInterrupted(run, at.percent);
    }
    if (judged.kind === "advance") {
        return undefined;
    }
    return rollBackAfterAnalysis(run, at, judged.last.verdict);
}

function rollBackAfterAnalysis(run: CanaryRun, at: JudgeAt, verdict: Verdict): Promise<CanaryResult> {
    const why = verdict.reasons.join("; ");
    const where = at.phase === "bake" ? "in the bake at 100%" : `at ${at.percent}%`;
    const reason =
        verdict.decision === "fail"
            ? "analysis failed"
            : verdict.decision === "misrouted"
              ? "the split stayed wrong"
              : "no data for too long";
    return rollBackAndFinish(run, reason, {
        outcome: "rolled-back",
        message: `rolled back ${where}: ${why}`,
        failedState: "unknown: the rollback up failed; inspect the stack and run pulumi up",
        failedMessage: (error) => `analysis ${where} said roll back (${why}), and the rollback failed: ${error}`,
    });
}

/** The last `up`: `stableVersion := canaryVersion`, no canary; a failed promotion rolls back. */
export async function promote(run: CanaryRun): Promise<CanaryResult> {
    if (interrupted(run)) {
        return onInterrupted(run, run.lastCompleted);
    }
    const { plan } = run;
    run.log(`[canary] promoting ${plan.canaryVersion}: stableVersion ${plan.canaryVersion}, canaryPercent 0, one up`);
    let change: ConfigChange;
    try {
        change = await run.rollout.promote();
    } catch (error) {
        const failure = describeError(error);
        return rollBackAndFinish(run, "the promotion up failed", {
            outcome: "error",
            message: `promotion failed: ${failure}; rolled back`,
            failedState: "unknown: the promotion and the rollback failed; inspect the stack and run pulumi up",
            failedMessage: (again) => `promotion failed: ${failure}; the rollback failed too: ${again}`,
        });
    }
    return finish(
        run,
        "promoted",
        `stable ${plan.canaryVersion} only, no canary`,
        `${plan.app} ${plan.canaryVersion} promoted after ${plan.steps.length} steps` +
            (run.bakeSeconds > 0 ? ` and a ${run.bakeSeconds}s bake` : ""),
        change,
    );
}

/** The progress line of one window: its numbers, what comes next, the time left. */
function windowLine(
    run: CanaryRun,
    at: JudgeAt,
    record: WindowRecord,
    heldBefore: number,
    windowSeconds: number,
): string {
    const label =
        at.phase === "bake"
            ? `[canary] bake 100% (${run.bakeSeconds}s)`
            : `[canary] step ${at.stepNumber}/${run.plan.allSteps.length} ${at.percent}%`;
    const left = formatDuration(remaining(run, record.action, at.stepIndex, windowSeconds * 1000));
    return progressLine(label, record, whatNext(run, at, record.action, heldBefore), at.phase === "bake" ? "" : left);
}

function whatNext(run: CanaryRun, at: JudgeAt, action: Action, heldBefore: number): string {
    if (action === "advance") {
        return at.percent === 100 && (at.phase === "bake" || run.bakeSeconds === 0)
            ? "promote"
            : at.percent === 100
              ? "bake"
              : "next step";
    }
    return action === "hold"
        ? `hold (${heldBefore + 1}/${run.plan.analysis.maxNoDataIntervals} windows held)`
        : "roll back";
}

/** Until the end of the run if it goes on: a hold adds a window, a rollback ends it now. */
function remaining(run: CanaryRun, action: Action, stepIndex: number, windowMs: number): number {
    return action === "rollback" ? 0 : timeLeft(run, stepIndex) + (action === "hold" ? windowMs : 0);
}

function timeLeft(run: CanaryRun, stepIndex: number): number {
    const { upTimes, plan } = run;
    const averageUp = upTimes.length === 0 ? 0 : upTimes.reduce((a, b) => a + b, 0) / upTimes.length;
    const remainingSteps = plan.steps.length - stepIndex - 1;
    return remainingSteps * (plan.analysis.intervalSeconds * 1000 + averageUp) + run.bakeSeconds * 1000 + averageUp;
}
