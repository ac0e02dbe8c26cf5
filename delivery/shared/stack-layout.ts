/**
 * Where a stack keeps the release the canary commands move, and where their rollout policy comes
 * from. Two projects hold releases:
 *
 * - an environment stack (project `cicd-platform`): `apps[N]` and `blueGreen`, the rollout policy in
 *   its own `canary` key;
 * - a release stack (project `cicd-release`, stack `<app>-<environment>`): `canary` or `blueGreen`,
 *   the rollout policy the platform's settings ConfigMap gave its last `up` (the `rollout` output),
 *   and the policy pack on every `up`.
 */
import { join } from "node:path";

import type { OutputMap } from "@pulumi/pulumi/automation";

import type { ConfigProblem } from "../../config/config-problems";
import { parseReleaseConfig, RELEASE_PROJECT } from "../../config/release-schema";
import type { RolloutSettings } from "../../config/release-settings";
import { type AnalysisConfig, type AppConfig, type BlueGreenConfig, parsePlainConfig } from "../../config/schema";
import { PROJECT } from "../../config/stack-values";
import { runProcess } from "./run-process";

/** A config path such as `["apps", 2]` or `["canary"]`. */
export type ConfigPath = readonly (string | number)[];

/** The part of a canary's rollout plan the stack's policy decides. */
export interface RolloutPolicy {
    /** Every configured step, for progress ("step 2/5"). */
    readonly allSteps: readonly number[];
    readonly analysis: AnalysisConfig;
    /** One more window of this length at 100% before promotion (`canary.bakeSeconds`); 0 or absent: none. */
    readonly bakeSeconds?: number;
    /** Requests per independent routing draw in the split check: `canary.stickyRequestsPerClient` with sticky cohorts, else 1. */
    readonly splitDesignEffect?: number;
}

/** The stack operations a layout may need beyond reading config. */
export interface LayoutStack {
    readonly name: string;
    outputs?(): Promise<OutputMap>;
    up(opts?: Record<string, unknown>): Promise<unknown>;
}

export interface StackLayout {
    /** The config namespace of the project (`<project>:<key>`). */
    readonly project: string;
    /** Every problem of the whole plain config (prefix stripped, secrets left out); [] when valid. */
    problems(values: Record<string, unknown>, stackName: string): ConfigProblem[];
    /** The canary app called `app` and its path; throws naming the apps there are. */
    findCanary(values: Record<string, unknown>, app: string, stackName: string): { path: ConfigPath; app: AppConfig };
    /** The blue-green release and its path; throws when the stack has none. */
    findBlueGreen(values: Record<string, unknown>, stackName: string): { path: ConfigPath; release: BlueGreenConfig };
    /** Steps, analysis and bake of the rollout; an `up` it needs first streams to `onOutput`. */
    rolloutPolicy(
        values: Record<string, unknown>,
        stack: LayoutStack,
        onOutput?: (out: string) => void,
    ): Promise<RolloutPolicy>;
    /** Options every `up` of the stack carries (the policy pack). */
    upOptions(stackName: string): Promise<Record<string, unknown>>;
}

/** `<project>:apps[2].stableVersion` for path `["apps", 2]` and field `stableVersion`. */
export function configKey(project: string, path: ConfigPath, field: string): string {
    const prefix = path.reduce<string>(
        (out, part) => (typeof part === "number" ? `${out}[${part}]` : out === "" ? part : `${out}.${part}`),
        "",
    );
    return `${project}:${prefix}.${field}`;
}

/** The object at `path` of the plain config. */
export function atPath(values: Record<string, unknown>, path: ConfigPath): Record<string, unknown> | undefined {
    let here: unknown = values;
    for (const part of path) {
        here = (here as Record<string | number, unknown> | undefined)?.[part];
    }
    return typeof here === "object" && here !== null ? (here as Record<string, unknown>) : undefined;
}

/** The plain config with the object at `path` replaced. */
export function withAtPath(
    values: Record<string, unknown>,
    path: ConfigPath,
    object: Record<string, unknown>,
): Record<string, unknown> {
    const copy = structuredClone(values);
    let parent: Record<string | number, unknown> = copy;
    for (const part of path.slice(0, -1)) {
        parent = parent[part] as Record<string | number, unknown>;
    }
    const last = path.at(-1);
    if (last === undefined) {
        throw new Error("an empty config path");
    }
    parent[last] = object;
    return copy;
}

