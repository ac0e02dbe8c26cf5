/**
 * Load through nginx for the share checks: a bounded-concurrency GET loop that records which track
 * answered each request (the backends' `x-track` header and body), optionally resending a GET once
 * when a reused keep-alive connection was closed under it, as HTTP clients do.
 */
import http from "node:http";
import type { Socket } from "node:net";

import { type Track, TRACK_HEADER } from "./nginx-harness";

export interface LoadResult {
    readonly stable: number;
    readonly canary: number;
    readonly failed: number;
    /** Requests sent a second time after their keep-alive connection was closed under them. */
    readonly retried: number;
    /** Up to a few failure descriptions, for assertion messages. */
    readonly errors: readonly string[];
}

export interface Outcome {
    /** Order in which the request was issued. */
    readonly index: number;
    readonly track?: Track;
    readonly error?: string;
    readonly retried: boolean;
}

export interface LoadOptions {
    readonly port: number;
    /** Requests in flight at once, and connections at most. @default 16 */
    readonly concurrency?: number;
    /** Reuse connections (HTTP keep-alive) or open one per request with `Connection: close`. */
    readonly keepAlive: boolean;
    /**
     * Send a GET again, once, when the server closed its reused keep-alive connection before any
     * response byte came back, on a new connection. HTTP clients do this for idempotent requests
     * (RFC 9112 section 9.3.1; the `reusedSocket` example in node's docs): a server may close an idle
     * connection at the moment a request is sent on it, and an nginx worker retiring after a reload
     * closes its idle keep-alive connections. @default false
     */
    readonly retryStaleConnection?: boolean;
    /** Asked before each request: issue another one? Gets the number issued so far. */
    readonly more: (issued: number) => boolean;
}

/** Bounded-concurrency GET loop through nginx; returns every request's outcome, in issue order. */
export async function runLoad(options: LoadOptions): Promise<Outcome[]> {
    const concurrency = options.concurrency ?? 16;
    const agent = new http.Agent({ keepAlive: options.keepAlive, maxSockets: concurrency });
    const outcomes: Outcome[] = [];
    let issued = 0;
    const worker = async (): Promise<void> => {
        while (options.more(issued)) {
            const index = issued++;
            let attempt = await getTrack(options.port, agent, options.keepAlive);
            const retried = attempt.stale === true && options.retryStaleConnection === true;
            if (retried) {
                // On a new connection: another pooled one may be closing just the same.
                attempt = await getTrack(options.port, false, false);
            }
            outcomes[index] = { index, track: attempt.track, error: attempt.error, retried };
        }
    };
    try {
        await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
        agent.destroy();
    }
    return outcomes;
}

/** `requests` GETs on keep-alive connections, without retries, counted per track. */
export async function measureShares(port: number, requests: number): Promise<LoadResult> {
    return tally(await runLoad({ port, keepAlive: true, more: (issued) => issued < requests }));
}

export function tally(outcomes: readonly Outcome[]): LoadResult {
    const errors = outcomes.flatMap((outcome) => (outcome.error === undefined ? [] : [outcome.error]));
    return {
        stable: outcomes.filter((outcome) => outcome.track === "stable").length,
        canary: outcomes.filter((outcome) => outcome.track === "canary").length,
        failed: errors.length,
        retried: outcomes.filter((outcome) => outcome.retried).length,
        errors: errors.slice(0, 5),
    };
}

/** Canary share in percent of the requests that got an answer. */
export function canaryShare(result: LoadResult): number {
    return (100 * result.canary) / (result.canary + result.stable);
}

interface Attempt {
    readonly track?: Track;
    readonly error?: string;
    /** Failed on a reused connection before any response arrived: safe to send again. */
    readonly stale?: boolean;
}

/** Marks a socket that has carried a request: node's `reusedSocket` misses sockets handed straight to a queued request. */
const USED = Symbol("used");

function getTrack(port: number, agent: http.Agent | false, keepAlive: boolean): Promise<Attempt> {
    return new Promise((resolve) => {
        // Without keep-alive, say so: node's agent would otherwise still hand a finished connection
        // to a queued request.
        const headers = keepAlive ? {} : { connection: "close" };
        let reused = false;
        const request = http.get({ host: "127.0.0.1", port, path: "/", agent, headers }, (response) => {
            const track = response.headers[TRACK_HEADER];
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (body += chunk));
            response.on("end", () => {
                if (response.statusCode === 200 && (track === "stable" || track === "canary") && body === track) {
                    resolve({ track });
                } else {
                    resolve({ error: `status ${response.statusCode ?? "?"}, track ${String(track)}, body ${body}` });
                }
            });
            response.on("error", (error) => {
                resolve({ error: error.message });
            });
        });
        request.on("socket", (socket: Socket & { [USED]?: true }) => {
            reused = socket[USED] === true;
            socket[USED] = true;
        });
        request.on("error", (error: NodeJS.ErrnoException) => {
            resolve({
                error: `${error.code ?? "error"} on a ${reused ? "reused" : "new"} connection: ${error.message}`,
                stale: reused && error.code === "ECONNRESET",
            });
        });
    });
}
