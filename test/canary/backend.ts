/**
 * A small application backend for the canary tests, run as its own process:
 *
 *   node --import tsx test/canary/backend.ts --port 18081 --app shop --track canary --version 2.0.0 \
 *        [--error-ratio 0.05] [--delay-ms 600] --state-dir /tmp/x
 *
 * Every request but /metrics and /healthz is answered with its track and version (headers
 * `x-track`, `x-version`, `x-backend: 1`, so a client tells the backend's own answers from the
 * proxy's). A share of them is answered 500 (deterministically: exactly every 1/ratio-th request),
 * and each can be delayed. `/metrics` exposes, in the Prometheus text format, the counter
 * `http_requests_total{app,track,version,status}` and the histogram
 * `http_request_duration_seconds{app,track,version}`.
 *
 * It writes `<state-dir>/<track>.pid` and then `<track>.ready` once it listens, and on SIGTERM
 * stops accepting, finishes what is in flight and exits. On SIGUSR2 it reads a new error ratio from
 * `<state-dir>/<track>.error-ratio` and answers with it from then on: the stand-in for a build that
 * goes bad only once it carries all the traffic (the bake at 100% must catch it).
 */
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";

export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface BackendOptions {
    readonly port: number;
    readonly app: string;
    readonly track: string;
    readonly version: string;
    /** Share of requests answered 500, 0-1; `errorRatio()` of the server can change it later. */
    readonly errorRatio: number;
    /** Added latency per request. */
    readonly delayMs: number;
}

/** Whether request number `n` (1-based) gets a 500: exactly ⌊n·ratio⌋ of the first n do. */
export function isErrorRequest(n: number, ratio: number): boolean {
    return Math.floor(n * ratio) > Math.floor((n - 1) * ratio);
}

export class Metrics {
    private readonly counts = new Map<string, number>();
    private readonly buckets = new Array<number>(BUCKETS.length).fill(0);
    private count = 0;
    private sum = 0;

    constructor(private readonly labels: string) {
        // Both series exist from the start, so "no 5xx" is a 0, not a missing series.
        this.counts.set("200", 0);
        this.counts.set("500", 0);
    }

    observe(status: number, seconds: number): void {
        const key = String(status);
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        BUCKETS.forEach((le, index) => {
            if (seconds <= le) {
                this.buckets[index] = (this.buckets[index] ?? 0) + 1;
            }
        });
        this.count++;
        this.sum += seconds;
    }

    render(): string {
        const lines = [
            "# HELP http_requests_total Requests answered, by status.",
            "# TYPE http_requests_total counter",
        ];
        for (const [status, value] of this.counts) {
            lines.push(`http_requests_total{${this.labels},status="${status}"} ${value}`);
        }
        lines.push("# HELP http_request_duration_seconds Time to answer a request.");
        lines.push("# TYPE http_request_duration_seconds histogram");
        BUCKETS.forEach((le, index) => {
            lines.push(`http_request_duration_seconds_bucket{${this.labels},le="${le}"} ${this.buckets[index] ?? 0}`);
        });
        lines.push(`http_request_duration_seconds_bucket{${this.labels},le="+Inf"} ${this.count}`);
        lines.push(`http_request_duration_seconds_sum{${this.labels}} ${this.sum}`);
        lines.push(`http_request_duration_seconds_count{${this.labels}} ${this.count}`);
        return lines.join("\n") + "\n";
    }
}

export function createBackend(options: BackendOptions): http.Server & { setErrorRatio(ratio: number): void } {
    let errorRatio = options.errorRatio;
    const metrics = new Metrics(`app="${options.app}",track="${options.track}",version="${options.version}"`);
    let served = 0;
    const server = http.createServer((request, response) => {
        request.resume();
        if (request.url === "/metrics") {
            response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
            response.end(metrics.render());
            return;
        }
        if (request.url === "/healthz") {
            response.writeHead(200, { "content-type": "text/plain" });
            response.end("ok\n");
            return;
        }
        const started = process.hrtime.bigint();
        served++;
        const status = isErrorRequest(served, errorRatio) ? 500 : 200;
        const answer = (): void => {
            response.writeHead(status, {
                "content-type": "text/plain",
                "x-backend": "1",
                "x-track": options.track,
                "x-version": options.version,
            });
            response.end(`${options.track} ${options.version}\n`, () => {
                metrics.observe(status, Number(process.hrtime.bigint() - started) / 1e9);
            });
        };
        if (options.delayMs > 0) {
            setTimeout(answer, options.delayMs);
        } else {
            answer();
        }
    });
    // Longer than nginx's upstream keepalive_timeout (60s), so nginx closes idle connections first.
    server.keepAliveTimeout = 120_000;
    return Object.assign(server, {
        setErrorRatio(ratio: number): void {
            errorRatio = ratio;
        },
    });
}

function main(): void {
    const { values } = parseArgs({
        options: {
            port: { type: "string" },
            app: { type: "string" },
            track: { type: "string" },
            version: { type: "string" },
            "error-ratio": { type: "string", default: "0" },
            "delay-ms": { type: "string", default: "0" },
            "state-dir": { type: "string" },
        },
    });
    const required = (name: "port" | "app" | "track" | "version" | "state-dir"): string => {
        const value = values[name];
        if (value === undefined) {
            throw new Error(`--${name} is required`);
        }
        return value;
    };
    const options: BackendOptions = {
        port: Number(required("port")),
        app: required("app"),
        track: required("track"),
        version: required("version"),
        errorRatio: Number(values["error-ratio"]),
        delayMs: Number(values["delay-ms"]),
    };
    const stateDir = required("state-dir");
    const server = createBackend(options);
    writeFileSync(join(stateDir, `${options.track}.pid`), `${process.pid}\n`);
    server.listen(options.port, "127.0.0.1", () => {
        writeFileSync(join(stateDir, `${options.track}.ready`), `${options.version}\n`);
    });
    const stop = (): void => {
        server.close(() => process.exit(0));
        server.closeIdleConnections();
        setTimeout(() => process.exit(0), 10_000).unref();
    };
    process.on("SIGUSR2", () => {
        const ratio = Number(readFileSync(join(stateDir, `${options.track}.error-ratio`), "utf8").trim());
        if (Number.isFinite(ratio) && ratio >= 0 && ratio <= 1) {
            server.setErrorRatio(ratio);
            console.log(`${options.track} ${options.version}: error ratio now ${ratio}`);
        }
    });
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
}

if (require.main === module) {
    main();
}
