/**
 * Reads one analysis window from Prometheus over its HTTP API (`/api/v1/query`, instant queries).
 *
 * The backends expose a counter `http_requests_total{app,track,status}` and a histogram
 * `http_request_duration_seconds_bucket{app,track,le}`. Counts are `sum(increase(…[window]))`, so the
 * 5xx *ratio* is errors / requests of the same window; p95 is
 * `histogram_quantile(0.95, sum by (le) (rate(…[window])))`.
 *
 * Nothing here throws for an unreachable or failing Prometheus: every problem becomes a no-data
 * result with the reason, which the analysis never turns into a promotion.
 */
import type { NoData, WindowMetrics } from "./analysis";

export const REQUESTS_METRIC = "http_requests_total";
export const DURATION_BUCKET_METRIC = "http_request_duration_seconds_bucket";

/** One sample of an instant vector. */
export interface Sample {
    readonly labels: Readonly<Record<string, string>>;
    readonly value: number;
}

export type QueryResult =
    | { readonly ok: true; readonly samples: readonly Sample[]; readonly durationMs: number }
    | { readonly ok: false; readonly reason: string; readonly durationMs: number };

export interface PrometheusClientOptions {
    /** Base URL, e.g. `http://127.0.0.1:9090`. */
    readonly url: string;
    /** Per-query timeout. @default 5000 */
    readonly timeoutMs?: number;
}

