/**
 * Runs Debian's nginx binary on 127.0.0.1 with a temp prefix, in front of two tiny node backends,
 * so the tests prove what the rendered config does to real traffic rather than what its text says.
 *
 * Every process started here is recorded by pid and stopped by that pid; nothing is looked up by name.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { renderNginxConfig } from "../../components/traffic/nginx-config";
import { freePort } from "../support/free-port";
import { after, before } from "node:test";

export type Track = "stable" | "canary";

/** The response header a backend names itself in; nginx passes it through untouched. */
export const TRACK_HEADER = "x-track";

const FALLBACK_NGINX = "/usr/sbin/nginx";

/** Finds the nginx binary; missing nginx is a failure, not a skip, so CI can't silently pass. */
export function nginxBinary(): string {
    const found = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" }).stdout.trim();
    if (found !== "") {
        return found;
    }
    if (existsSync(FALLBACK_NGINX)) {
        return FALLBACK_NGINX;
    }
    throw new Error(
        "nginx not found (neither `command -v nginx` nor /usr/sbin/nginx): install Debian's nginx, " +
            "e.g. `apt-get install -y nginx-light`, then stop the service the package may start",
    );
}

export interface Backend {
    readonly track: Track;
    /** `127.0.0.1:<port>`, as the upstream `server` line wants it. */
    readonly address: string;
    close(): Promise<void>;
}

/** An HTTP server that answers every request with its track name, in a header and in the body. */
/**
 * A stable and a canary backend for the enclosing suite: started in its `before`, closed in its
 * `after`. Read the fields inside tests only.
 */
export function useBackends(ports: { stable: number; canary: number } = { stable: 0, canary: 0 }): {
    stable: Backend;
    canary: Backend;
} {
    const backends = {} as { stable: Backend; canary: Backend };
    before(async () => {
        backends.stable = await startBackend("stable", ports.stable);
        backends.canary = await startBackend("canary", ports.canary);
    });
    after(async () => {
        await backends.stable.close();
        await backends.canary.close();
    });
    return backends;
}

/** A backend on `port`, or on one the kernel picks (0). */
export async function startBackend(track: Track, port = 0): Promise<Backend> {
    const server = http.createServer((request, response) => {
        request.resume();
        response.writeHead(200, { [TRACK_HEADER]: track, "content-type": "text/plain" });
        response.end(track);
    });
    // Longer than nginx's upstream keepalive_timeout (60s): if the backend closed an idle upstream
    // connection first, nginx could hit the closed socket, count a failure against max_fails and
    // retry on the other server, which would skew the measured shares.
    server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", resolve);
    });
    const address = server.address() as AddressInfo;
    return {
        track,
        address: `127.0.0.1:${address.port}`,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => {
                    resolve();
                });
            }),
    };
}

export interface CheckResult {
    readonly ok: boolean;
    /** nginx's own words (it reports on stderr), for assertion messages. */
    readonly output: string;
}

/**
 * One nginx prefix directory: its config, logs and temp files all live inside it, so several
 * instances can run side by side and removing the directory removes every trace.
 */
export class NginxInstance {
    private child: ChildProcess | undefined;
    private exited: Promise<void> = Promise.resolve();

    private constructor(
        readonly binary: string,
        readonly dir: string,
        readonly port: number,
    ) {}

    static async create(): Promise<NginxInstance> {
        const binary = nginxBinary();
        const dir = await mkdtemp(join(tmpdir(), "nginx-test-"));
        // nginx started as root runs its workers as an unprivileged user; they must reach the temp dirs.
        await chmod(dir, 0o755);
        await mkdir(join(dir, "logs"));
        await mkdir(join(dir, "tmp"));
        return new NginxInstance(binary, dir, await freePort());
    }

    get confPath(): string {
        return join(this.dir, "nginx.conf");
    }

    get errorLog(): string {
        return join(this.dir, "logs", "error.log");
    }

    get pidFile(): string {
        return join(this.dir, "nginx.pid");
    }

    /** pid of the nginx master this instance started, if it runs. */
    get pid(): number | undefined {
        return this.child?.exitCode === null ? this.child.pid : undefined;
    }

    /** The production renderer's config, with every path inside the prefix and a loopback listener. */
    render(canaryPercent: number, stable: Backend, canary: Backend): string {
        return renderNginxConfig({
            name: "app",
            stable: stable.address,
            canary: canary.address,
            canaryPercent,
            listen: `127.0.0.1:${this.port}`,
            pidFile: this.pidFile,
            tempDir: join(this.dir, "tmp"),
            accessLog: join(this.dir, "logs", "access.log"),
            errorLog: this.errorLog,
        });
    }

    async writeConfig(config: string): Promise<void> {
        await writeFile(this.confPath, config);
    }

    /** Base arguments; `-e` keeps even nginx's pre-config messages out of /var/log/nginx. */
    private args(...extra: string[]): string[] {
        return ["-p", this.dir, "-c", this.confPath, "-e", this.errorLog, ...extra];
    }

