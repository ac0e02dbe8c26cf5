/**
 * Opens a stack through the Automation API for the canary commands: the CLI found on PATH and run
 * in a session of its own, so a Ctrl-C reaches the command and not the `up` it is running.
 */
import { constants } from "node:fs";
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

import type { ConfigMap, OutputMap, Stack } from "@pulumi/pulumi/automation";

import { shellQuote } from "../../components/shared/shell";
import { RELEASE_PROJECT } from "../../config/release-schema";
import { stackValues } from "../../config/stack-values";
import { environmentLayout, releaseLayout, type StackLayout } from "./stack-layout";
import { stackUp, type StackUpOptions } from "./stack-up";

/** The platform repository: its scripts and policy pack are what every release stack's `up` runs. */
const PLATFORM_ROOT = join(__dirname, "..", "..");

/** `Pulumi.<stack>.yaml` of a stack name that may be fully qualified (`org/project/stack`). */
export function stackFileName(stackName: string): string {
    return `Pulumi.${stackName.split("/").pop() ?? stackName}.yaml`;
}

/** Finds `pulumi` on PATH; a missing CLI is an error that says how to get it. */
export async function findPulumi(path = process.env.PATH ?? ""): Promise<string> {
    for (const dir of path.split(delimiter)) {
        if (dir === "") {
            continue;
        }
        const candidate = join(dir, "pulumi");
        try {
            await access(candidate, constants.X_OK);
            return candidate;
        } catch {
            // not here
        }
    }
    throw new Error(
        "the pulumi CLI is not on PATH: build the offline toolchain with `bash scripts/toolchain/bootstrap`, " +
            "then `source scripts/toolchain/env.sh`",
    );
}

/**
 * A directory whose `bin/pulumi` runs the real CLI in a session of its own (`setsid`). A Ctrl-C in
 * the terminal goes to the whole foreground process group; without this the CLI would get it too
 * and cancel the `up` half-way. The canary command decides what an interrupt does, after the `up`.
 */
export async function isolatedPulumiRoot(realPulumi: string): Promise<{ root: string; dispose(): Promise<void> }> {
    const root = await mkdtemp(join(tmpdir(), "canary-pulumi-"));
    const bin = join(root, "bin");
    await mkdir(bin);
    const wrapper = join(bin, "pulumi");
    await writeFile(wrapper, `#!/bin/sh\nexec setsid ${shellQuote(realPulumi)} "$@"\n`);
    await chmod(wrapper, 0o755);
    return { root, dispose: () => rm(root, { recursive: true, force: true }) };
}

export interface OpenStackOptions {
    readonly stackName: string;
    /** Directory of `Pulumi.yaml` and `Pulumi.<stack>.yaml`. */
    readonly workDir: string;
    /** Extra environment for the CLI (backend URL, passphrase…); the process environment otherwise. */
    readonly envVars?: Record<string, string>;
}

/** An opened stack: its handle for the drivers, its stack file and the layout of its project. */
export interface OpenedStack {
    readonly stack: OpenedStackHandle;
    /** The Automation API's own handle, for what the drivers do not use (history, refresh…). */
    readonly automation: Stack;
    readonly stackFile: string;
    /** Environment stack (`cicd-platform`) or release stack (`cicd-release`), from the project's name. */
    readonly layout: StackLayout;
    dispose(): Promise<void>;
}

/** The part of an Automation API `Stack` the stack drivers use (a fake in unit tests). */
export interface StackLike {
    readonly name: string;
    getAllConfig(): Promise<ConfigMap>;
    setAllConfig(config: ConfigMap, path?: boolean): Promise<void>;
    removeConfig(key: string, path?: boolean): Promise<void>;
    up(opts?: StackUpOptions): Promise<unknown>;
    /** The stack's outputs (release stacks read their rollout policy there). */
    outputs?(): Promise<OutputMap>;
}

/** A stack opened through the Automation API, as the drivers and commands use it. */
export interface OpenedStackHandle extends StackLike {
    outputs(): Promise<OutputMap>;
}

/** The Automation API's stack with an `up` that reads nothing back (stack-up.ts). */
function openedStackHandle(stack: Stack, command: string): OpenedStackHandle {
    return {
        name: stack.name,
        getAllConfig: () => stack.getAllConfig(),
        setAllConfig: (config, path) => stack.setAllConfig(config, path),
        removeConfig: (key, path) => stack.removeConfig(key, path),
        up: (opts) => stackUp(stack, command, opts),
        outputs: () => stack.outputs(),
    };
}

/** The plain `<project>:*` keys of a config map, prefix stripped, values parsed; secrets dropped. */
export function plainProjectConfig(config: ConfigMap, project?: string): Record<string, unknown> {
    // The driver edits plain keys only, and its errors quote what it read: no secret may be in its copy.
    return stackValues(config, { secrets: "omit", ...(project === undefined ? {} : { project }) });
}

/** Selects an existing stack through the Automation API, with the CLI isolated from terminal signals. */
export async function openStack(options: OpenStackOptions): Promise<OpenedStack> {
    const real = await findPulumi(options.envVars?.PATH ?? process.env.PATH);
    const isolated = await isolatedPulumiRoot(real);
    try {
        const { LocalWorkspace, PulumiCommand } = await import("@pulumi/pulumi/automation");
        const pulumiCommand = await PulumiCommand.get({ root: isolated.root, skipVersionCheck: true });
        const stack = await LocalWorkspace.selectStack(
            { stackName: options.stackName, workDir: options.workDir },
            { pulumiCommand, ...(options.envVars === undefined ? {} : { envVars: options.envVars }) },
        );
        const project = (await stack.workspace.projectSettings()).name;
        return {
            stack: openedStackHandle(stack, pulumiCommand.command),
            automation: stack,
            stackFile: join(options.workDir, stackFileName(options.stackName)),
            layout: project === RELEASE_PROJECT ? releaseLayout(PLATFORM_ROOT) : environmentLayout,
            dispose: () => isolated.dispose(),
        };
    } catch (error) {
        await isolated.dispose();
        throw error;
    }
}

/**
 * The Prometheus to query: `--prometheus` or PROMETHEUS_URL when given, else the one the platform
 * names in a release stack's settings (its `prometheusUrl` output), else the default.
 */
export async function prometheusUrl(
    args: { readonly prometheus: string; readonly prometheusGiven: boolean },
    opened: OpenedStack,
): Promise<string> {
    if (args.prometheusGiven || opened.layout === environmentLayout) {
        return args.prometheus;
    }
    const fromStack = ((await opened.stack.outputs().catch(() => ({}))) as Record<string, { value?: unknown }>)
        .prometheusUrl?.value;
    return typeof fromStack === "string" && fromStack !== "" ? fromStack : args.prometheus;
}
