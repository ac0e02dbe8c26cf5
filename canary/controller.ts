/**
 * The canary loop: step the stack's canary percentage, wait an analysis window, analyse, then go on,
 * hold, or roll back; promote after the last step passes.
 *
 * It knows neither the Automation API nor Prometheus: it talks to a {@link Rollout} (the stack
 * driver) and a {@link CanaryMetrics} (Prometheus), so unit tests drive it with in-memory fakes.
 *
 * Interrupts (Ctrl-C, SIGTERM) never leave a half state: a running `up` is never cancelled; once it
 * has finished, the controller rolls back (or, with `onInterrupt: "hold"`, stays at the last
 * completed step) and says which.
 */
import type { AnalysisConfig } from "../config/schema";
import { analyseWindow, type Action, formatRatio, formatSeconds, nextAction, type Verdict } from "./analysis";
import type { CanaryMetrics } from "./prometheus";

/** What the stack driver found and will do. */
export interface RolloutPlan {
    readonly stack: string;
    readonly app: string;
    /** The version stable runs now. */
    readonly stableVersion: string;
    /** The version being rolled out. */
    readonly canaryVersion: string;
    /** Percentages still to walk, in order; the last is 100. */
    readonly steps: readonly number[];
    /** Every configured step, for progress ("step 2/5"). */
    readonly allSteps: readonly number[];
    readonly analysis: AnalysisConfig;
    /** Set when a canary of the same version was already running at this percentage. */
    readonly resumedFrom?: number;
}

/** The lines of `Pulumi.<stack>.yaml` that changed, as a line diff (`-old`, `+new`). */
export interface ConfigChange {
    readonly file: string;
    readonly diff: readonly string[];
}

/** The stack operations the controller needs; every method that deploys runs exactly one `up`. */
export interface Rollout {
    /** Reads and validates the stack config and writes the canary version (no deployment). */
    prepare(): Promise<RolloutPlan>;
    /** Writes `canaryPercent` and runs one `up`. */
    setCanaryPercent(percent: number): Promise<void>;
    /** `canaryPercent: 0`, canary version removed, one `up`: the canary workload is gone. */
    rollBack(): Promise<ConfigChange>;
    /** `stableVersion := canaryVersion`, `canaryPercent: 0`, canary version removed, one `up`. */
    promote(): Promise<ConfigChange>;
}

export interface Clock {
    now(): number;
    /** Resolves after `ms`, or as soon as `signal` aborts. */
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
    now: () => Date.now(),
    sleep: (ms, signal) =>
        new Promise((resolve) => {
            if (signal?.aborted) {
                resolve();
                return;
            }
            const timer = setTimeout(done, ms);
            function done(): void {
                clearTimeout(timer);
                signal?.removeEventListener("abort", done);
                resolve();
            }
            signal?.addEventListener("abort", done, { once: true });
        }),
};

export type InterruptPolicy = "rollback" | "hold";

export type Outcome = "promoted" | "rolled-back" | "error" | "interrupted";

/** Process exit codes of the `canary` command, one per outcome (2 is a usage error). */
export const EXIT_CODES = {
    promoted: 0,
    error: 1,
    usage: 2,
    "rolled-back": 3,
    interrupted: 4,
} as const;

/** One analysis window, as the report shows it. */
export interface WindowRecord {
    readonly step: number;
    readonly percent: number;
    /** 1 for the first window at this percentage, 2+ after holds. */
    readonly attempt: number;
    readonly verdict: Verdict;
    readonly action: Action;
    /** Time of the `up` that set this percentage (first window of a step only). */
    readonly upMs: number;
    readonly waitMs: number;
    readonly queryMs: number;
    readonly startedAt: number;
    readonly finishedAt: number;
}

export interface CanaryResult {
    readonly outcome: Outcome;
    readonly exitCode: number;
    /** One sentence: what runs now. */
    readonly state: string;
    readonly message: string;
    readonly plan?: RolloutPlan;
    readonly windows: readonly WindowRecord[];
    readonly configChange?: ConfigChange;
    readonly startedAt: number;
    readonly finishedAt: number;
}

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

