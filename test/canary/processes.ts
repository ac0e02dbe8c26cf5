/**
 * Real processes for the canary tests: Debian's Prometheus on 127.0.0.1 with a temp storage dir and
 * a 1s scrape interval, and a bounded keep-alive load generator that tells the backends' own answers
 * from the ones nginx made up (502/504) and from connection errors.
 *
 * Every process started here is recorded by pid and stopped by that pid; nothing is looked up by name.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { freePort } from "../support/free-port";

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(
    what: string,
    condition: () => boolean | Promise<boolean>,
    timeoutMs = 10_000,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
        }
        await sleep(50);
    }
}

/** Finds Debian's prometheus; missing is a failure with the install hint, never a skip. */
export function prometheusBinary(): string {
    const found = spawnSync("sh", ["-c", "command -v prometheus"], { encoding: "utf8" }).stdout.trim();
    if (found !== "") {
        return found;
    }
    if (existsSync("/usr/bin/prometheus")) {
        return "/usr/bin/prometheus";
    }
    throw new Error(
        "prometheus not found: install Debian's package without starting its service, e.g. " +
            "`apt-get install -y --no-install-recommends prometheus` with a policy-rc.d that exits 101 " +
            "(scripts/setup does this)",
    );
}

export class PrometheusInstance {
    private exited: Promise<void>;

    private constructor(
        readonly dir: string,
        readonly port: number,
        private readonly child: ChildProcess,
        private readonly output: () => string,
    ) {
        this.exited = new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
                resolve();
            } else {
                child.once("exit", () => {
                    resolve();
                });
            }
        });
    }

    get url(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    get pid(): number | undefined {
        return this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
    }

    /** Starts Prometheus scraping `targets` (host:port) every second, on a free loopback port. */
    static async start(targets: readonly string[], scrapeIntervalSeconds = 1): Promise<PrometheusInstance> {
        const binary = prometheusBinary();
        const dir = await mkdtemp(join(tmpdir(), "prometheus-test-"));
        const port = await freePort();
        const config = [
            "global:",
            `  scrape_interval: ${scrapeIntervalSeconds}s`,
            `  scrape_timeout: ${scrapeIntervalSeconds}s`,
            `  evaluation_interval: ${scrapeIntervalSeconds}s`,
            "scrape_configs:",
            "  - job_name: backends",
            "    static_configs:",
            `      - targets: [${targets.map((t) => `"${t}"`).join(", ")}]`,
            "",
        ].join("\n");
        await writeFile(join(dir, "prometheus.yml"), config);
        const child = spawn(
            binary,
            [
                `--config.file=${join(dir, "prometheus.yml")}`,
                `--storage.tsdb.path=${join(dir, "data")}`,
                "--storage.tsdb.retention.time=1h",
                `--web.listen-address=127.0.0.1:${port}`,
                "--log.level=warn",
            ],
            { stdio: ["ignore", "ignore", "pipe"] },
        );
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => {
            stderr = (stderr + chunk.toString()).slice(-4000);
        });
        const instance = new PrometheusInstance(dir, port, child, () => stderr);
        try {
            await waitFor(
                "Prometheus to be ready",
                async () => {
                    if (child.exitCode !== null) {
                        throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
                    }
                    return (await httpStatus(`${instance.url}/-/ready`)) === 200;
                },
                30_000,
            );
        } catch (error) {
            await instance.dispose();
            throw error;
        }
        return instance;
    }

    /** Waits until every target has been scraped successfully (`up == 1`). */
    async waitForTargets(count: number, timeoutMs = 15_000): Promise<void> {
        await waitFor(
            `${count} healthy scrape targets`,
            async () => {
                const body = await httpGet(`${this.url}/api/v1/query?query=${encodeURIComponent("sum(up)")}`);
                const parsed = JSON.parse(body.text) as { data?: { result?: { value?: [number, string] }[] } };
                return Number(parsed.data?.result?.[0]?.value?.[1] ?? 0) >= count;
            },
            timeoutMs,
        );
    }

    /** SIGTERM to the pid we started; SIGKILL if it hangs. */
    async stop(): Promise<void> {
        const pid = this.pid;
        if (pid === undefined) {
            return;
        }
        process.kill(pid, "SIGTERM");
        const timer = setTimeout(() => {
            if (this.pid !== undefined) {
                process.kill(pid, "SIGKILL");
            }
        }, 10_000);
        await this.exited;
        clearTimeout(timer);
    }

    async dispose(): Promise<void> {
        await this.stop();
        await rm(this.dir, { recursive: true, force: true });
    }

    stderr(): string {
        return this.output();
    }
}

