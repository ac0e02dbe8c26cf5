/**
 * The canary loop: step the stack's canary percentage, judge windows until one passes (holding on
 * no data or a misrouted split), then go on; at 100% optionally bake one more window; promote after
 * that, roll back on a fail or too many holds.
 *
 * It knows neither the Automation API nor Prometheus: it talks to a {@link Rollout} (the stack
 * driver) and a {@link CanaryMetrics} (Prometheus), so unit tests drive it with in-memory fakes.
 *
 * Interrupts (Ctrl-C, SIGTERM) never leave a half state: a running `up` is never cancelled; once it
 * has finished, the controller rolls back (or, with `onInterrupt: "hold"`, stays at the last
 * completed step) and says which.
 */
import type { Action } from "../shared/analysis";
import { type Clock, formatDuration, realClock } from "../shared/clock";
import type { CanaryMetrics } from "../shared/prometheus";
import {
    type CanaryResult,
    type ConfigChange,
    EXIT_CODES,
    type InterruptPolicy,
    type Outcome,
    type RolloutPlan,
    type Rollout,
} from "./rollout-types";
import { progressLine } from "../shared/progress-line";
import { judgeWindows, type WindowRecord } from "../shared/window-loop";

export { type Clock, realClock } from "../shared/clock";
export { progressLine } from "../shared/progress-line";
export * from "./rollout-types";
export type { WindowPhase, WindowRecord } from "../shared/window-loop";

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

