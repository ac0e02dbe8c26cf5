/**
 * Moves a stack's OWN config through the Pulumi Automation API, one step at a time: every change is
 * written to `Pulumi.<stack>.yaml` (validated with config/schema.ts first, read back after), then
 * deployed with one `up`. Nothing is changed behind Pulumi's back, so the stack file, the state and
 * what runs never disagree; after a promotion or a rollback the file describes exactly what runs,
 * and the driver reports the lines that changed.
 */
import { readFile } from "node:fs/promises";

import type { ConfigMap, ConfigValue } from "@pulumi/pulumi/automation";

import { lineDiff } from "../shared/line-diff";
import { plainProjectConfig, type StackLike } from "../shared/open-stack";
import {
    atPath,
    type ConfigPath,
    configKey,
    environmentLayout,
    type StackLayout,
    withAtPath,
} from "../shared/stack-layout";
import type { ConfigChange, Rollout, RolloutPlan } from "./rollout-types";

export interface StackDriverOptions {
    /** Name of the entry in `apps` to roll out. */
    readonly app: string;
    /** Tag or digest the canary gets (and stable, once promoted). */
    readonly imageVersion: string;
    /** When given (from `--image repo:tag`), the app's image repository must be this one. */
    readonly imageRepository?: string;
    /** The stack's config file, `<workDir>/Pulumi.<stack>.yaml`, for the diff of what changed. */
    readonly stackFile: string;
    /** Overrides `canary.analysis.intervalSeconds` for this run (not written to the config). */
    readonly intervalSeconds?: number;
    /** Engine output of each `up`. @default discarded */
    readonly onOutput?: (out: string) => void;
    /** Where the stack keeps the app and its rollout policy. @default environmentLayout */
    readonly layout?: StackLayout;
}

type AppField = "stableVersion" | "canaryVersion" | "canaryPercent";

interface AppEdit {
    readonly set?: Partial<Record<AppField, string | number>>;
    readonly remove?: readonly AppField[];
}

function describeProblems(problems: readonly { path: string; message: string }[]): string {
    return problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n");
}

export class StackDriver implements Rollout {
    private appPath: ConfigPath = [];
    private readonly layout: StackLayout;
    private plan: RolloutPlan | undefined;
    private fileBefore = "";

    constructor(
        readonly stack: StackLike,
        readonly options: StackDriverOptions,
    ) {
        this.layout = options.layout ?? environmentLayout;
    }

    private key(field: AppField): string {
        return configKey(this.layout.project, this.appPath, field);
    }

    /** `apps[2]` or `canary`: the app's entry, for messages. */
    private where(): string {
        return configKey(this.layout.project, this.appPath, "").slice(this.layout.project.length + 1, -1);
    }

    private async readConfig(): Promise<Record<string, unknown>> {
        return plainProjectConfig(await this.stack.getAllConfig(), this.layout.project);
    }

    private async readStackFile(): Promise<string> {
        return readFile(this.options.stackFile, "utf8").catch(() => "");
    }

    async prepare(): Promise<RolloutPlan> {
        this.fileBefore = await this.readStackFile();
        const raw = await this.readConfig();
        const problems = this.layout.problems(raw, this.stack.name);
        if (problems.length > 0) {
            throw new Error(
                `the config of stack ${this.stack.name} is invalid; fix it before a canary:\n${describeProblems(problems)}`,
            );
        }
        const found = this.layout.findCanary(raw, this.options.app, this.stack.name);
        this.appPath = found.path;
        const app = found.app;
        if (this.options.imageRepository !== undefined && this.options.imageRepository !== app.image) {
            throw new Error(
                `--image: ${app.name} runs ${app.image}, not ${this.options.imageRepository}; ` +
                    `a canary only changes the version`,
            );
        }
        const version = this.options.imageVersion;
        if (app.stableVersion === version) {
            throw new Error(`--image-version: ${app.name} already runs ${version} as stable; nothing to roll out`);
        }
        if (app.canaryPercent > 0 && app.canaryVersion !== version) {
            throw new Error(
                `${app.name} already has canary ${String(app.canaryVersion)} at ${app.canaryPercent}%: ` +
                    `promote it or roll it back (canaryPercent 0) before starting ${version}`,
            );
        }
        const policy = await this.layout.rolloutPolicy(raw, this.stack, this.options.onOutput);
        const allSteps = policy.allSteps;
        const resumedFrom = app.canaryPercent > 0 ? app.canaryPercent : undefined;
        const steps = resumedFrom === undefined ? allSteps : allSteps.filter((step) => step >= resumedFrom);
        const analysis = {
            ...policy.analysis,
            ...(this.options.intervalSeconds === undefined ? {} : { intervalSeconds: this.options.intervalSeconds }),
        };
        if (!Number.isInteger(analysis.intervalSeconds) || analysis.intervalSeconds < 1) {
            throw new Error(`--interval-seconds: ${analysis.intervalSeconds} must be a positive integer`);
        }
        this.plan = {
            stack: this.stack.name,
            app: app.name,
            stableVersion: app.stableVersion,
            canaryVersion: version,
            steps,
            allSteps,
            analysis,
            bakeSeconds: policy.bakeSeconds ?? 0,
            splitDesignEffect: policy.splitDesignEffect ?? 1,
            ...(resumedFrom === undefined ? {} : { resumedFrom }),
        };
        // The canary version alone deploys nothing (no canary workload at 0%): no `up` yet.
        await this.write({ set: { canaryVersion: version } });
        return this.plan;
    }

