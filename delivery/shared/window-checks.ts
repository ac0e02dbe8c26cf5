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

export function windowChecks(
    measured: WindowMetrics,
    thresholds: AnalysisThresholds,
    options: AnalysisOptions,
): WindowChecks {
    const { canary, stable } = measured;
    const queries: QueryTexts = measured.queries ?? {};
    const windowSeconds = measured.windowSeconds ?? null;
    const canaryRatio = ratio(canary);
    const stableRatio = ratio(stable);
    const p95 = canary.p95Seconds !== null && Number.isFinite(canary.p95Seconds) ? canary.p95Seconds : null;
    const n = canary.requests;
    const enough = n >= thresholds.minRequests;
    const ratioQuery = [queries.errors, queries.requests].filter((q) => q !== undefined).join("\n");
    const checks: CheckRecord[] = [];
    const reasons: { verdict: CheckVerdict; reason: string }[] = [];
    const add = (check: Omit<CheckRecord, "windowSeconds">, reason: string): void => {
        checks.push({ ...check, windowSeconds });
        reasons.push({ verdict: check.verdict, reason });
    };

    const hardFail = !enough && canary.errors / thresholds.minRequests > thresholds.maxErrorRatio;
    add(
        {
            name: "canary requests",
            query: queries.requests ?? "",
            sampleSize: n,
            value: n,
            valueText: n.toFixed(0),
            threshold: thresholds.minRequests,
            thresholdText: `≥ ${thresholds.minRequests}`,
            verdict: enough ? "pass" : "no-data",
        },
        `canary served ${n.toFixed(0)} requests, fewer than the minimum ${thresholds.minRequests}: no traffic is not a pass`,
    );
    if (hardFail) {
        add(
            {
                name: "canary 5xx (early)",
                query: queries.errors ?? "",
                sampleSize: n,
                value: canary.errors,
                valueText: canary.errors.toFixed(0),
                threshold: thresholds.maxErrorRatio * thresholds.minRequests,
                thresholdText: `≤ ${(thresholds.maxErrorRatio * thresholds.minRequests).toFixed(1)} of ${thresholds.minRequests}`,
                verdict: "fail",
            },
            `canary answered ${canary.errors.toFixed(0)} requests with 5xx: even ${thresholds.minRequests} requests ` +
                `would be a ratio above the maximum ${formatRatio(thresholds.maxErrorRatio)}`,
        );
    }
    const judged = (failed: boolean): CheckVerdict => (!enough ? "skipped" : failed ? "fail" : "pass");
    add(
        {
            name: "canary 5xx ratio",
            query: ratioQuery,
            sampleSize: n,
            value: canaryRatio,
            valueText: formatRatio(canaryRatio),
            threshold: thresholds.maxErrorRatio,
            thresholdText: `≤ ${formatRatio(thresholds.maxErrorRatio)}`,
            verdict: judged(canaryRatio !== null && canaryRatio > thresholds.maxErrorRatio),
        },
        `canary 5xx ratio ${formatRatio(canaryRatio)} is above the maximum ${formatRatio(thresholds.maxErrorRatio)}`,
    );
    const { maxRatioVsStable, ratioFloor } = thresholds;
    if (maxRatioVsStable !== undefined && ratioFloor !== undefined) {
        const limit = stableRatio === null ? null : Math.max(maxRatioVsStable * stableRatio, ratioFloor);
        add(
            {
                name: "5xx ratio vs stable",
                query: ratioQuery,
                sampleSize: stable.requests,
                value: canaryRatio,
                valueText: `${formatRatio(canaryRatio)} vs stable ${formatRatio(stableRatio)}`,
                threshold: limit,
                thresholdText:
                    limit === null
                        ? "stable served nothing"
                        : `≤ max(${maxRatioVsStable}× stable, ${formatRatio(ratioFloor)}) = ${formatRatio(limit)}`,
                verdict: limit === null ? "skipped" : judged(canaryRatio !== null && canaryRatio > limit),
            },
            `canary 5xx ratio ${formatRatio(canaryRatio)} is above ${maxRatioVsStable}× stable's ` +
                `${formatRatio(stableRatio)} (floor ${formatRatio(ratioFloor)})`,
        );
    }
    add(
        {
            name: "canary p95",
            query: queries.p95 ?? "",
            sampleSize: n,
            value: p95,
            valueText: formatSeconds(p95),
            threshold: thresholds.maxP95Seconds,
            thresholdText: `≤ ${formatSeconds(thresholds.maxP95Seconds)}`,
            verdict: !enough ? "skipped" : p95 === null ? "no-data" : p95 > thresholds.maxP95Seconds ? "fail" : "pass",
        },
        p95 === null
            ? "no p95 latency for the canary (no histogram data)"
            : `canary p95 ${formatSeconds(p95)} is above the limit ${formatSeconds(thresholds.maxP95Seconds)}`,
    );
    let split: SplitCheck | undefined;
    if (options.targetShare !== undefined) {
        split = checkSplit(canary.requests, stable.requests, options.targetShare, options.splitDesignEffect);
        const concluded = split.sampleSize >= thresholds.minRequests;
        add(
            {
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
            `canary got ${formatShare(split.observed)} of ${split.sampleSize.toFixed(0)} requests, outside ` +
                `${formatTarget(split)}: the router is not sending the step's share`,
        );
    }
    return { checks, reasons, ...(split === undefined ? {} : { split }), canaryRatio, stableRatio, p95Seconds: p95 };
}
