/**
 * Moves a blue-green release through the stack's OWN config, as the canary's StackDriver does:
 * every change to `blueGreen.active` / `blueGreen.idleReplicas` is validated with config/schema.ts,
 * written through the Automation API, read back, and deployed with one `up`.
 *
 * Why `idleReplicas` is raised during a switch: in a single `up` that moves `active` while
 * `idleReplicas` is below `replicas`, the engine scales the old colour down in parallel with the
 * gate, i.e. before the live Service has moved, and requests still on it fail. So the switch keeps
 * the old colour at full replicas, and only after the watch passed and the drain does a second
 * `up` put `idleReplicas` back.
 */
import { readFile } from "node:fs/promises";

import type { ConfigMap } from "@pulumi/pulumi/automation";

import { lineDiff } from "../shared/line-diff";
import type { ConfigChange } from "../shared/outcome";
import { plainProjectConfig, type StackLike } from "../shared/open-stack";
import { configKey, environmentLayout, type StackLayout } from "../shared/stack-layout";
import type { Colour, ColourSwitch, SwitchPlan } from "./types";

export interface BlueGreenDriverOptions {
    /** `blueGreen.name` of the release to switch (`--release`). */
    readonly release: string;
    /** The colour to move traffic to (`--to`). */
    readonly to: Colour;
    /** `<workDir>/Pulumi.<stack>.yaml`, for the diff of what changed. */
    readonly stackFile: string;
    /** Overrides `blueGreen.watch.seconds` for this run (not written). */
    readonly watchSeconds?: number;
    /** Engine output of each `up`. @default discarded */
    readonly onOutput?: (out: string) => void;
    /** Where the stack keeps the release. @default environmentLayout */
    readonly layout?: StackLayout;
}

type Field = "active" | "idleReplicas";

function other(colour: Colour): Colour {
    return colour === "blue" ? "green" : "blue";
}

export class BlueGreenStackDriver implements ColourSwitch {
    private plan: SwitchPlan | undefined;
    private fileBefore = "";

    private readonly layout: StackLayout;

    constructor(
        readonly stack: StackLike,
        readonly options: BlueGreenDriverOptions,
    ) {
        this.layout = options.layout ?? environmentLayout;
    }

    private async readConfig(): Promise<Record<string, unknown>> {
        return plainProjectConfig(await this.stack.getAllConfig(), this.layout.project);
    }

    async prepare(): Promise<SwitchPlan> {
        this.fileBefore = await readFile(this.options.stackFile, "utf8").catch(() => "");
        const values = await this.readConfig();
        const problems = this.layout.problems(values, this.stack.name);
        if (problems.length > 0) {
            throw new Error(
                `the config of stack ${this.stack.name} is invalid; fix it before a switch:\n` +
                    problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n"),
            );
        }
        const blueGreen = this.layout.findBlueGreen(values, this.stack.name).release;
        if (blueGreen.name !== this.options.release) {
            throw new Error(
                `--release: stack ${this.stack.name}'s blue-green release is "${blueGreen.name}", not "${this.options.release}"`,
            );
        }
        if (blueGreen.active === this.options.to) {
            throw new Error(`--to: ${blueGreen.name} already serves from ${blueGreen.active}; nothing to switch`);
        }
        const from = other(this.options.to);
        const version = (colour: Colour): string =>
            colour === "blue" ? blueGreen.blueVersion : blueGreen.greenVersion;
        const watch = {
            ...blueGreen.watch,
            ...(this.options.watchSeconds === undefined ? {} : { seconds: this.options.watchSeconds }),
        };
        const idle = blueGreen.idleReplicas;
        this.plan = {
            stack: this.stack.name,
            release: blueGreen.name,
            from,
            to: this.options.to,
            fromVersion: version(from),
            toVersion: version(this.options.to),
            watch,
            replicas: blueGreen.replicas,
            ...(idle !== undefined && idle < blueGreen.replicas ? { idleReplicasAfter: idle } : {}),
        };
        return this.plan;
    }

    private requirePlan(): SwitchPlan {
        if (this.plan === undefined) {
            throw new Error("prepare() first");
        }
        return this.plan;
    }

    /** Validates the whole config after the edit, writes it (`--path` keys), reads it back, runs one `up`. */
    private async writeAndUp(edit: Partial<Record<Field, string | number>>): Promise<void> {
        const current = await this.readConfig();
        const desired = structuredClone(current);
        desired.blueGreen = { ...(desired.blueGreen as Record<string, unknown>), ...edit };
        const problems = this.layout.problems(desired, this.stack.name);
        if (problems.length > 0) {
            throw new Error(
                `refusing to write an invalid config:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n")}`,
            );
        }
        const sets: ConfigMap = {};
        for (const [field, value] of Object.entries(edit)) {
            sets[configKey(this.layout.project, ["blueGreen"], field)] = { value: String(value) };
        }
        await this.stack.setAllConfig(sets, true);
        const stored = (await this.readConfig()).blueGreen as Record<string, unknown> | undefined;
        for (const [field, value] of Object.entries(edit)) {
            if (stored?.[field] !== value) {
                throw new Error(
                    `wrote blueGreen.${field} = ${JSON.stringify(value)}, but the stack now says ${JSON.stringify(stored?.[field])}`,
                );
            }
        }
        await this.stack.up({
            onOutput: this.options.onOutput ?? (() => undefined),
            color: "never",
            ...(await this.layout.upOptions(this.stack.name)),
        });
    }

    async switchTo(): Promise<void> {
        const plan = this.requirePlan();
        await this.writeAndUp({
            active: plan.to,
            ...(plan.idleReplicasAfter === undefined ? {} : { idleReplicas: plan.replicas }),
        });
    }

    async switchBack(): Promise<ConfigChange> {
        await this.writeAndUp({ active: this.requirePlan().from });
        return this.change();
    }

    async scaleDownIdle(): Promise<ConfigChange> {
        const plan = this.requirePlan();
        if (plan.idleReplicasAfter !== undefined) {
            await this.writeAndUp({ idleReplicas: plan.idleReplicasAfter });
        }
        return this.change();
    }

    async change(): Promise<ConfigChange> {
        const after = await readFile(this.options.stackFile, "utf8").catch(() => "");
        return { file: this.options.stackFile, diff: lineDiff(this.fileBefore, after) };
    }
}
