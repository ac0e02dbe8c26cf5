/**
 * The vocabulary of the analysis: what a window measured, the thresholds it is judged by, and the
 * verdict with its decision record. Types only.
 */
import type { AnalysisConfig } from "../../config/schema";
import type { SplitCheck } from "./traffic-split";

/**
 * The thresholds of one window: `canary.analysis`, or `blueGreen.watch` mapped onto it. Without
 * `maxRatioVsStable`/`ratioFloor` there is no comparison with stable (the blue-green watch: the old
 * colour serves nothing after the switch).
 */
export type AnalysisThresholds = Pick<
    AnalysisConfig,
    "maxErrorRatio" | "maxP95Seconds" | "minRequests" | "maxNoDataIntervals"
> &
    Partial<Pick<AnalysisConfig, "maxRatioVsStable" | "ratioFloor">>;

/** Requests one track served in the window, and how many of them were 5xx. */
export interface TrackCounts {
    readonly requests: number;
    readonly errors: number;
}

/** The PromQL a window was measured with, for the decision record. */
export interface QueryTexts {
    readonly requests?: string;
    readonly errors?: string;
    readonly p95?: string;
}

/** Where a measurement came from: the queries and the window they covered. */
export interface MeasurementSource {
    readonly queries?: QueryTexts;
    readonly windowSeconds?: number;
}

/** What Prometheus said about one analysis window. */
export interface WindowMetrics extends MeasurementSource {
    readonly canary: TrackCounts & {
        /** p95 latency in seconds; null when Prometheus had no histogram data. */
        readonly p95Seconds: number | null;
    };
    readonly stable: TrackCounts;
}

/** A window without usable measurements: Prometheus unreachable, a query failed, no series. */
export interface NoData extends MeasurementSource {
    readonly noData: string;
}

/** `misrouted`: the observed split is not the step's; it holds like no data. */
export type Decision = "pass" | "fail" | "no-data" | "misrouted";

export type CheckVerdict = Decision | "skipped";

/** One rule applied to one window: the decision record keeps every one of them. */
export interface CheckRecord {
    readonly name: string;
    /** The PromQL the value came from (several lines for a ratio). */
    readonly query: string;
    readonly windowSeconds: number | null;
    /** Requests the value rests on. */
    readonly sampleSize: number | null;
    readonly value: number | null;
    readonly valueText: string;
    readonly threshold: number | null;
    readonly thresholdText: string;
    readonly verdict: CheckVerdict;
}

export interface Verdict {
    readonly decision: Decision;
    /** Why: every broken rule for a fail, the missing thing for no data, the checks for a pass. */
    readonly reasons: readonly string[];
    /** Every rule applied, in order, with its query, window, sample, value and threshold. */
    readonly checks: readonly CheckRecord[];
    /** The measured split, when the window had a target share. */
    readonly split?: SplitCheck;
    readonly canaryRequests: number | null;
    readonly stableRequests: number | null;
    /** 5xx / all for the canary; null without canary requests. */
    readonly canaryRatio: number | null;
    /** 5xx / all for stable; null without stable requests (e.g. at 100%, when stable gets none). */
    readonly stableRatio: number | null;
    readonly p95Seconds: number | null;
}

export interface AnalysisOptions {
    /** The share of requests the router should send the canary (0-1); checked when given. */
    readonly targetShare?: number;
    /** Requests per independent routing draw: the sticky cohorts' requests per client; 1 otherwise. */
    readonly splitDesignEffect?: number;
}

/** What to do after a window. */
export type Action = "advance" | "hold" | "rollback";