export function httpGet(url: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve) => {
        const request = http.get(url, { agent: false, timeout: 2000 }, (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (text += chunk));
            response.on("end", () => {
                resolve({ status: response.statusCode ?? 0, text });
            });
        });
        request.on("timeout", () => request.destroy(new Error("timeout")));
        request.on("error", () => {
            resolve({ status: 0, text: "" });
        });
    });
}

async function httpStatus(url: string): Promise<number> {
    return (await httpGet(url)).status;
}

/** How a request ended. */
export type ResultKind = "ok" | "backend-error" | "proxy-error" | "connection-error";

export interface RequestRecord {
    /** ms since the load started, at the response (or error). */
    readonly at: number;
    readonly kind: ResultKind;
    readonly status: number;
    readonly track?: string;
    readonly version?: string;
    readonly detail?: string;
    /** Sent a second time after a keep-alive connection was closed under it (see LoadGenerator). */
    readonly retried?: boolean;
}

export interface LoadOptions {
    readonly port: number;
    /** Requests started per second. */
    readonly ratePerSecond: number;
    /** Requests in flight at most; beyond it the generator waits (it never queues without bound). */
    readonly maxInFlight?: number;
    /** Hard budget of requests. */
    readonly maxRequests: number;
    /** Hard time limit. */
    readonly maxDurationMs: number;
}

export interface LoadSummary {
    readonly total: number;
    readonly ok: number;
    readonly backendErrors: number;
    readonly proxyErrors: number;
    readonly connectionErrors: number;
    /** Proxy-made and connection errors: the ones a switch could cause. */
    readonly switchFailures: number;
    /** Requests resent once because an idle keep-alive connection was closed under them. */
    readonly keepAliveRetries: number;
    readonly examples: readonly string[];
}

/**
 * The most keep-alive resends the canary cases and the benchmark accept per 1,000 requests. A resend
 * is legitimate only when nginx closed an idle connection as a request went out on it, which a
 * reload does once per retiring worker, and a canary run reloads a handful of times in thousands of
 * requests (measured: 0 to 1 per run of 2,000-4,500 requests). More would mean a resend is hiding
 * requests lost in another way.
 */
export const MAX_RESENDS_PER_1000 = 2;

/** Resends per 1,000 requests. */
export function resendsPer1000(summary: Pick<LoadSummary, "total" | "keepAliveRetries">): number {
    return summary.total === 0 ? 0 : (1000 * summary.keepAliveRetries) / summary.total;
}

export function summarize(records: readonly RequestRecord[]): LoadSummary {
    const count = (kind: ResultKind): number => records.filter((r) => r.kind === kind).length;
    const failures = records.filter((r) => r.kind === "proxy-error" || r.kind === "connection-error");
    return {
        total: records.length,
        ok: count("ok"),
        backendErrors: count("backend-error"),
        proxyErrors: count("proxy-error"),
        connectionErrors: count("connection-error"),
        switchFailures: failures.length,
        keepAliveRetries: records.filter((r) => r.retried === true).length,
        examples: failures.slice(0, 5).map((r) => `${r.kind} ${r.status} ${r.detail ?? ""}`.trim()),
    };
}

