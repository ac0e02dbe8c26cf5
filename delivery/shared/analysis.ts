/**
 * Pure canary analysis: one window's measurements and thresholds in, a decision and its record out.
 * No I/O, no clock: what is tested here is what the canary steps, the bake and the blue-green watch
 * decide (they all call {@link analyseWindow} and {@link nextAction}).
 *
 * The seed compared a raw 5xx *rate* (errors per second) and had no rule for "no data", so a canary
 * that got no traffic passed. Here the error measure is a *ratio* (5xx requests / all requests), a
 * canary below `minRequests` is no data (never a pass), and no data only ever holds or rolls back.
 */
import type {
    Action,
    AnalysisOptions,
    AnalysisThresholds,
    CheckRecord,
    Decision,
    NoData,
    Verdict,
    WindowMetrics,
} from "./analysis-types";
import { formatRatio, formatSeconds } from "./format";
import { formatShare } from "./traffic-split";
import { windowChecks } from "./window-checks";

export type * from "./analysis-types";
export { formatRatio, formatSeconds } from "./format";

export function isNoData(value: WindowMetrics | NoData): value is NoData {
    return "noData" in value;
}

/** A count Prometheus may return as a float (`increase()` extrapolates); NaN/negative is unusable. */
function usable(value: number): boolean {
    return Number.isFinite(value) && value >= 0;
}

const EMPTY = { canaryRequests: null, stableRequests: null, canaryRatio: null, stableRatio: null, p95Seconds: null };

/** How a window's checks add up: any fail fails; a wrong split holds; too little data holds. */
function decide(checks: readonly CheckRecord[]): Decision {
    for (const decision of ["fail", "misrouted", "no-data"] as const) {
        if (checks.some((check) => check.verdict === decision)) {
            return decision;
        }
    }
    return "pass";
}

/** A window that could not be judged at all: one no-data check naming what was missing. */
function unmeasured(
    measured: WindowMetrics | NoData,
    name: string,
    query: string,
    valueText: string,
    reason: string,
): Verdict {
    const check: CheckRecord = {
        name,
        query,
        windowSeconds: measured.windowSeconds ?? null,
        sampleSize: null,
        value: null,
        valueText,
        threshold: null,
        thresholdText: name === "measurements" ? "every query answers" : "a count ≥ 0",
        verdict: "no-data",
    };
    return { decision: "no-data", reasons: [reason], checks: [check], ...EMPTY };
}

/**
 * Decides one window; every rule is one {@link CheckRecord} of the verdict's decision record:
 * - **fail** when the canary's 5xx ratio is above `maxErrorRatio`; or (when the thresholds compare
 *   against stable) above `maxRatioVsStable` × stable's ratio *and* above `ratioFloor`, so 0% vs
 *   0.01% is not a failure; or its p95 is above `maxP95Seconds`; or it already has so many 5xx that
 *   even `minRequests` requests would be above `maxErrorRatio` (a canary failing hard is not waited
 *   for).
 * - **misrouted** when `targetShare` is given and the observed canary share of both tracks' requests
 *   is outside the binomial tolerance of it (traffic-split.ts): the verdicts were measured on a split
 *   the step did not ask for, so the step neither promotes nor fails; it holds like no data.
 * - **no-data** when there are no measurements, or the canary served fewer than `minRequests`
 *   requests (no traffic is not a pass), or its p95 is unknown.
 * - **pass** otherwise.
 */
export function analyseWindow(
    measured: WindowMetrics | NoData,
    thresholds: AnalysisThresholds,
    options: AnalysisOptions = {},
): Verdict {
    const queries = measured.queries ?? {};
    if (isNoData(measured)) {
        return unmeasured(measured, "measurements", Object.values(queries).join("\n"), "n/a", measured.noData);
    }
    const { canary, stable } = measured;
    for (const [what, value] of [
        ["canary requests", canary.requests],
        ["canary 5xx", canary.errors],
        ["stable requests", stable.requests],
        ["stable 5xx", stable.errors],
    ] as const) {
        if (!usable(value)) {
            const query = (what.endsWith("5xx") ? queries.errors : queries.requests) ?? "";
            return unmeasured(measured, what, query, String(value), `${what} is ${String(value)}`);
        }
    }
    const judged = windowChecks(measured, thresholds, options);
    const decision = decide(judged.checks);
    const { canaryRatio, stableRatio, p95Seconds, split } = judged;
    // The reasons of the deciding kind only: a fail names its failures, a hold what it waits for.
    const reasons =
        decision === "pass"
            ? [
                  `5xx ratio ${formatRatio(canaryRatio)} (stable ${formatRatio(stableRatio)}), ` +
                      `p95 ${formatSeconds(p95Seconds)}, ${canary.requests.toFixed(0)} requests` +
                      (split === undefined ? "" : `, canary share ${formatShare(split.observed)}`),
              ]
            : judged.reasons.filter((entry) => entry.verdict === decision).map((entry) => entry.reason);
    return {
        decision,
        reasons,
        checks: judged.checks,
        ...(split === undefined ? {} : { split }),
        canaryRequests: canary.requests,
        stableRequests: stable.requests,
        canaryRatio,
        stableRatio,
        p95Seconds,
    };
}

/**
 * What to do after a window, given how many windows in a row held *before* this one. No data and a
 * misrouted split never advance: they hold while at most `maxNoDataIntervals` consecutive windows
 * held, and roll back on the next one. A pass advances; a fail rolls back.
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
        case "misrouted":
            return noDataBefore + 1 > thresholds.maxNoDataIntervals ? "rollback" : "hold";
    }
}
