/**
 * A throw-away Pulumi TypeScript program and stack on the real offline toolchain (CLI, language
 * host, plugins), with its own file:// backend and passphrase, for tests that drive `pulumi up`,
 * `preview` and `destroy` through the engine.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { type Run, run, toolchainEnv } from "./engine";
import { fileBackendEnv, TRANSPILE_ONLY } from "./file-backend";
import { writeTsProgram } from "./ts-program";

export interface EngineStack {
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;
    pulumi(args: readonly string[], options?: { timeoutMs?: number }): Promise<Run>;
    /** `pulumi config set` (with `--secret` when asked); throws on failure. */
    config(key: string, value: string, secret?: boolean): Promise<void>;
    up(): Promise<Run>;
    preview(): Promise<Run>;
    destroy(): Promise<Run>;
    /** The stack's outputs, secrets shown (`--show-secrets`). */
    outputs(): Promise<Record<string, unknown>>;
    /** The stack's state as `pulumi stack export` writes it (secrets encrypted). */
    state(): Promise<string>;
    dispose(): void;
}

/** Fails unless the toolchain's `pulumi plugin ls` lists the resource plugin at that version. */
export async function requirePlugin(env: NodeJS.ProcessEnv, name: string, version: string): Promise<void> {
    const listed = await run("pulumi", ["plugin", "ls", "--json"], env);
    const plugins = JSON.parse(listed.stdout || "[]") as { name: string; kind: string; version: string }[];
    if (!plugins.some((p) => p.kind === "resource" && p.name === name && p.version === version)) {
        throw new Error(
            `the ${name} ${version} resource plugin is not installed (${env.PULUMI_HOME ?? "~/.pulumi"}): ` +
                "run `bash scripts/toolchain/bootstrap` (bash scripts/setup does)",
        );
    }
}

export async function newEngineStack(name: string, source: string): Promise<EngineStack> {
    const dir = mkdtempSync(join(tmpdir(), `${name}-`));
    const program = join(dir, "program");
    writeTsProgram(program, name, source, { noCheck: true });
    const env: NodeJS.ProcessEnv = {
        ...(await toolchainEnv()),
        ...fileBackendEnv(join(dir, "backend"), "engine-stack-test"),
        ...TRANSPILE_ONLY,
    };
    await requirePlugin(env, "command", "1.2.1");
    const pulumi = (args: readonly string[], options: { timeoutMs?: number } = {}): Promise<Run> =>
        run("pulumi", ["--non-interactive", ...args], env, { cwd: program, timeoutMs: options.timeoutMs ?? 300_000 });
    const init = await pulumi(["stack", "init", "test"]);
    if (init.code !== 0) {
        throw new Error(`pulumi stack init: ${init.stderr}`);
    }
    return {
        dir,
        env,
        pulumi,
        async config(key, value, secret = false) {
            // "--": a value may start with "-" (a PEM private key does).
            const out = await pulumi(["config", "set", ...(secret ? ["--secret"] : []), key, "--", value]);
            if (out.code !== 0) {
                throw new Error(`pulumi config set ${key}: ${out.stderr}`);
            }
        },
        up: () => pulumi(["up", "--yes", "--skip-preview", "--diff"]),
        preview: () => pulumi(["preview", "--diff"]),
        destroy: () => pulumi(["destroy", "--yes", "--skip-preview"]),
        async outputs() {
            const out = await pulumi(["stack", "output", "--json", "--show-secrets"]);
            if (out.code !== 0) {
                throw new Error(`pulumi stack output: ${out.stderr}`);
            }
            return JSON.parse(out.stdout) as Record<string, unknown>;
        },
        async state() {
            const out = await pulumi(["stack", "export"]);
            if (out.code !== 0) {
                throw new Error(`pulumi stack export: ${out.stderr}`);
            }
            return out.stdout;
        },
        dispose() {
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