    /** `nginx -t` on the current config file. */
    check(): CheckResult {
        const result = spawnSync(this.binary, this.args("-t", "-q"), { encoding: "utf8" });
        return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
    }

    /** Starts nginx in the foreground as our child, and waits until it answers on its port. */
    async start(): Promise<void> {
        if (this.child !== undefined) {
            throw new Error("nginx already started");
        }
        const child = spawn(this.binary, this.args("-g", "daemon off;"), { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        this.child = child;
        this.exited = new Promise((resolve) =>
            child.once("exit", () => {
                resolve();
            }),
        );
        const deadline = Date.now() + 5000;
        while (!(await this.answers())) {
            if (child.exitCode !== null || Date.now() > deadline) {
                await this.stop();
                throw new Error(`nginx did not come up: ${stderr}\n${await this.errorLogText()}`);
            }
            await sleep(20);
        }
    }

    private answers(): Promise<boolean> {
        return new Promise((resolve) => {
            const request = http.get({ host: "127.0.0.1", port: this.port, path: "/healthz", agent: false }, (res) => {
                res.resume();
                resolve(res.statusCode === 200);
            });
            request.on("error", () => {
                resolve(false);
            });
        });
    }

    /**
     * `nginx -s reload`, the command the host target runs, then waits until every worker of the old
     * generation has exited: from then on only the new config's workers serve requests.
     */
    async reload(): Promise<void> {
        const master = this.pid;
        if (master === undefined) {
            throw new Error("nginx is not running");
        }
        const pidInFile = Number((await readFile(this.pidFile, "utf8")).trim());
        if (pidInFile !== master) {
            throw new Error(`pid file says ${pidInFile}, but the nginx we started is ${master}`);
        }
        const before = childrenOf(master);
        const result = spawnSync(this.binary, this.args("-s", "reload"), { encoding: "utf8" });
        if (result.status !== 0) {
            throw new Error(`nginx -s reload failed: ${result.stderr}`);
        }
        const deadline = Date.now() + 10_000;
        for (;;) {
            const now = childrenOf(master);
            const replaced = now.length > 0 && now.every((pid) => !before.includes(pid));
            if (replaced) {
                return;
            }
            if (Date.now() > deadline) {
                throw new Error(`old workers ${before.join(",")} still running: ${await this.errorLogText()}`);
            }
            await sleep(10);
        }
    }

    /** Graceful stop (SIGQUIT) of the master we started, by its pid; SIGKILL if it hangs. */
    async stop(): Promise<void> {
        const child = this.child;
        if (child?.pid === undefined) {
            return;
        }
        if (child.exitCode === null && child.signalCode === null) {
            process.kill(child.pid, "SIGQUIT");
            const timer = setTimeout(() => {
                if (child.exitCode === null && child.pid !== undefined) {
                    process.kill(child.pid, "SIGKILL");
                }
            }, 5000);
            await this.exited;
            clearTimeout(timer);
        }
        this.child = undefined;
    }

    /** Stops nginx and deletes the prefix with its logs. */
    async dispose(): Promise<void> {
        await this.stop();
        await rm(this.dir, { recursive: true, force: true });
    }

    async errorLogText(): Promise<string> {
        return readFile(this.errorLog, "utf8").catch(() => "");
    }
}

/**
 * pids whose parent is `pid`, read from /proc (nginx workers of a master). Synchronous on purpose:
 * /proc is in memory, and queueing ~200 reads behind a busy load loop's I/O made a reload look
 * seconds slower than it was.
 */
function childrenOf(pid: number): number[] {
    const children: number[] = [];
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        let stat: string;
        try {
            stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        } catch {
            continue; // the process exited while we looked
        }
        // Fields after the command name, which is in parentheses and may itself contain spaces.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(fields[1]) === pid) {
            children.push(Number(entry));
        }
    }
    return children;
}

/**
 * Rewrites the weights of the rendered `server` lines (found by their `# stable` / `# canary`
 * comments), to run configs the renderer deliberately cannot produce, such as the seed's.
 */
export function withWeights(config: string, weights: { readonly stable: number; readonly canary: number }): string {
    let result = config;
    for (const track of ["stable", "canary"] as const) {
        const line = new RegExp(`^(\\s*server \\S+ )weight=\\d+( .*# ${track})$`, "m");
        if (!line.test(result)) {
            throw new Error(`no ${track} server line in:\n${config}`);
        }
        result = result.replace(line, `$1weight=${weights[track]}$2`);
    }
    return result;
}

/**
 * The seed controller's weights: `int((1 - w) * 10)` and `int(w * 10)` with `w = percent / 100`,
 * in the same IEEE doubles as Python, truncated toward zero like `int()`.
 */
export function seedWeights(canaryPercent: number): { stable: number; canary: number } {
    const w = canaryPercent / 100;
    return { stable: Math.trunc((1 - w) * 10), canary: Math.trunc(w * 10) };
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
