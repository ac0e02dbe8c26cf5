/**
 * Running the real toolchain from tests: the offline `pulumi` and its plugins (scripts/toolchain),
 * a private file:// backend and control plane per test run, and small wrappers that keep output.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { fileBackendEnv, TRANSPILE_ONLY } from "./file-backend";

export const ROOT = join(__dirname, "..", "..");

export interface Run {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs a command to completion; never throws on a non-zero exit (callers assert on `code`). */
export function run(
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    options: { cwd?: string; timeoutMs?: number } = {},
): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => {
            child.kill("SIGTERM");
            reject(new Error(`${command} ${args.join(" ")} timed out after ${options.timeoutMs ?? 600_000} ms`));
        }, options.timeoutMs ?? 600_000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, stdout, stderr });
        });
    });
}

/** The environment scripts/toolchain/env.sh sets up, read by sourcing it in bash. */
export async function toolchainEnv(): Promise<Record<string, string>> {
    const out = await run("bash", ["-c", "source scripts/toolchain/env.sh >/dev/null 2>&1 && env -0"], process.env);
    if (out.code !== 0) {
        throw new Error(`sourcing scripts/toolchain/env.sh failed: ${out.stderr}`);
    }
    const env: Record<string, string> = {};
    for (const entry of out.stdout.split("\0")) {
        const eq = entry.indexOf("=");
        if (eq > 0) {
            env[entry.slice(0, eq)] = entry.slice(eq + 1);
        }
    }
    const which = await run("bash", ["-c", "command -v pulumi"], env);
    if (which.code !== 0) {
        throw new Error("pulumi is not installed: run `bash scripts/setup` (it bootstraps the offline toolchain)");
    }
    return env;
}

/**
 * A private world for one test file: state backend, control-plane directory and ports that do not
 * collide with a developer's own `scripts/local up`.
 */
export async function isolatedEnv(ports: { apiserver: number; etcd: number }): Promise<{
    env: NodeJS.ProcessEnv;
    dir: string;
}> {
    const dir = mkdtempSync(join(tmpdir(), "cicd-e2e-"));
    const env: NodeJS.ProcessEnv = {
        ...(await toolchainEnv()),
        CICD_STATE_DIR: join(dir, "state"),
        ...fileBackendEnv(join(dir, "state", "backend"), "cicd-platform-local"),
        ...TRANSPILE_ONLY,
        CICD_CP_DIR: join(dir, "cp"),
        CICD_CP_APISERVER_PORT: String(ports.apiserver),
        CICD_CP_ETCD_PORT: String(ports.etcd),
        CICD_CP_ETCD_PEER_PORT: String(ports.etcd + 1),
        CICD_CP_KCM_PORT: String(ports.apiserver + 1),
        CICD_CP_SCHEDULER_PORT: String(ports.apiserver + 2),
        KUBECONFIG: join(dir, "cp", "kubeconfig"),
    };
    return { env, dir };
}

export async function kubectlJson<T>(env: NodeJS.ProcessEnv, ...args: string[]): Promise<T> {
    const out = await run("kubectl", [...args, "-o", "json"], env);
    if (out.code !== 0) {
        throw new Error(`kubectl ${args.join(" ")}: ${out.stderr}`);
    }
    return JSON.parse(out.stdout) as T;
}

/** The policy flags every preview and up of this project carries. */
export async function policyFlags(stack: string, env: NodeJS.ProcessEnv): Promise<string[]> {
    const out = await run("bash", ["scripts/policy-args", stack], env);
    if (out.code !== 0) {
        throw new Error(out.stderr);
    }
    return out.stdout.trim().split("\n");
}

/** A kubeconfig pointing at a port nothing listens on: previews run without any cluster. */
export const OFFLINE_KUBECONFIG = [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{name: offline, cluster: {server: 'https://127.0.0.1:9'}}]",
    "users: [{name: offline, user: {token: offline}}]",
    "contexts: [{name: offline, context: {cluster: offline, user: offline}}]",
    "current-context: offline",
    "",
].join("\n");

const SECURE_ENTRY = /^ {2}([\w-]+:[\w-]+):\n {4}secure:.*\n?/gm;

/** The config keys a stack file stores encrypted (`key:` followed by `secure:`), namespace included. */
export function secureKeys(stackFile: string): string[] {
    return Array.from(stackFile.matchAll(SECURE_ENTRY), (m) => m[1] ?? "");
}

/** The stack file without its encrypted values and salt, to re-encrypt under a test passphrase. */
export function stripSecure(stackFile: string): string {
    return stackFile.replace(/^encryptionsalt:.*\n?/m, "").replace(SECURE_ENTRY, "");
}