/** A label value inside double quotes in PromQL. */
export function promString(value: string): string {
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function selector(metric: string, labels: Readonly<Record<string, string>>, extra = ""): string {
    const matchers = Object.entries(labels).map(([name, value]) => `${name}=${promString(value)}`);
    if (extra !== "") {
        matchers.push(extra);
    }
    return `${metric}{${matchers.join(",")}}`;
}

function range(windowSeconds: number): string {
    if (!Number.isInteger(windowSeconds) || windowSeconds < 1) {
        throw new RangeError(`windowSeconds: ${String(windowSeconds)} must be a positive integer`);
    }
    return `[${windowSeconds}s]`;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function labelName(name: string): string {
    if (!LABEL_NAME.test(name)) {
        throw new RangeError(`track label "${name}" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)`);
    }
    return name;
}

/** Requests per track of an app over the window: `sum by (track) (increase(...))`. */
export function requestsQuery(app: string, windowSeconds: number, trackLabel = "track"): string {
    return `sum by (${labelName(trackLabel)}) (increase(${selector(REQUESTS_METRIC, { app })}${range(windowSeconds)}))`;
}

/** 5xx requests per track of an app over the window. */
export function errorsQuery(app: string, windowSeconds: number, trackLabel = "track"): string {
    return (
        `sum by (${labelName(trackLabel)}) ` +
        `(increase(${selector(REQUESTS_METRIC, { app }, 'status=~"5.."')}${range(windowSeconds)}))`
    );
}

/** p95 latency of one track over the window, from the histogram buckets. */
export function p95Query(app: string, track: string, windowSeconds: number, trackLabel = "track"): string {
    return (
        `histogram_quantile(0.95, sum by (le) (rate(` +
        `${selector(DURATION_BUCKET_METRIC, { app, [labelName(trackLabel)]: track })}${range(windowSeconds)})))`
    );
}

interface ApiResponse {
    status?: string;
    error?: string;
    errorType?: string;
    data?: { resultType?: string; result?: { metric?: Record<string, string>; value?: [number, string] }[] };
}

export class PrometheusClient {
    readonly url: string;
    readonly timeoutMs: number;

    constructor(options: PrometheusClientOptions) {
        let parsed: URL;
        try {
            parsed = new URL(options.url);
        } catch {
            throw new Error(`prometheus: "${options.url}" is not a URL (e.g. http://127.0.0.1:9090)`);
        }
        if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
            throw new Error(`prometheus: "${options.url}" is not an http(s) URL`);
        }
        this.url = options.url.replace(/\/+$/, "");
        this.timeoutMs = options.timeoutMs ?? 5000;
    }

    /** One instant query; every failure is a result with a reason, never an exception. */
    async query(promql: string): Promise<QueryResult> {
        const started = performance.now();
        const elapsed = (): number => performance.now() - started;
        let response: Response;
        try {
            response = await fetch(`${this.url}/api/v1/query`, {
                method: "POST",
                headers: { "content-type": "application/x-www-form-urlencoded" },
                body: new URLSearchParams({ query: promql }).toString(),
                signal: AbortSignal.timeout(this.timeoutMs),
            });
        } catch (error) {
            return {
                ok: false,
                reason: `Prometheus at ${this.url} unreachable: ${describeFetchError(error)}`,
                durationMs: elapsed(),
            };
        }
        let body: ApiResponse;
        try {
            body = (await response.json()) as ApiResponse;
        } catch (error) {
            return {
                ok: false,
                reason: `Prometheus answered HTTP ${response.status} without JSON: ${describeFetchError(error)}`,
                durationMs: elapsed(),
            };
        }
        if (!response.ok || body.status !== "success") {
            return {
                ok: false,
                reason: `Prometheus query failed (HTTP ${response.status}, ${body.errorType ?? "error"}): ${body.error ?? "no message"}`,
                durationMs: elapsed(),
            };
        }
        if (body.data?.resultType !== "vector" || !Array.isArray(body.data.result)) {
            return {
                ok: false,
                reason: `Prometheus returned a ${String(body.data?.resultType)} result, expected a vector`,
                durationMs: elapsed(),
            };
        }
        const samples = body.data.result.map((entry) => ({
            labels: entry.metric ?? {},
            value: Number(entry.value?.[1]),
        }));
        return { ok: true, samples, durationMs: elapsed() };
    }
}

function describeFetchError(error: unknown): string {
    if (error instanceof Error) {
        if (error.name === "TimeoutError") {
            return "timed out";
        }
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        return cause?.code ?? cause?.message ?? error.message;
    }
    return String(error);
}

/** A measured window, or no data with the reason; `queryMs` is the wall time of all its queries. */
export type Measurement = (WindowMetrics | NoData) & { readonly queryMs: number };

/** The metrics source the controller reads (Prometheus here; a fake in unit tests). */
export interface CanaryMetrics {
    measure(windowSeconds: number): Promise<Measurement>;
}

/**
 * Which label tells the tracks apart and which values are "canary" (the one judged) and "stable"
 * (its comparison). The blue-green watch judges the new colour against the old one.
 */
export interface TrackSelection {
    readonly label: string;
    readonly canary: string;
    readonly stable: string;
}

export const CANARY_TRACKS: TrackSelection = { label: "track", canary: "canary", stable: "stable" };

/** The canary analysis queries of one app, against one Prometheus. */
export class PrometheusCanaryMetrics implements CanaryMetrics {
    constructor(
        readonly client: PrometheusClient,
        readonly app: string,
        readonly tracks: TrackSelection = CANARY_TRACKS,
    ) {}

    private byTrack(samples: readonly Sample[], track: string): number | undefined {
        return samples.find((sample) => sample.labels[this.tracks.label] === track)?.value;
    }

    async measure(windowSeconds: number): Promise<Measurement> {
        const started = performance.now();
        const { label, canary: canaryTrack, stable: stableTrack } = this.tracks;
        const queries = {
            requests: requestsQuery(this.app, windowSeconds, label),
            errors: errorsQuery(this.app, windowSeconds, label),
            p95: p95Query(this.app, canaryTrack, windowSeconds, label),
        };
        const [requests, errors, p95] = await Promise.all([
            this.client.query(queries.requests),
            this.client.query(queries.errors),
            this.client.query(queries.p95),
        ]);
        const source = { queries, windowSeconds, queryMs: performance.now() - started };
        if (!requests.ok) {
            return { noData: requests.reason, ...source };
        }
        if (!errors.ok) {
            return { noData: errors.reason, ...source };
        }
        if (!p95.ok) {
            return { noData: p95.reason, ...source };
        }
        const canaryRequests = this.byTrack(requests.samples, canaryTrack);
        if (canaryRequests === undefined) {
            return {
                noData:
                    `no ${REQUESTS_METRIC} series for app="${this.app}",${label}="${canaryTrack}" ` +
                    `in the last ${windowSeconds}s (is it scraped?)`,
                ...source,
            };
        }
        const p95Value = p95.samples[0]?.value;
        return {
            canary: {
                requests: canaryRequests,
                // No 5xx series in the window means no 5xx requests.
                errors: this.byTrack(errors.samples, canaryTrack) ?? 0,
                p95Seconds: p95Value === undefined || Number.isNaN(p95Value) ? null : p95Value,
            },
            stable: {
                requests: this.byTrack(requests.samples, stableTrack) ?? 0,
                errors: this.byTrack(errors.samples, stableTrack) ?? 0,
            },
            ...source,
        };
    }
}