/** Paced GET load through nginx with keep-alive, bounded by a request budget and a time limit. */
export class LoadGenerator {
    readonly records: RequestRecord[] = [];
    private readonly agent: http.Agent;
    private readonly started = Date.now();
    private issued = 0;
    private inFlight = 0;
    private stopped = false;
    private readonly done: Promise<void>;

    constructor(readonly options: LoadOptions) {
        const maxInFlight = options.maxInFlight ?? 64;
        this.agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
        this.done = this.loop(maxInFlight);
    }

    /** ms since the load started. */
    now(): number {
        return Date.now() - this.started;
    }

    private async loop(maxInFlight: number): Promise<void> {
        while (!this.stopped && this.issued < this.options.maxRequests && this.now() < this.options.maxDurationMs) {
            const due = Math.min(
                this.options.maxRequests,
                Math.floor((this.now() * this.options.ratePerSecond) / 1000),
            );
            while (this.issued < due && this.inFlight < maxInFlight) {
                this.issued++;
                this.inFlight++;
                void this.request().then((record) => {
                    this.records.push(record);
                    this.inFlight--;
                });
            }
            await sleep(5);
        }
        await waitFor("in-flight requests to finish", () => this.inFlight === 0, 30_000);
    }

    /**
     * One GET. Like any well-behaved HTTP/1.1 client (and as Node's docs advise), a request that
     * failed with ECONNRESET on a reused keep-alive connection, before any response, is sent once
     * more: the server closed that idle connection as the request went out (nginx's old workers
     * close idle keep-alive connections when a reload retires them). Such resends go on a new
     * connection and are counted; a resend that fails is a failure.
     */
    private request(retry = false): Promise<RequestRecord> {
        return new Promise((resolve) => {
            const request = http.get(
                {
                    host: "127.0.0.1",
                    port: this.options.port,
                    path: "/",
                    // The resend goes on a new connection: another pooled one may be closing too.
                    agent: retry ? false : this.agent,
                    timeout: 10_000,
                },
                (response) => {
                    response.resume();
                    response.on("end", () => {
                        const status = response.statusCode ?? 0;
                        const fromBackend = response.headers["x-backend"] === "1";
                        const track = response.headers["x-track"];
                        const version = response.headers["x-version"];
                        resolve({
                            at: this.now(),
                            status,
                            kind: !fromBackend ? "proxy-error" : status < 400 ? "ok" : "backend-error",
                            ...(typeof track === "string" ? { track } : {}),
                            ...(typeof version === "string" ? { version } : {}),
                            ...(retry ? { retried: true } : {}),
                        });
                    });
                    response.on("error", (error) => {
                        resolve({
                            at: this.now(),
                            status: 0,
                            kind: "connection-error",
                            detail: error.message,
                            ...(retry ? { retried: true } : {}),
                        });
                    });
                },
            );
            request.on("timeout", () => request.destroy(new Error("client timeout")));
            request.on("error", (error) => {
                const code = (error as NodeJS.ErrnoException).code ?? "";
                if (!retry && request.reusedSocket && code === "ECONNRESET") {
                    resolve(this.request(true));
                    return;
                }
                resolve({
                    at: this.now(),
                    status: 0,
                    kind: "connection-error",
                    detail: `${code} ${error.message}${request.reusedSocket ? " (reused connection)" : ""}`,
                    // A resend that failed was still a resend: it is counted as one.
                    ...(retry ? { retried: true } : {}),
                });
            });
        });
    }

    /** Stops issuing, waits for what is in flight, and returns every record. */
    async stop(): Promise<RequestRecord[]> {
        this.stopped = true;
        await this.done;
        this.agent.destroy();
        return this.records;
    }

    /** Resolves when the budget or time limit is reached (or stop() was called). */
    finished(): Promise<void> {
        return this.done;
    }
}

/** Reads a small text file, or "" when it is not there. */
export function readText(path: string): Promise<string> {
    return readFile(path, "utf8").catch(() => "");
}
