/**
 * Runs Debian's `docker-registry` (CNCF Distribution 2.8) on 127.0.0.1 with the config and the
 * htpasswd files the PrivateRegistry component renders, and drives it with Debian's `skopeo`.
 *
 * As in the pod, two processes share one storage directory: the writer with the push user only,
 * and the read-only reader with the pull user only. When the tests run as root, each process
 * drops to its own uid (writer 10001 as in the pod, reader 65534) and the storage belongs to the
 * writer, so the reader cannot write even past its read-only mode, like its read-only mount.
 *
 * Every process started here is recorded by pid and stopped by that pid; nothing is found by name.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, openSync, closeSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { renderHtpasswd } from "../../components/registry/htpasswd";
import { freePort } from "../support/free-port";
import { renderRegistryConfigPair, type RegistryPairOptions } from "../../components/registry/registry-config";

/** A binary the tests need, and the Debian package that ships it. */
export function requireBinary(name: string, debianPackage: string): string {
    for (const dir of ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"]) {
        const path = join(dir, name);
        if (existsSync(path)) {
            return path;
        }
    }
    const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
    if (found !== "") {
        return found;
    }
    throw new Error(
        `${name} not found: install Debian's ${debianPackage} (apt-get install -y --no-install-recommends ${debianPackage}); ` +
            "the package must not start its own service (keep a policy-rc.d that exits 101)",
    );
}

const isRoot = process.getuid?.() === 0;
export const WRITER_UID = 10001;
export const READER_UID = 65534;

/** `setpriv` prefix dropping to `uid` when running as root; nothing otherwise. */
function asUser(uid: number): string[] {
    if (!isRoot) {
        return [];
    }
    return [requireBinary("setpriv", "util-linux"), `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--"];
}

export interface Credential {
    readonly username: string;
    readonly password: string;
}

export interface RegistryProcess {
    readonly pid: number;
    readonly logPath: string;
    stop(): Promise<void>;
}

const started = new Set<ChildProcess>();
// Safety net if a test aborts between start and stop: stop what we started, by pid.
process.on("exit", () => {
    for (const child of started) {
        if (child.pid !== undefined && child.exitCode === null) {
            try {
                process.kill(child.pid, "SIGKILL");
            } catch {
                // already gone
            }
        }
    }
});

/** GET over http or https (trusting `ca`), resolving to the status code. */
export function httpStatus(url: string, ca?: Buffer, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
        const request = (url.startsWith("https:") ? https : http).get(url, { ca, headers }, (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
        });
        request.on("error", reject);
        request.setTimeout(5000, () => request.destroy(new Error(`timeout: ${url}`)));
    });
}

async function waitHttp(
    url: string,
    child: ChildProcess,
    logPath: string,
    ca: Buffer | undefined,
    timeoutMs = 20_000,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) {
            break;
        }
        try {
            if ((await httpStatus(url, ca)) === 200) {
                return;
            }
        } catch {
            // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const log = await readFile(logPath, "utf8").catch(() => "");
    throw new Error(`registry at ${url} did not come up (exit ${String(child.exitCode)}):\n${log.slice(-3000)}`);
}

/** Starts `docker-registry serve <config>` as `uid`, waits until `/` answers 200. */
export async function startRegistry(
    configPath: string,
    url: string,
    uid: number,
    logPath: string,
    ca?: Buffer,
): Promise<RegistryProcess> {
    const binary = requireBinary("docker-registry", "docker-registry");
    const command = [...asUser(uid), binary, "serve", configPath];
    const fd = openSync(logPath, "a");
    const child = spawn(command[0] as string, command.slice(1), {
        stdio: ["ignore", fd, fd],
        // No REGISTRY_* from the environment: the rendered config is the whole truth.
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    });
    closeSync(fd);
    started.add(child);
    const pid = child.pid;
    if (pid === undefined) {
        throw new Error(`could not start ${command.join(" ")}`);
    }
    const exited = new Promise<void>((resolve) =>
        child.once("exit", () => {
            resolve();
        }),
    );
    await waitHttp(`${url}/`, child, logPath, ca);
    return {
        pid,
        logPath,
        async stop() {
            if (child.exitCode === null && child.signalCode === null) {
                process.kill(pid, "SIGTERM");
                const timer = setTimeout(() => {
                    if (child.exitCode === null && child.signalCode === null) {
                        process.kill(pid, "SIGKILL");
                    }
                }, 5000);
                await exited;
                clearTimeout(timer);
            }
            started.delete(child);
        },
    };
}

export interface RegistryPair {
    readonly dir: string;
    readonly storage: string;
    readonly pushConfigPath: string;
    readonly pullConfigPath: string;
    /** `127.0.0.1:<port>` of the writer. */
    readonly pushEndpoint: string;
    /** `127.0.0.1:<port>` of the read-only reader. */
    readonly pullEndpoint: string;
    readonly push: Credential;
    readonly pull: Credential;
    readonly processes: readonly RegistryProcess[];
    stop(): Promise<void>;
}

export interface PairSettings {
    readonly push: Credential;
    readonly pull: Credential;
    /** Key of the derived bcrypt salts, the component's `httpSecret`. */
    readonly httpSecret: string;
    readonly bcryptCost: number;
    readonly deleteEnabled: boolean;
    readonly garbageCollection: boolean;
    /** Serve HTTPS with this certificate and key (readable by both uids); `ca` verifies it. */
    readonly tls?: { readonly certificatePath: string; readonly keyPath: string; readonly ca: Buffer };
}

/**
 * Renders both configs and htpasswd files with the component's own functions into a fresh temp
 * directory and starts both processes.
 */
export async function startRegistryPair(settings: PairSettings): Promise<RegistryPair> {
    const dir = await mkdtemp(join(tmpdir(), "cicd-registry-"));
    await chmod(dir, 0o755);
    const storage = join(dir, "storage");
    await mkdir(storage, { mode: 0o755 });
    const [pushPort, pullPort] = [await freePort(), await freePort()];
    const pushEndpoint = `127.0.0.1:${pushPort}`;
    const pullEndpoint = `127.0.0.1:${pullPort}`;
    const options: RegistryPairOptions = {
        rootDirectory: storage,
        pushAddr: pushEndpoint,
        pullAddr: pullEndpoint,
        pushHtpasswdPath: join(dir, "push.htpasswd"),
        pullHtpasswdPath: join(dir, "pull.htpasswd"),
        deleteEnabled: settings.deleteEnabled,
        garbageCollection: settings.garbageCollection,
        httpSecret: settings.httpSecret,
        tlsCertificatePath: settings.tls?.certificatePath,
        tlsKeyPath: settings.tls?.keyPath,
    };
    const configs = renderRegistryConfigPair(options);
    const pushConfigPath = join(dir, "config.yml");
    const pullConfigPath = join(dir, "pull.yml");
    await writeFile(pushConfigPath, configs.push, { mode: 0o644 });
    await writeFile(pullConfigPath, configs.pull, { mode: 0o644 });
    await writeFile(
        options.pushHtpasswdPath,
        renderHtpasswd(settings.push.username, settings.push.password, settings.httpSecret, settings.bcryptCost),
        { mode: 0o400 },
    );
    await writeFile(
        options.pullHtpasswdPath,
        renderHtpasswd(settings.pull.username, settings.pull.password, settings.httpSecret, settings.bcryptCost),
        { mode: 0o400 },
    );
    if (isRoot) {
        // Each process reads only its own user's file, like the per-container Secret projections.
        await chown(storage, WRITER_UID, WRITER_UID);
        await chown(options.pushHtpasswdPath, WRITER_UID, WRITER_UID);
        await chown(options.pullHtpasswdPath, READER_UID, READER_UID);
    }

    const scheme = settings.tls === undefined ? "http" : "https";
    const processes: RegistryProcess[] = [];
    const stop = async (): Promise<void> => {
        for (const p of processes.splice(0)) {
            await p.stop();
        }
    };
    try {
        processes.push(
            await startRegistry(
                pushConfigPath,
                `${scheme}://${pushEndpoint}`,
                WRITER_UID,
                join(dir, "push.log"),
                settings.tls?.ca,
            ),
        );
        processes.push(
            await startRegistry(
                pullConfigPath,
                `${scheme}://${pullEndpoint}`,
                READER_UID,
                join(dir, "pull.log"),
                settings.tls?.ca,
            ),
        );
    } catch (error) {
        await stop();
        await rm(dir, { recursive: true, force: true });
        throw error;
    }
    return {
        dir,
        storage,
        pushConfigPath,
        pullConfigPath,
        pushEndpoint,
        pullEndpoint,
        push: settings.push,
        pull: settings.pull,
        processes,
        stop,
    };
}

