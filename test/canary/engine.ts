/**
 * A temp work directory for the fixture Pulumi program and a stack in a file:// backend with
 * passphrase secrets, for the tests that run the real engine. Offline: no update check, no plugin
 * downloads. A missing CLI or plugin is a failure that says how to get it; the one exception is a
 * plugin the toolchain declares unbuildable here (see `unbuildablePlugin`), which its tests skip
 * with that reason.
 */
import { execFile, spawnSync } from "node:child_process";
import { constants, readFileSync } from "node:fs";
import { access, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";

import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { parseDocument } from "yaml";

import { findPulumi, openStack, stackFileName } from "../../delivery/shared/open-stack";
import { REPO_ROOT } from "./fixture/track-scripts";
import { platformConfig } from "./lab";
import type { StackFactory } from "./scenario";
import { fileBackendEnv, TRANSPILE_ONLY } from "../support/file-backend";

const FIXTURE = join(REPO_ROOT, "test", "canary", "fixture");
export const PASSPHRASE = "canary-engine-test";

export interface EngineWorkDir {
    readonly dir: string;
    readonly env: Record<string, string>;
    dispose(): Promise<void>;
}

async function onPath(name: string): Promise<boolean> {
    for (const dir of (process.env.PATH ?? "").split(delimiter)) {
        try {
            await access(join(dir, name), constants.X_OK);
            return true;
        } catch {
            // not in this one
        }
    }
    return false;
}

/** Fails with what to do when the toolchain (CLI, Node language host, plugins) is not there. */
export async function requireToolchain(plugins: readonly { name: string; version: string }[]): Promise<string> {
    const pulumi = await findPulumi();
    const hostDirs = [dirname(await realpath(pulumi)), ...(process.env.PATH ?? "").split(delimiter)];
    const found = await Promise.all(
        hostDirs.map((dir) =>
            access(join(dir, "pulumi-language-nodejs"), constants.X_OK).then(
                () => true,
                () => false,
            ),
        ),
    );
    if (!found.includes(true)) {
        throw new Error(
            "the Node language host (pulumi-language-nodejs) is neither next to the pulumi CLI nor on PATH: " +
                "run `bash scripts/toolchain/bootstrap` and `source scripts/toolchain/env.sh`",
        );
    }
    const { stdout } = await promisify(execFile)(pulumi, ["plugin", "ls", "--json"], {
        env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    });
    const installed = JSON.parse(stdout || "[]") as { name: string; kind: string; version: string }[];
    for (const plugin of plugins) {
        if (!installed.some((p) => p.kind === "resource" && p.name === plugin.name && p.version === plugin.version)) {
            throw new Error(
                `the ${plugin.name} ${plugin.version} resource plugin is not installed in PULUMI_HOME ` +
                    `(${process.env.PULUMI_HOME ?? "~/.pulumi"}): run \`bash scripts/toolchain/bootstrap\` and ` +
                    "`source scripts/toolchain/env.sh`",
            );
        }
    }
    return pulumi;
}

/**
 * Why `name` `version` cannot be used here, when the toolchain pins it in UNAVAILABLE_PLUGINS
 * (scripts/toolchain/versions.env: the Go module proxy refuses its module) and it is not installed;
 * otherwise undefined, and a missing plugin stays a failure (requireToolchain). Synchronous because
 * node:test needs a skip reason when the cases are registered, before any hook runs.
 */
export function unbuildablePlugin(name: string, version: string): string | undefined {
    const pins = readFileSync(join(REPO_ROOT, "scripts", "toolchain", "versions.env"), "utf8");
    const unavailable = /^UNAVAILABLE_PLUGINS="?([^"\n]*)"?$/m.exec(pins)?.[1]?.split(/\s+/) ?? [];
    if (!unavailable.includes(name)) {
        return undefined;
    }
    const listed = spawnSync("pulumi", ["plugin", "ls", "--json"], {
        encoding: "utf8",
        env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    });
    if (listed.status !== 0) {
        // No CLI at all is the toolchain's failure, reported by requireToolchain, not a skip.
        return undefined;
    }
    const installed = JSON.parse(listed.stdout || "[]") as { name: string; kind: string; version: string }[];
    if (installed.some((p) => p.kind === "resource" && p.name === name && p.version === version)) {
        return undefined;
    }
    return (
        `the ${name} ${version} resource plugin is not installed in PULUMI_HOME ` +
        `(${process.env.PULUMI_HOME ?? "~/.pulumi"}): the Go module proxy refuses its module ` +
        "(UNAVAILABLE_PLUGINS in scripts/toolchain/versions.env)"
    );
}