export function describeError(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

export async function runCanary(options: ControllerOptions): Promise<CanaryResult> {
    const log =
        options.log ??
        ((line: string) => {
            console.log(line);
        });
    const clock = options.clock ?? realClock;
    const onInterrupt = options.onInterrupt ?? "rollback";
    const interrupted = (): boolean => options.interrupt?.aborted === true;
    const startedAt = clock.now();
    const windows: WindowRecord[] = [];

    const finish = (
        outcome: Outcome,
        state: string,
        message: string,
        plan?: RolloutPlan,
        configChange?: ConfigChange,
    ): CanaryResult => {
        log(`[canary] ${outcome}: ${message}`);
        log(`[canary] now running: ${state}`);
        return {
            outcome,
            exitCode: EXIT_CODES[outcome],
            state,
            message,
            plan,
            windows,
            configChange,
            startedAt,
            finishedAt: clock.now(),
        };
    };

    let plan: RolloutPlan;
    try {
        plan = await options.rollout.prepare();
    } catch (error) {
        return finish("error", "unchanged (nothing was written)", describeError(error));
    }
    const bakeSeconds = plan.bakeSeconds ?? 0;
    const stableState = `stable ${plan.stableVersion} only, no canary`;
    log(
        `[canary] ${plan.stack}: ${plan.app} ${plan.stableVersion} -> ${plan.canaryVersion}, steps ${plan.allSteps.join(", ")}%` +
            `, window ${plan.analysis.intervalSeconds}s` +
            (bakeSeconds > 0 ? `, bake ${bakeSeconds}s at 100%` : "") +
            (plan.resumedFrom === undefined ? "" : `, resuming at ${plan.resumedFrom}%`),
    );

    /** Rolls back in one `up`; never throws. */
    const rollBack = async (
        why: string,
    ): Promise<{ ok: true; change: ConfigChange } | { ok: false; error: string }> => {
        log(`[canary] rolling back (${why}): canaryPercent 0, canary workload removed, one up`);
        try {
            return { ok: true, change: await options.rollout.rollBack() };
        } catch (error) {
            return { ok: false, error: describeError(error) };
        }
    };

    const onInterrupted = async (lastCompleted: number | undefined): Promise<CanaryResult> => {
        if (onInterrupt === "hold") {
            const state =
                lastCompleted === undefined
                    ? `${stableState} (canary version written to config, no traffic)`
                    : `held at ${lastCompleted}%: canary ${plan.canaryVersion}, stable ${plan.stableVersion}`;
            return finish(
                "interrupted",
                state,
                `interrupted; holding at the last completed step as asked (--on-interrupt=hold). ` +
                    `Run the same command again to resume, or set canaryPercent 0 to roll back.`,
                plan,
            );
        }
        const result = await rollBack("interrupted");
        if (!result.ok) {
            return finish(
                "error",
                "unknown: the rollback up failed",
                `interrupted, and the rollback failed: ${result.error}`,
                plan,
            );
        }
        return finish("interrupted", stableState, "interrupted; rolled back to stable", plan, result.change);
    };

    const upTimes: number[] = [];
    const timeLeft = (stepIndex: number): number => {
        const averageUp = upTimes.length === 0 ? 0 : upTimes.reduce((a, b) => a + b, 0) / upTimes.length;
        const remainingSteps = plan.steps.length - stepIndex - 1;
        return remainingSteps * (plan.analysis.intervalSeconds * 1000 + averageUp) + bakeSeconds * 1000 + averageUp;
    };
    /** Until the end of the run if it goes on: a hold adds a window, a rollback ends it now. */
    const remaining = (action: Action, stepIndex: number, windowMs: number): number =>
        action === "rollback" ? 0 : timeLeft(stepIndex) + (action === "hold" ? windowMs : 0);

    /** Judges windows at one percentage; undefined when it passed, a result when the run ends here. */
    const judge = async (
        phase: "step" | "bake",
        stepNumber: number,
        percent: number,
        upMs: number,
        stepIndex: number,
    ): Promise<CanaryResult | undefined> => {
        const windowSeconds = phase === "bake" ? bakeSeconds : plan.analysis.intervalSeconds;
        const label =
            phase === "bake"
                ? `[canary] bake 100% (${bakeSeconds}s)`
                : `[canary] step ${stepNumber}/${plan.allSteps.length} ${percent}%`;
        const judged = await judgeWindows({
            metrics: options.metrics,
            thresholds: plan.analysis,
            windowSeconds,
            targetShare: percent / 100,
            splitDesignEffect: plan.splitDesignEffect ?? 1,
            clock,
            ...(options.interrupt === undefined ? {} : { interrupt: options.interrupt }),
            settleMs: options.settleMs ?? 0,
            phase,
            step: stepNumber,
            percent,
            upMs,
            onWindow: (record, heldBefore) => {
                windows.push(record);
                const next =
                    record.action === "advance"
                        ? percent === 100 && (phase === "bake" || bakeSeconds === 0)
                            ? "promote"
                            : percent === 100
                              ? "bake"
                              : "next step"
                        : record.action === "hold"
                          ? `hold (${heldBefore + 1}/${plan.analysis.maxNoDataIntervals} windows held)`
                          : "roll back";
                const left = formatDuration(remaining(record.action, stepIndex, windowSeconds * 1000));
                log(progressLine(label, record, next, phase === "bake" ? "" : left));
            },
        });
        if (judged.kind === "interrupted") {
            return onInterrupted(percent);
        }
        if (judged.kind === "advance") {
            return undefined;
        }
        const verdict = judged.last.verdict;
        const why = verdict.reasons.join("; ");
        const where = phase === "bake" ? "in the bake at 100%" : `at ${percent}%`;
        const result = await rollBack(
            verdict.decision === "fail"
                ? "analysis failed"
                : verdict.decision === "misrouted"
                  ? "the split stayed wrong"
                  : "no data for too long",
        );
        if (!result.ok) {
            return finish(
                "error",
                "unknown: the rollback up failed; inspect the stack and run pulumi up",
                `analysis ${where} said roll back (${why}), and the rollback failed: ${result.error}`,
                plan,
            );
        }
        return finish("rolled-back", stableState, `rolled back ${where}: ${why}`, plan, result.change);
    };

    let lastCompleted: number | undefined;
    for (const [stepIndex, percent] of plan.steps.entries()) {
        if (interrupted()) {
            return onInterrupted(lastCompleted);
        }
        const stepNumber = plan.allSteps.indexOf(percent) + 1;
        log(`[canary] step ${stepNumber}/${plan.allSteps.length} ${percent}%: setting canaryPercent ${percent}, up`);
        const upStarted = clock.now();
        try {
            await options.rollout.setCanaryPercent(percent);
        } catch (error) {
            const failure = describeError(error);
            const result = await rollBack("the up failed");
            return result.ok
                ? finish("error", stableState, `up at ${percent}% failed: ${failure}; rolled back`, plan, result.change)
                : finish(
                      "error",
                      "unknown: the up and the rollback failed; inspect the stack and run pulumi up",
                      `up at ${percent}% failed: ${failure}; the rollback failed too: ${result.error}`,
                      plan,
                  );
        }
        const upMs = clock.now() - upStarted;
        upTimes.push(upMs);
        lastCompleted = percent;
        const ended = await judge("step", stepNumber, percent, upMs, stepIndex);
        if (ended !== undefined) {
            return ended;
        }
    }
    if (bakeSeconds > 0) {
        log(`[canary] baking ${plan.canaryVersion} at 100% for ${bakeSeconds}s before stable is replaced`);
        const ended = await judge("bake", plan.allSteps.length, 100, 0, plan.steps.length - 1);
        if (ended !== undefined) {
            return ended;
        }
    }

    if (interrupted()) {
        return onInterrupted(lastCompleted);
    }
    log(`[canary] promoting ${plan.canaryVersion}: stableVersion ${plan.canaryVersion}, canaryPercent 0, one up`);
    try {
        const change = await options.rollout.promote();
        return finish(
            "promoted",
            `stable ${plan.canaryVersion} only, no canary`,
            `${plan.app} ${plan.canaryVersion} promoted after ${plan.steps.length} steps` +
                (bakeSeconds > 0 ? ` and a ${bakeSeconds}s bake` : ""),
            plan,
            change,
        );
    } catch (error) {
        const failure = describeError(error);
        const result = await rollBack("the promotion up failed");
        return result.ok
            ? finish("error", stableState, `promotion failed: ${failure}; rolled back`, plan, result.change)
            : finish(
                  "error",
                  "unknown: the promotion and the rollback failed; inspect the stack and run pulumi up",
                  `promotion failed: ${failure}; the rollback failed too: ${result.error}`,
                  plan,
              );
    }
}
