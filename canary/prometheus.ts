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

/** Requests per track of an app over the window: `sum by (track) (increase(...))`. */
export function requestsQuery(app: string, windowSeconds: number): string {
    return `sum by (track) (increase(${selector(REQUESTS_METRIC, { app })}${range(windowSeconds)}))`;
}

/** 5xx requests per track of an app over the window. */
export function errorsQuery(app: string, windowSeconds: number): string {
    return `sum by (track) (increase(${selector(REQUESTS_METRIC, { app }, 'status=~"5.."')}${range(windowSeconds)}))`;
}

/** p95 latency of one track over the window, from the histogram buckets. */
export function p95Query(app: string, track: string, windowSeconds: number): string {
    return (
        `histogram_quantile(0.95, sum by (le) (rate(` +
        `${selector(DURATION_BUCKET_METRIC, { app, track })}${range(windowSeconds)})))`
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

function byTrack(samples: readonly Sample[], track: string): number | undefined {
    return samples.find((sample) => sample.labels.track === track)?.value;
}

/** The canary analysis queries of one app, against one Prometheus. */
export class PrometheusCanaryMetrics implements CanaryMetrics {
    constructor(
        readonly client: PrometheusClient,
        readonly app: string,
    ) {}

    async measure(windowSeconds: number): Promise<Measurement> {
        const started = performance.now();
        const [requests, errors, p95] = await Promise.all([
            this.client.query(requestsQuery(this.app, windowSeconds)),
            this.client.query(errorsQuery(this.app, windowSeconds)),
            this.client.query(p95Query(this.app, "canary", windowSeconds)),
        ]);
        const queryMs = performance.now() - started;
        if (!requests.ok) {
            return { noData: requests.reason, queryMs };
        }
        if (!errors.ok) {
            return { noData: errors.reason, queryMs };
        }
        if (!p95.ok) {
            return { noData: p95.reason, queryMs };
        }
        const canaryRequests = byTrack(requests.samples, "canary");
        if (canaryRequests === undefined) {
            return {
                noData: `no ${REQUESTS_METRIC} series for app="${this.app}",track="canary" in the last ${windowSeconds}s (is the canary scraped?)`,
                queryMs,
            };
        }
        const p95Value = p95.samples[0]?.value;
        return {
            canary: {
                requests: canaryRequests,
                // No 5xx series in the window means no 5xx requests.
                errors: byTrack(errors.samples, "canary") ?? 0,
                p95Seconds: p95Value === undefined || Number.isNaN(p95Value) ? null : p95Value,
            },
            stable: {
                requests: byTrack(requests.samples, "stable") ?? 0,
                errors: byTrack(errors.samples, "stable") ?? 0,
            },
            queryMs,
        };
    }
}