/** Runs a registry `garbage-collect` command line as the writer's uid. */
export function runAsWriter(
    command: readonly string[],
    timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
    const full = [...asUser(WRITER_UID), ...command];
    return run(full, { PATH: process.env.PATH ?? "/usr/bin:/bin" }, timeoutMs);
}

export function run(
    command: readonly string[],
    env: NodeJS.ProcessEnv,
    timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(
            command[0] as string,
            command.slice(1),
            { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
            (error, stdout, stderr) => {
                const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
                resolve({ code, stdout, stderr });
            },
        );
    });
}

/** skopeo with a private policy, auth file location, temp dir and HOME: nothing from the host leaks in. */
export class Skopeo {
    readonly binary = requireBinary("skopeo", "skopeo");

    private constructor(
        private readonly dir: string,
        private readonly policy: string,
    ) {}

    static async create(dir: string): Promise<Skopeo> {
        await mkdir(join(dir, "home"), { recursive: true });
        await mkdir(join(dir, "tmp"), { recursive: true });
        const policy = join(dir, "policy.json");
        await writeFile(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
        return new Skopeo(dir, policy);
    }

    run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
        return run(
            [
                this.binary,
                "--policy",
                this.policy,
                "--tmpdir",
                join(this.dir, "tmp"),
                "--command-timeout",
                "90s",
                ...args,
            ],
            {
                PATH: process.env.PATH ?? "/usr/bin:/bin",
                HOME: join(this.dir, "home"),
                XDG_RUNTIME_DIR: join(this.dir, "home"),
                // An auth file that does not exist: no ambient credential can make a test pass.
                REGISTRY_AUTH_FILE: join(this.dir, "no-auth.json"),
            },
        );
    }
}

/** Basic auth header value. */
export function basic(credential: Credential): string {
    return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString("base64")}`;
}

/** Where Distribution's filesystem driver keeps a blob's bytes. */
export function blobDataPath(storage: string, digest: string): string {
    const hex = digest.replace(/^sha256:/, "");
    return join(storage, "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
}

export async function removeDir(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
}