    private requirePlan(): RolloutPlan {
        if (this.plan === undefined) {
            throw new Error("prepare() first");
        }
        return this.plan;
    }

    /**
     * Validates the whole config as it will be after the edit, writes the edit (`--path` keys of
     * the app's entry), and reads it back: a value Pulumi stored differently (e.g. a tag made of digits,
     * which `config set --path` turns into a number) stops the run before an `up`.
     */
    private async write(edit: AppEdit): Promise<void> {
        const current = await this.readConfig();
        const app = atPath(current, this.appPath);
        if (app === undefined) {
            throw new Error(`${this.where()} disappeared from stack ${this.stack.name}`);
        }
        const removed = new Set<string>(edit.remove ?? []);
        const desired = withAtPath(
            current,
            this.appPath,
            Object.fromEntries(Object.entries({ ...app, ...edit.set }).filter(([field]) => !removed.has(field))),
        );
        const problems = this.layout.problems(desired, this.stack.name);
        if (problems.length > 0) {
            throw new Error(`refusing to write an invalid config:\n${describeProblems(problems)}`);
        }

        const sets: ConfigMap = {};
        for (const [field, value] of Object.entries(edit.set ?? {}) as [AppField, string | number][]) {
            if (app[field] !== value) {
                sets[this.key(field)] = { value: String(value) } satisfies ConfigValue;
            }
        }
        if (Object.keys(sets).length > 0) {
            await this.stack.setAllConfig(sets, true);
        }
        for (const field of edit.remove ?? []) {
            if (app[field] !== undefined) {
                await this.stack.removeConfig(this.key(field), true);
            }
        }

        const stored = atPath(await this.readConfig(), this.appPath);
        for (const [field, value] of Object.entries(edit.set ?? {})) {
            if (stored?.[field] !== value) {
                throw new Error(
                    `wrote ${this.where()}.${field} = ${JSON.stringify(value)}, but the stack now says ` +
                        JSON.stringify(stored?.[field]) +
                        (typeof value === "string" && /^[1-9][0-9]*$/.test(value)
                            ? " (Pulumi stores a value of digits as a number: use a tag that is not a bare number)"
                            : ""),
                );
            }
        }
        for (const field of edit.remove ?? []) {
            if (stored?.[field] !== undefined) {
                throw new Error(`removed ${this.where()}.${field}, but the stack still has it`);
            }
        }
    }

    private async up(): Promise<void> {
        await this.stack.up({
            onOutput: this.options.onOutput ?? (() => undefined),
            color: "never",
            ...(await this.layout.upOptions(this.stack.name)),
        });
    }

    async setCanaryPercent(percent: number): Promise<void> {
        this.requirePlan();
        await this.write({ set: { canaryPercent: percent } });
        await this.up();
    }

    async rollBack(): Promise<ConfigChange> {
        const plan = this.requirePlan();
        // stableVersion is written too: after a failed promotion it may already say the canary's.
        await this.write({
            set: { stableVersion: plan.stableVersion, canaryPercent: 0 },
            remove: ["canaryVersion"],
        });
        await this.up();
        return this.change();
    }

    async promote(): Promise<ConfigChange> {
        const plan = this.requirePlan();
        await this.write({
            set: { stableVersion: plan.canaryVersion, canaryPercent: 0 },
            remove: ["canaryVersion"],
        });
        await this.up();
        return this.change();
    }

    private async change(): Promise<ConfigChange> {
        return { file: this.options.stackFile, diff: lineDiff(this.fileBefore, await this.readStackFile()) };
    }
}