export const environmentLayout: StackLayout = {
    project: PROJECT,
    problems(values) {
        const parsed = parsePlainConfig(values);
        return parsed.ok ? [] : parsed.problems;
    },
    findCanary(values, app, stackName) {
        const parsed = parsePlainConfig(values);
        const apps = parsed.ok ? parsed.config.apps : [];
        const index = apps.findIndex((a) => a.name === app);
        const found = apps[index];
        if (found === undefined) {
            throw new Error(
                `--app: stack ${stackName} has no app "${app}" (apps: ${apps.map((a) => a.name).join(", ") || "none"})`,
            );
        }
        return { path: ["apps", index], app: found };
    },
    findBlueGreen(values, stackName) {
        const parsed = parsePlainConfig(values);
        const release = parsed.ok ? parsed.config.blueGreen : undefined;
        if (release === undefined) {
            throw new Error(`--release: stack ${stackName} has no blueGreen release`);
        }
        return { path: ["blueGreen"], release };
    },
    rolloutPolicy(values) {
        const parsed = parsePlainConfig(values);
        if (!parsed.ok) {
            return Promise.reject(new Error("the stack config is invalid"));
        }
        const canary = parsed.config.canary;
        return Promise.resolve({
            allSteps: canary.steps,
            analysis: canary.analysis,
            bakeSeconds: canary.bakeSeconds,
            splitDesignEffect: canary.stickyCookie === undefined ? 1 : canary.stickyRequestsPerClient,
        });
    },
    upOptions: () => Promise.resolve({}),
};

/** The flags scripts/policy-args prints for a release stack, as Automation API options. */
export async function policyOptions(root: string, stackName: string): Promise<Record<string, unknown>> {
    const { exit, stdout, stderr } = await runProcess("bash", [
        join(root, "scripts", "policy-args"),
        "--release",
        stackName,
    ]);
    if (exit !== 0) {
        throw new Error(`scripts/policy-args --release ${stackName} failed: ${stderr.trim()}`);
    }
    const flags = stdout.trim().split("\n");
    const policyPacks: string[] = [];
    const policyPackConfigs: string[] = [];
    for (let i = 0; i < flags.length; i += 2) {
        const value = flags[i + 1] ?? "";
        if (flags[i] === "--policy-pack") policyPacks.push(value);
        else if (flags[i] === "--policy-pack-config") policyPackConfigs.push(value);
    }
    return { policyPacks, policyPackConfigs };
}

function releaseConfig(values: Record<string, unknown>, stackName: string) {
    const parsed = parseReleaseConfig(values, stackName);
    if (!parsed.ok) {
        throw new Error(`the config of stack ${stackName} is invalid`);
    }
    return parsed.config;
}

/**
 * The release project's layout; `root` is the platform repository (its scripts and policy pack).
 * `policy` turns a stack name into the policy options of its ups (tests pass a recorder); it runs
 * once per stack for the layout's life, not before every step's up (scripts/policy-args also checks
 * that the compiled pack is current, and neither answer changes within one command).
 */
export function releaseLayout(
    root: string,
    policyOf: (root: string, stackName: string) => Promise<Record<string, unknown>> = policyOptions,
): StackLayout {
    const known = new Map<string, Promise<Record<string, unknown>>>();
    const policy = (stackName: string): Promise<Record<string, unknown>> => {
        let options = known.get(stackName);
        if (options === undefined) {
            options = policyOf(root, stackName);
            known.set(stackName, options);
            // A failure is not kept: the next up asks again.
            options.catch(() => known.delete(stackName));
        }
        return options;
    };
    return {
        project: RELEASE_PROJECT,
        problems(values, stackName) {
            const parsed = parseReleaseConfig(values, stackName);
            return parsed.ok ? [] : parsed.problems;
        },
        findCanary(values, app, stackName) {
            const canary = releaseConfig(values, stackName).canary;
            if (canary === undefined || canary.name !== app) {
                throw new Error(
                    `--app: stack ${stackName} holds ${canary === undefined ? "no canary release" : `the canary release "${canary.name}"`}, not "${app}"`,
                );
            }
            return { path: ["canary"], app: canary };
        },
        findBlueGreen(values, stackName) {
            const release = releaseConfig(values, stackName).blueGreen;
            if (release === undefined) {
                throw new Error(`--release: stack ${stackName} has no blueGreen release`);
            }
            return { path: ["blueGreen"], release };
        },
        async rolloutPolicy(_values, stack, onOutput) {
            const read = async (): Promise<RolloutSettings | undefined> =>
                (await stack.outputs?.())?.rollout?.value as RolloutSettings | undefined;
            let rollout = await read();
            if (rollout === undefined) {
                // Never deployed: one up of the committed file reads the platform's settings.
                onOutput?.(`${stack.name} was never deployed: one up of its committed config first (no canary yet)`);
                await stack.up({
                    color: "never",
                    ...(onOutput === undefined ? {} : { onOutput }),
                    ...(await policy(stack.name)),
                });
                rollout = await read();
            }
            if (rollout === undefined) {
                throw new Error(`stack ${stack.name} has no rollout output after an up: is it a release stack?`);
            }
            return {
                allSteps: rollout.steps,
                analysis: rollout.analysis,
                bakeSeconds: rollout.bakeSeconds,
                splitDesignEffect: rollout.splitDesignEffect,
            };
        },
        upOptions: (stackName) => policy(stackName),
    };
}
