/**
 * Sticky cohorts through real nginx with two loopback backends: with `stickyCookie`, 2,000 clients
 * with distinct cookies split within 2 points of the target, each client sees one track for all its
 * requests, and a client without the cookie is handed one that keeps it on its first track.
 */
// @serial: measured cohort shares through real nginx on fixed backend ports
import assert from "node:assert/strict";
import http from "node:http";
import { join } from "node:path";
import { describe, it } from "node:test";

import { renderNginxConfig } from "../../components/traffic/nginx-config";
import { type Backend, NginxInstance, type Track, TRACK_HEADER, useBackends } from "./nginx-harness";

const CLIENTS = 2000;
const REQUESTS_PER_CLIENT = 20;
/** Percentage points between the clients' canary share and the target. */
const TOLERANCE = 2;
const COOKIE = "cohort";
/**
 * nginx's hash ring is built from the servers' addresses and the clients' cookies are fixed, so
 * with fixed backend ports every run routes every client alike: the share below is a measurement of
 * this ring, not a draw that one run in twenty would miss by chance. Above the ports `freePort` hands
 * out and below the kernel's ephemeral range.
 */
const BACKEND_PORTS = { stable: 12_420, canary: 12_421 };

function stickyConfig(nginx: NginxInstance, canaryPercent: number, stable: Backend, canary: Backend): string {
    return renderNginxConfig({
        name: "app",
        stable: stable.address,
        canary: canary.address,
        canaryPercent,
        stickyCookie: COOKIE,
        listen: `127.0.0.1:${nginx.port}`,
        pidFile: nginx.pidFile,
        tempDir: join(nginx.dir, "tmp"),
        accessLog: join(nginx.dir, "logs", "access.log"),
        errorLog: nginx.errorLog,
    });
}

interface Answer {
    readonly track: Track;
    readonly setCookie: string | undefined;
}

function get(port: number, agent: http.Agent, cookie: string | undefined): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const headers = cookie === undefined ? {} : { cookie: `${COOKIE}=${cookie}` };
        const request = http.get({ host: "127.0.0.1", port, path: "/", agent, headers }, (response) => {
            response.resume();
            response.on("end", () => {
                const track = response.headers[TRACK_HEADER];
                if (response.statusCode !== 200 || (track !== "stable" && track !== "canary")) {
                    reject(new Error(`status ${String(response.statusCode)}, track ${String(track)}`));
                    return;
                }
                resolve({ track, setCookie: response.headers["set-cookie"]?.[0] });
            });
        });
        request.on("error", reject);
    });
}

/** Every client's tracks, in request order; 16 clients at a time over keep-alive connections. */
async function runClients(port: number, cookies: readonly string[]): Promise<Track[][]> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const seen: Track[][] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < cookies.length) {
            const client = next++;
            const tracks: Track[] = [];
            for (let i = 0; i < REQUESTS_PER_CLIENT; i++) {
                const answer = await get(port, agent, cookies[client]);
                assert.equal(answer.setCookie, undefined, "a client with its cookie was handed another");
                tracks.push(answer.track);
            }
            seen[client] = tracks;
        }
    };
    try {
        await Promise.all(Array.from({ length: 16 }, worker));
    } finally {
        agent.destroy();
    }
    return seen;
}

async function withNginx<T>(config: (nginx: NginxInstance) => string, run: (port: number) => Promise<T>): Promise<T> {
    const nginx = await NginxInstance.create();
    try {
        await nginx.writeConfig(config(nginx));
        const check = nginx.check();
        assert.equal(check.ok, true, check.output);
        await nginx.start();
        return await run(nginx.port);
    } finally {
        await nginx.dispose();
    }
}

describe(`sticky cohorts through nginx: ${CLIENTS} clients × ${REQUESTS_PER_CLIENT} requests`, () => {
    const backends = useBackends(BACKEND_PORTS);

    for (const percent of [10, 25]) {
        it(`${percent}%: the clients split within ${TOLERANCE} points, and each one sees a single track`, async () => {
            const cookies = Array.from({ length: CLIENTS }, (_, i) => `client-${i}`);
            const seen = await withNginx(
                (nginx) => stickyConfig(nginx, percent, backends.stable, backends.canary),
                (port) => runClients(port, cookies),
            );
            const flipped = seen.filter((tracks) => new Set(tracks).size !== 1).length;
            const onCanary = seen.filter((tracks) => tracks[0] === "canary").length;
            const share = (100 * onCanary) / CLIENTS;
            console.log(
                `target ${percent}%: ${share.toFixed(2)}% of clients on the canary; ${flipped} saw both tracks`,
            );
            assert.equal(flipped, 0, `${flipped} clients saw both tracks`);
            assert.ok(
                Math.abs(share - percent) <= TOLERANCE,
                `clients on the canary ${share.toFixed(2)}%, wanted ${percent}%`,
            );
        });
    }

    it("hands a client without the cookie one that keeps it on the track of its first request", async () => {
        await withNginx(
            (nginx) => stickyConfig(nginx, 50, backends.stable, backends.canary),
            async (port) => {
                const agent = new http.Agent({ keepAlive: false });
                const firstTracks: Track[] = [];
                for (let client = 0; client < 40; client++) {
                    const first = await get(port, agent, undefined);
                    const match = new RegExp(`^${COOKIE}=([^;]+); Path=/; HttpOnly; SameSite=Lax$`).exec(
                        first.setCookie ?? "",
                    );
                    assert.ok(match?.[1] !== undefined, `no cohort cookie set: ${String(first.setCookie)}`);
                    firstTracks.push(first.track);
                    for (let i = 0; i < 5; i++) {
                        const later = await get(port, agent, match[1]);
                        assert.equal(later.track, first.track, "the handed cookie moved the client to another track");
                        assert.equal(later.setCookie, undefined);
                    }
                }
                // At 50%, 40 new clients all on one track would mean the first request is not hashed on its id.
                assert.equal(new Set(firstTracks).size, 2, `all 40 new clients landed on ${firstTracks[0]}`);
            },
        );
    });
});
