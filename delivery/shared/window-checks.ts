/**
 * The rules of one window with usable counts, each as a {@link CheckRecord}: traffic, 5xx ratio,
 * 5xx ratio against stable, p95, and (with a target share) the measured split. analysis.ts adds them
 * up into a decision.
 */
import type {
    AnalysisOptions,
    AnalysisThresholds,
    CheckRecord,
    CheckVerdict,
    QueryTexts,
    TrackCounts,
    WindowMetrics,
} from "./analysis-types";
import { formatRatio, formatSeconds } from "./format";
import { checkSplit, formatShare, formatTarget, SPLIT_CONFIDENCE, type SplitCheck } from "./traffic-split";

export interface WindowChecks {
    readonly checks: readonly CheckRecord[];
    /** One reason per check, with that check's verdict. */
    readonly reasons: readonly { readonly verdict: CheckVerdict; readonly reason: string }[];
    readonly split?: SplitCheck;
    readonly canaryRatio: number | null;
    readonly stableRatio: number | null;
    readonly p95Seconds: number | null;
}

export function ratio(counts: TrackCounts): number | null {
    if (counts.requests <= 0) {
        return null;
    }
    // Extrapolated counters can put errors a hair above requests; a ratio stays within [0, 1].
    return Math.min(1, counts.errors / counts.requests);
}

/** One window's numbers, as every check reads them. */
interface Judged {
    readonly measured: WindowMetrics;
    readonly thresholds: AnalysisThresholds;
    readonly queries: QueryTexts;
    readonly canaryRatio: number | null;
    readonly stableRatio: number | null;
    readonly p95: number | null;
    /** The canary's requests. */
    readonly n: number;
    /** At least `minRequests`: the other checks count. */
    readonly enough: boolean;
    readonly ratioQuery: string;
}

/** A check without its window length, and the reason it gives when it does not pass. */
interface Check {
    readonly check: Omit<CheckRecord, "windowSeconds">;
    readonly reason: string;
}

export function windowChecks(
    measured: WindowMetrics,
    thresholds: AnalysisThresholds,
    options: AnalysisOptions,
): WindowChecks {
    const { canary, stable } = measured;
    const queries: QueryTexts = measured.queries ?? {};
    const windowSeconds = measured.windowSeconds ?? null;
    const w: Judged = {
        measured,
        thresholds,
        queries,
        canaryRatio: ratio(canary),
        stableRatio: ratio(stable),
        p95: canary.p95Seconds !== null && Number.isFinite(canary.p95Seconds) ? canary.p95Seconds : null,
        n: canary.requests,
        enough: canary.requests >= thresholds.minRequests,
        ratioQuery: [queries.errors, queries.requests].filter((q) => q !== undefined).join("\n"),
    };
    const split =
        options.targetShare === undefined
            ? undefined
            : checkSplit(canary.requests, stable.requests, options.targetShare, options.splitDesignEffect);
    const found = [
        requestsCheck(w),
        earlyFailCheck(w),
        ratioCheck(w),
        vsStableCheck(w),
        p95Check(w),
        split === undefined ? undefined : splitCheck(w, split),
    ].filter((check) => check !== undefined);
    return {
        checks: found.map(({ check }) => ({ ...check, windowSeconds })),
        reasons: found.map(({ check, reason }) => ({ verdict: check.verdict, reason })),
        ...(split === undefined ? {} : { split }),
        canaryRatio: w.canaryRatio,
        stableRatio: w.stableRatio,
        p95Seconds: w.p95,
    };
}

/** A verdict that counts only with enough traffic. */
function judged(w: Judged, failed: boolean): CheckVerdict {
    return !w.enough ? "skipped" : failed ? "fail" : "pass";
}

function requestsCheck({ n, enough, thresholds, queries }: Judged): Check {
    return {
        check: {
            name: "canary requests",
            query: queries.requests ?? "",
            sampleSize: n,
            value: n,
            valueText: n.toFixed(0),
            threshold: thresholds.minRequests,
            thresholdText: `≥ ${thresholds.minRequests}`,
            verdict: enough ? "pass" : "no-data",
        },
        reason: `canary served ${n.toFixed(0)} requests, fewer than the minimum ${thresholds.minRequests}: no traffic is not a pass`,
    };
}