/** Pulumi.yaml of the fixture with `main` pointing at `mainFile`, the program and node_modules linked in. */
export async function engineWorkDir(
    mainFile: "index.ts" | "config-only.ts",
    options: { dynamicProviders?: boolean } = {},
): Promise<EngineWorkDir> {
    const dir = await mkdtemp(join(tmpdir(), "canary-engine-"));
    const project = (await readFile(join(FIXTURE, "Pulumi.yaml"), "utf8")).replace(/^main: .*$/m, `main: ${mainFile}`);
    await writeFile(join(dir, "Pulumi.yaml"), project);
    // Symlinks: the program resolves its imports from its real place in the repository.
    await symlink(join(FIXTURE, mainFile), join(dir, mainFile));
    await symlink(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
    const bin = join(dir, "bin");
    await mkdir(bin);
    if (options.dynamicProviders === true && !(await onPath("pulumi-resource-pulumi-nodejs"))) {
        // scripts/toolchain/bootstrap installs the launcher (scripts/toolchain/shims) next to pulumi.
        throw new Error("pulumi-resource-pulumi-nodejs is not on PATH: run bash scripts/toolchain/bootstrap");
    }
    const env: Record<string, string> = {
        PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
        ...fileBackendEnv(join(dir, "state"), PASSPHRASE),
        ...TRANSPILE_ONLY,
    };
    return { dir, env, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Creates the stack, writes `config` (keys with namespace, structured values) into its
 * `Pulumi.<stack>.yaml`, and stores the registry password encrypted through the CLI.
 */
export async function createStack(
    work: EngineWorkDir,
    stackName: string,
    config: Record<string, unknown>,
): Promise<{ stack: Stack; stackFile: string }> {
    const stack = await LocalWorkspace.createStack(
        { stackName, workDir: work.dir },
        { envVars: work.env, secretsProvider: "passphrase" },
    );
    const stackFile = join(work.dir, stackFileName(stackName));
    const doc = parseDocument(await readFile(stackFile, "utf8").catch(() => ""));
    for (const [key, value] of Object.entries(config)) {
        doc.setIn(["config", key], value);
    }
    await writeFile(stackFile, doc.toString({ lineWidth: 0 }));
    await stack.setConfig("cicd-platform:registryPassword", { value: "lab-registry-password", secret: true });
    return { stack, stackFile };
}

/** Stacks of the fixture program on the real engine, for the canary cases. */
export function engineStackFactory(executor: "command" | "dynamic"): StackFactory {
    return async (lab, steps) => {
        const work = await engineWorkDir("index.ts", { dynamicProviders: executor === "dynamic" });
        const config: Record<string, unknown> = { "fixture:executor": executor };
        for (const [key, value] of Object.entries(platformConfig(steps))) {
            config[`cicd-platform:${key}`] = value;
        }
        for (const [key, value] of Object.entries(lab.fixtureConfig)) {
            config[`fixture:${key}`] = value;
        }
        const created = await createStack(work, "lab", config);
        // Stable 1.0.0 and the router, as the repository's stack file says.
        await created.stack.up({ color: "never" });
        const opened = await openStack({ stackName: "lab", workDir: work.dir, envVars: work.env });
        return {
            stack: opened.stack,
            stackFile: opened.stackFile,
            dispose: async () => {
                await opened.dispose();
                // The backends are stopped by the lab (by their pid files); the state goes with the dir.
                await work.dispose();
            },
        };
    };
}
