/**
 * The one loop that judges windows, shared by every canary step, the bake at 100% and the blue-green
 * watch: wait a window, measure, analyse ({@link analyseWindow}), then decide with
 * {@link nextAction}. A pass ends it with `advance`; a fail, or more holds in a row (no data or a
 * misrouted split) than `maxNoDataIntervals`, ends it with `rollback`; an interrupt ends it at once.
 */
import { type Action, type AnalysisThresholds, analyseWindow, nextAction, type Verdict } from "./analysis";
import type { Clock } from "./clock";
import type { CanaryMetrics } from "./prometheus";

/** What a window was for: a canary step, the bake at 100%, or the watch after a blue-green switch. */
export type WindowPhase = "step" | "bake" | "watch";

/** One analysis window, as the reports show it. */
export interface WindowRecord {
    readonly phase?: WindowPhase;
    readonly step: number;
    readonly percent: number;
    /** 1 for the first window at this percentage, 2+ after holds. */
    readonly attempt: number;
    readonly windowSeconds?: number;
    readonly verdict: Verdict;
    readonly action: Action;
    /** Time of the `up` before this window (first window of a step only). */
    readonly upMs: number;
    readonly waitMs: number;
    readonly queryMs: number;
    readonly startedAt: number;
    readonly finishedAt: number;
}

export interface WindowLoopOptions {
    readonly metrics: CanaryMetrics;
    readonly thresholds: AnalysisThresholds;
    readonly windowSeconds: number;
    /** The share the canary should get (0-1); the split is checked when given. */
    readonly targetShare?: number;
    /** Requests per independent routing draw (sticky cohorts); 1 when absent. */
    readonly splitDesignEffect?: number;
    readonly clock: Clock;
    readonly interrupt?: AbortSignal;
    /** Extra wait after each window so its last scrape is in Prometheus. */
    readonly settleMs: number;
    readonly phase: WindowPhase;
    readonly step: number;
    readonly percent: number;
    /** Time of the `up` that preceded the first window. */
    readonly upMs: number;
    /** Called with every window and how many windows in a row held before it. */
    readonly onWindow: (record: WindowRecord, heldBefore: number) => void;
}

export type WindowLoopResult =
    | { readonly kind: "advance" | "rollback"; readonly last: WindowRecord }
    | { readonly kind: "interrupted" };

export async function judgeWindows(options: WindowLoopOptions): Promise<WindowLoopResult> {
    const { clock, thresholds } = options;
    const interrupted = (): boolean => options.interrupt?.aborted === true;
    let upMs = options.upMs;
    let heldBefore = 0;
    for (let attempt = 1; ; attempt++) {
        if (interrupted()) {
            return { kind: "interrupted" };
        }
        const windowStarted = clock.now();
        await clock.sleep(options.windowSeconds * 1000 + options.settleMs, options.interrupt);
        if (interrupted()) {
            return { kind: "interrupted" };
        }
        const waitMs = clock.now() - windowStarted;
        const measured = await options.metrics.measure(options.windowSeconds);
        const verdict = analyseWindow(
            measured,
            thresholds,
            options.targetShare === undefined
                ? {}
                : { targetShare: options.targetShare, splitDesignEffect: options.splitDesignEffect ?? 1 },
        );
        const action = nextAction(verdict.decision, heldBefore, thresholds);
        const record: WindowRecord = {
            phase: options.phase,
            step: options.step,
            percent: options.percent,
            attempt,
            windowSeconds: options.windowSeconds,
            verdict,
            action,
            upMs,
            waitMs,
            queryMs: measured.queryMs,
            startedAt: windowStarted - upMs,
            finishedAt: clock.now(),
        };
        options.onWindow(record, heldBefore);
        upMs = 0;
        if (action === "hold") {
            heldBefore++;
            continue;
        }
        return { kind: action, last: record };
    }
}