/** Too few requests, but already more 5xx than `minRequests` would allow: a fail without waiting. */
function earlyFailCheck({ n, enough, thresholds, queries, measured }: Judged): Check | undefined {
    const errors = measured.canary.errors;
    const early = !enough && errors / thresholds.minRequests > thresholds.maxErrorRatio;
    if (!early) {
        return undefined;
    }
    return {
        check: {
            name: "canary 5xx (early)",
            query: queries.errors ?? "",
            sampleSize: n,
            value: errors,
            valueText: errors.toFixed(0),
            threshold: thresholds.maxErrorRatio * thresholds.minRequests,
            thresholdText: `≤ ${(thresholds.maxErrorRatio * thresholds.minRequests).toFixed(1)} of ${thresholds.minRequests}`,
            verdict: "fail",
        },
        reason:
            `canary answered ${errors.toFixed(0)} requests with 5xx: even ${thresholds.minRequests} requests ` +
            `would be a ratio above the maximum ${formatRatio(thresholds.maxErrorRatio)}`,
    };
}

function ratioCheck(w: Judged): Check {
    const { n, thresholds, canaryRatio } = w;
    return {
        check: {
            name: "canary 5xx ratio",
            query: w.ratioQuery,
            sampleSize: n,
            value: canaryRatio,
            valueText: formatRatio(canaryRatio),
            threshold: thresholds.maxErrorRatio,
            thresholdText: `≤ ${formatRatio(thresholds.maxErrorRatio)}`,
            verdict: judged(w, canaryRatio !== null && canaryRatio > thresholds.maxErrorRatio),
        },
        reason: `canary 5xx ratio ${formatRatio(canaryRatio)} is above the maximum ${formatRatio(thresholds.maxErrorRatio)}`,
    };
}

function vsStableCheck(w: Judged): Check | undefined {
    const { canaryRatio, stableRatio } = w;
    const { maxRatioVsStable, ratioFloor } = w.thresholds;
    if (maxRatioVsStable === undefined || ratioFloor === undefined) {
        return undefined;
    }
    const limit = stableRatio === null ? null : Math.max(maxRatioVsStable * stableRatio, ratioFloor);
    return {
        check: {
            name: "5xx ratio vs stable",
            query: w.ratioQuery,
            sampleSize: w.measured.stable.requests,
            value: canaryRatio,
            valueText: `${formatRatio(canaryRatio)} vs stable ${formatRatio(stableRatio)}`,
            threshold: limit,
            thresholdText:
                limit === null
                    ? "stable served nothing"
                    : `≤ max(${maxRatioVsStable}× stable, ${formatRatio(ratioFloor)}) = ${formatRatio(limit)}`,
            verdict: limit === null ? "skipped" : judged(w, canaryRatio !== null && canaryRatio > limit),
        },
        reason:
            `canary 5xx ratio ${formatRatio(canaryRatio)} is above ${maxRatioVsStable}× stable's ` +
            `${formatRatio(stableRatio)} (floor ${formatRatio(ratioFloor)})`,
    };
}

function p95Check({ n, enough, p95, thresholds, queries }: Judged): Check {
    return {
        check: {
            name: "canary p95",
            query: queries.p95 ?? "",
            sampleSize: n,
            value: p95,
            valueText: formatSeconds(p95),
            threshold: thresholds.maxP95Seconds,
            thresholdText: `≤ ${formatSeconds(thresholds.maxP95Seconds)}`,
            verdict: !enough ? "skipped" : p95 === null ? "no-data" : p95 > thresholds.maxP95Seconds ? "fail" : "pass",
        },
        reason:
            p95 === null
                ? "no p95 latency for the canary (no histogram data)"
                : `canary p95 ${formatSeconds(p95)} is above the limit ${formatSeconds(thresholds.maxP95Seconds)}`,
    };
}

function splitCheck({ thresholds, queries }: Judged, split: SplitCheck): Check {
    const concluded = split.sampleSize >= thresholds.minRequests;
    return {
        check: {
            name: "traffic split",
            query: queries.requests ?? "",
            sampleSize: split.sampleSize,
            value: split.observed,
            valueText: `canary ${formatShare(split.observed)}`,
            threshold: split.tolerance,
            thresholdText:
                split.designEffect > 1
                    ? `${formatTarget(split)} (binomial over sticky clients, ${split.designEffect} requests each, ${SPLIT_CONFIDENCE * 100}%)`
                    : `${formatTarget(split)} (binomial, ${SPLIT_CONFIDENCE * 100}%)`,
            verdict: !concluded ? "skipped" : split.withinTolerance ? "pass" : "misrouted",
        },
        reason:
            `canary got ${formatShare(split.observed)} of ${split.sampleSize.toFixed(0)} requests, outside ` +
            `${formatTarget(split)}: the router is not sending the step's share`,
    };
}
