/**
 * The GitLab REST API v4 stand-in of tools/provider-gitlab/standin, run as a process for engine
 * tests (no GitLab server can run here). The same Go package serves the provider's Go tests, so
 * there is one stand-in, not two. Its binary is a test-only build, cached under the hash of its
 * sources in ${CICD_CACHE:-~/.cache/cicd-platform}/test-bin/.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

import { ROOT } from "../support/engine";

const exec = promisify(execFile);
const MODULE = join(ROOT, "tools/provider-gitlab");
const SOURCES = ["standin", "cmd/gitlab-standin"];

export interface StandInUser {
    readonly id: number;
    readonly username: string;
    readonly token: string;
    readonly admin?: boolean;
}

export interface StandInOptions {
    readonly tier?: "free" | "premium" | "ultimate";
    readonly users: readonly StandInUser[];
    readonly projects: readonly string[];
    readonly groups: readonly string[];
}

export interface LoggedRequest {
    readonly method: string;
    readonly path: string;
    readonly status: number;
}

export interface GitLabStandIn {
    /** What the provider takes as `gitlab:baseUrl`. */
    readonly baseUrl: string;
    /** A call to the API as the given token (like a person in the UI would make). */
    api(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
    requests(): Promise<LoggedRequest[]>;
    clearRequests(): Promise<void>;
    stop(): void;
}

function sourceHash(): string {
    const hash = createHash("sha256");
    for (const file of ["go.mod", "go.sum"]) {
        hash.update(readFileSync(join(MODULE, file)));
    }
    for (const dir of SOURCES) {
        for (const name of readdirSync(join(MODULE, dir)).sort()) {
            if (name.endsWith(".go") && !name.endsWith("_test.go")) {
                hash.update(name).update(readFileSync(join(MODULE, dir, name)));
            }
        }
    }
    return hash.digest("hex").slice(0, 16);
}

/** Builds the stand-in once per source hash; returns the binary's path. */
export async function buildStandIn(): Promise<string> {
    const cache = process.env.CICD_CACHE ?? join(homedir(), ".cache/cicd-platform");
    const dir = join(cache, "test-bin");
    const bin = join(dir, `gitlab-standin-${sourceHash()}`);
    if (existsSync(bin)) {
        return bin;
    }
    mkdirSync(dir, { recursive: true });
    await exec("go", ["build", "-mod=readonly", "-o", `${bin}.tmp`, "./cmd/gitlab-standin"], {
        cwd: MODULE,
        env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "" },
        maxBuffer: 16 << 20,
    });
    renameSync(`${bin}.tmp`, bin);
    return bin;
}

/** Starts the stand-in on 127.0.0.1 (a port of its own choosing, bound before it says so). */
export async function startStandIn(options: StandInOptions): Promise<GitLabStandIn> {
    const bin = await buildStandIn();
    const args = ["-port", "0", "-tier", options.tier ?? "ultimate"];
    for (const u of options.users) {
        args.push("-user", `${u.id}:${u.username}:${u.token}${u.admin === true ? ":admin" : ""}`);
    }
    for (const p of options.projects) {
        args.push("-project", p);
    }
    for (const g of options.groups) {
        args.push("-group", g);
    }
    const child = spawn(bin, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const pid = child.pid;
    if (pid === undefined) {
        throw new Error("gitlab-standin did not start");
    }
    const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => {
            reject(new Error(`gitlab-standin did not report its address: ${out}`));
        }, 10_000);
        child.stdout.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            const m = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
            if (m?.[1] !== undefined) {
                clearTimeout(timer);
                resolve(m[1]);
            }
        });
        child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`gitlab-standin exited (${String(code)}): ${out}`));
        });
    });
    const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
        const res = await fetch(`${url}${path}`, {
            method,
            headers: { ...headers, "content-type": "application/json" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        return { status: res.status, json: text === "" ? null : (JSON.parse(text) as unknown) };
    };
    return {
        baseUrl: `${url}/api/v4/`,
        api: (token, method, path, body) => call(method, `/api/v4${path}`, { "PRIVATE-TOKEN": token }, body),
        requests: async () => (await call("GET", "/-/standin/requests", {})).json as LoggedRequest[],
        clearRequests: async () => {
            await call("DELETE", "/-/standin/requests", {});
        },
        stop: () => {
            try {
                process.kill(-pid, "SIGTERM");
            } catch {
                // already gone
            }
        },
    };
}
