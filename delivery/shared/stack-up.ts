/**
 * A stack's `up` as the Automation API runs it (the same CLI, flags, directory and environment),
 * without what `Stack.up` does after it: two `stack output` calls (plain and --show-secrets) and a
 * `stack history`, three more CLI processes (about 1.7 s here) after every step of a canary or a
 * switch, whose results no driver reads. A driver that wants outputs asks for them.
 */
import { delimiter, dirname, isAbsolute } from "node:path";

import type { Stack } from "@pulumi/pulumi/automation";

import { runProcess } from "./run-process";

/** What the drivers pass to an `up` (a subset of the Automation API's UpOptions). */
export interface StackUpOptions {
    readonly onOutput?: (out: string) => void;
    readonly color?: "always" | "never" | "raw" | "auto";
    readonly policyPacks?: readonly string[];
    readonly policyPackConfigs?: readonly string[];
}

/** The CLI arguments of that `up`, in the Automation API's order. */
export function stackUpArgs(stackName: string, options: StackUpOptions, workspaceArgs: readonly string[]): string[] {
    return [
        "up",
        "--yes",
        "--skip-preview",
        ...(options.policyPacks ?? []).flatMap((pack) => ["--policy-pack", pack]),
        ...(options.policyPackConfigs ?? []).flatMap((config) => ["--policy-pack-config", config]),
        ...(options.color === undefined ? [] : ["--color", options.color]),
        "--exec-kind",
        "auto.local",
        "--stack",
        stackName,
        ...workspaceArgs,
        "--non-interactive",
    ];
}

/**
 * Runs `pulumi up` of `stack` with `command` (the Automation API's PulumiCommand path). Rejects
 * with the exit code, stdout and stderr, as the Automation API's CommandError says them.
 */
export async function stackUp(stack: Stack, command: string, options: StackUpOptions = {}): Promise<void> {
    const workspace = stack.workspace;
    const args = stackUpArgs(stack.name, options, await workspace.serializeArgsForOp(stack.name));
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...(workspace.pulumiHome === undefined ? {} : { PULUMI_HOME: workspace.pulumiHome }),
        ...workspace.envVars,
        PULUMI_AUTOMATION_API: "true",
    };
    if (isAbsolute(command)) {
        // As the Automation API does: the CLI's own directory first, for the plugins bundled with it.
        env.PATH = `${dirname(command)}${delimiter}${workspace.envVars.PATH ?? process.env.PATH ?? ""}`;
    }
    const { exit, stdout, stderr } = await runProcess(command, args, {
        cwd: workspace.workDir,
        env,
        ...(options.onOutput === undefined ? {} : { onStdout: options.onOutput }),
    });
    if (exit !== 0) {
        throw new Error(`code: ${exit}\n stdout: ${stdout}\n stderr: ${stderr}\n`);
    }
    await workspace.postCommandCallback(stack.name);
}