function describeError(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

function formatDuration(ms: number): string {
    const seconds = Math.max(0, Math.round(ms / 1000));
    return seconds < 120 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
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
    const stableState = `stable ${plan.stableVersion} only, no canary`;
    log(
        `[canary] ${plan.stack}: ${plan.app} ${plan.stableVersion} -> ${plan.canaryVersion}, steps ${plan.allSteps.join(", ")}%` +
            `, window ${plan.analysis.intervalSeconds}s` +
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
        return remainingSteps * (plan.analysis.intervalSeconds * 1000 + averageUp) + averageUp;
    };

    /** Until the end of the run if it goes on: a hold adds a window, a rollback ends it now. */
    const remaining = (action: Action, stepIndex: number): number =>
        action === "rollback"
            ? 0
            : timeLeft(stepIndex) + (action === "hold" ? plan.analysis.intervalSeconds * 1000 : 0);

    let lastCompleted: number | undefined;
    for (const [stepIndex, percent] of plan.steps.entries()) {
        if (interrupted()) {
            return onInterrupted(lastCompleted);
        }
        const stepNumber = plan.allSteps.indexOf(percent) + 1;
        const label = `step ${stepNumber}/${plan.allSteps.length} ${percent}%`;
        log(`[canary] ${label}: setting canaryPercent ${percent}, up`);
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
        let upMs = clock.now() - upStarted;
        upTimes.push(upMs);
        lastCompleted = percent;

        let noDataBefore = 0;
        for (let attempt = 1; ; attempt++) {
            if (interrupted()) {
                return onInterrupted(lastCompleted);
            }
            const windowStarted = clock.now();
            await clock.sleep(plan.analysis.intervalSeconds * 1000 + (options.settleMs ?? 0), options.interrupt);
            if (interrupted()) {
                return onInterrupted(lastCompleted);
            }
            const waitMs = clock.now() - windowStarted;
            const measured = await options.metrics.measure(plan.analysis.intervalSeconds);
            const verdict = analyseWindow(measured, plan.analysis);
            const action = nextAction(verdict.decision, noDataBefore, plan.analysis);
            windows.push({
                step: stepNumber,
                percent,
                attempt,
                verdict,
                action,
                upMs,
                waitMs,
                queryMs: measured.queryMs,
                startedAt: windowStarted - upMs,
                finishedAt: clock.now(),
            });
            upMs = 0;
            const next =
                action === "advance"
                    ? percent === 100
                        ? "promote"
                        : "next step"
                    : action === "hold"
                      ? `hold (${noDataBefore + 1}/${plan.analysis.maxNoDataIntervals} windows without data)`
                      : "roll back";
            log(
                `[canary] ${label} | canary 5xx ${formatRatio(verdict.canaryRatio)} ` +
                    `(${verdict.canaryRequests === null ? "?" : verdict.canaryRequests.toFixed(0)} req) | ` +
                    `stable 5xx ${formatRatio(verdict.stableRatio)} | p95 ${formatSeconds(verdict.p95Seconds)} | ` +
                    `${verdict.decision} -> ${next} | ~${formatDuration(remaining(action, stepIndex))} left` +
                    (verdict.decision === "pass" ? "" : ` | ${verdict.reasons.join("; ")}`),
            );
            if (action === "advance") {
                break;
            }
            if (action === "hold") {
                noDataBefore++;
                continue;
            }
            const why = verdict.reasons.join("; ");
            const result = await rollBack(verdict.decision === "fail" ? "analysis failed" : "no data for too long");
            if (!result.ok) {
                return finish(
                    "error",
                    "unknown: the rollback up failed; inspect the stack and run pulumi up",
                    `analysis at ${percent}% said roll back (${why}), and the rollback failed: ${result.error}`,
                    plan,
                );
            }
            return finish("rolled-back", stableState, `rolled back at ${percent}%: ${why}`, plan, result.change);
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
            `${plan.app} ${plan.canaryVersion} promoted after ${plan.steps.length} steps`,
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
