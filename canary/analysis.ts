/**
 * Pure canary analysis: one window's measurements and the `canary.analysis` thresholds in, a
 * decision out. No I/O, no clock: what is tested here is what the controller decides.
 *
 * The seed compared a raw 5xx *rate* (errors per second) and had no rule for "no data", so a canary
 * that got no traffic passed. Here the error measure is a *ratio* (5xx requests / all requests), a
 * canary below `minRequests` is no data (never a pass), and no data only ever holds or rolls back.
 */
import type { AnalysisConfig } from "../config/schema";

/** The thresholds the analysis uses, as validated by config/schema.ts (`canary.analysis`). */
export type AnalysisThresholds = Pick<
    AnalysisConfig,
    "maxErrorRatio" | "maxRatioVsStable" | "ratioFloor" | "maxP95Seconds" | "minRequests" | "maxNoDataIntervals"
>;

/** Requests one track served in the window, and how many of them were 5xx. */
export interface TrackCounts {
    readonly requests: number;
    readonly errors: number;
}

/** What Prometheus said about one analysis window. */
export interface WindowMetrics {
    readonly canary: TrackCounts & {
        /** p95 latency in seconds; null when Prometheus had no histogram data. */
        readonly p95Seconds: number | null;
    };
    readonly stable: TrackCounts;
}

/** A window without usable measurements: Prometheus unreachable, a query failed, no series. */
export interface NoData {
    readonly noData: string;
}

export type Decision = "pass" | "fail" | "no-data";

export interface Verdict {
    readonly decision: Decision;
    /** Why: every broken rule for a fail, the missing thing for no data, the checks for a pass. */
    readonly reasons: readonly string[];
    readonly canaryRequests: number | null;
    readonly stableRequests: number | null;
    /** 5xx / all for the canary; null without canary requests. */
    readonly canaryRatio: number | null;
    /** 5xx / all for stable; null without stable requests (e.g. at 100%, when stable gets none). */
    readonly stableRatio: number | null;
    readonly p95Seconds: number | null;
}

/** What to do after a window. */
export type Action = "advance" | "hold" | "rollback";

export function isNoData(value: WindowMetrics | NoData): value is NoData {
    return "noData" in value;
}

/** A count Prometheus may return as a float (`increase()` extrapolates); NaN/negative is unusable. */
function usable(value: number): boolean {
    return Number.isFinite(value) && value >= 0;
}

function ratio(counts: TrackCounts): number | null {
    if (counts.requests <= 0) {
        return null;
    }
    // Extrapolated counters can put errors a hair above requests; a ratio stays within [0, 1].
    return Math.min(1, counts.errors / counts.requests);
}

export function formatRatio(value: number | null): string {
    return value === null ? "n/a" : `${(value * 100).toFixed(2)}%`;
}

export function formatSeconds(value: number | null): string {
    return value === null ? "n/a" : value < 1 ? `${(value * 1000).toFixed(0)}ms` : `${value.toFixed(2)}s`;
}

const EMPTY = { canaryRequests: null, stableRequests: null, canaryRatio: null, stableRatio: null, p95Seconds: null };

/**
 * Decides one window:
 * - **fail** when the canary's 5xx ratio is above `maxErrorRatio`; or above `maxRatioVsStable` ×
 *   stable's ratio *and* above `ratioFloor` (so 0% vs 0.01% is not a failure); or its p95 is above
 *   `maxP95Seconds`; or it already has so many 5xx that even `minRequests` requests would be above
 *   `maxErrorRatio` (a canary failing hard is not waited for).
 * - **no-data** when there are no measurements, or the canary served fewer than `minRequests`
 *   requests (no traffic is not a pass), or its p95 is unknown.
 * - **pass** otherwise.
 */
export function analyseWindow(measured: WindowMetrics | NoData, thresholds: AnalysisThresholds): Verdict {
    if (isNoData(measured)) {
        return { decision: "no-data", reasons: [measured.noData], ...EMPTY };
    }
    const { canary, stable } = measured;
    for (const [what, value] of [
        ["canary requests", canary.requests],
        ["canary 5xx", canary.errors],
        ["stable requests", stable.requests],
        ["stable 5xx", stable.errors],
    ] as const) {
        if (!usable(value)) {
            return { decision: "no-data", reasons: [`${what} is ${String(value)}`], ...EMPTY };
        }
    }
    const canaryRatio = ratio(canary);
    const stableRatio = ratio(stable);
    const p95 = canary.p95Seconds !== null && Number.isFinite(canary.p95Seconds) ? canary.p95Seconds : null;
    const base = {
        canaryRequests: canary.requests,
        stableRequests: stable.requests,
        canaryRatio,
        stableRatio,
        p95Seconds: p95,
    };

    const failures: string[] = [];
    const enough = canary.requests >= thresholds.minRequests;
    if (enough && canaryRatio !== null) {
        if (canaryRatio > thresholds.maxErrorRatio) {
            failures.push(
                `canary 5xx ratio ${formatRatio(canaryRatio)} is above the maximum ${formatRatio(thresholds.maxErrorRatio)}`,
            );
        }
        if (
            stableRatio !== null &&
            canaryRatio > thresholds.maxRatioVsStable * stableRatio &&
            canaryRatio > thresholds.ratioFloor
        ) {
            failures.push(
                `canary 5xx ratio ${formatRatio(canaryRatio)} is above ${thresholds.maxRatioVsStable}× stable's ` +
                    `${formatRatio(stableRatio)} (floor ${formatRatio(thresholds.ratioFloor)})`,
            );
        }
        if (p95 !== null && p95 > thresholds.maxP95Seconds) {
            failures.push(
                `canary p95 ${formatSeconds(p95)} is above the limit ${formatSeconds(thresholds.maxP95Seconds)}`,
            );
        }
    } else if (canary.errors / thresholds.minRequests > thresholds.maxErrorRatio) {
        failures.push(
            `canary answered ${canary.errors.toFixed(0)} requests with 5xx: even ${thresholds.minRequests} requests ` +
                `would be a ratio above the maximum ${formatRatio(thresholds.maxErrorRatio)}`,
        );
    }
    if (failures.length > 0) {
        return { decision: "fail", reasons: failures, ...base };
    }
    if (!enough) {
        return {
            decision: "no-data",
            reasons: [
                `canary served ${canary.requests.toFixed(0)} requests, fewer than the minimum ${thresholds.minRequests}: no traffic is not a pass`,
            ],
            ...base,
        };
    }
    if (p95 === null) {
        return { decision: "no-data", reasons: ["no p95 latency for the canary (no histogram data)"], ...base };
    }
    return {
        decision: "pass",
        reasons: [
            `5xx ratio ${formatRatio(canaryRatio)} (stable ${formatRatio(stableRatio)}), p95 ${formatSeconds(p95)}, ` +
                `${canary.requests.toFixed(0)} requests`,
        ],
        ...base,
    };
}

/**
 * What to do after a window, given how many windows in a row had no data *before* this one.
 * No data never advances: it holds while at most `maxNoDataIntervals` consecutive windows had none,
 * and rolls back on the next one. A pass advances; a fail rolls back.
 */
export function nextAction(
    decision: Decision,
    noDataBefore: number,
    thresholds: Pick<AnalysisThresholds, "maxNoDataIntervals">,
): Action {
    switch (decision) {
        case "pass":
            return "advance";
        case "fail":
            return "rollback";
        case "no-data":
            return noDataBefore + 1 > thresholds.maxNoDataIntervals ? "rollback" : "hold";
    }
}
