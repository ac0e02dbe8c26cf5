/**
 * The step scripts of ci/steps as the tests run them: each script's documented variables (the
 * lines of its header), and a runner that refuses to set any variable the script does not document.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { ROOT, run, type Run } from "./tools";

export const STEPS_DIR = join(ROOT, "ci", "steps");

/**
 * What every job has and the tools (not the scripts) read: the search path, the home directory,
 * the temporary directory and the containers configuration of the runner.
 */
export const JOB_ENVIRONMENT = ["PATH", "HOME", "TMPDIR", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF"] as const;

export interface StepVariable {
    readonly name: string;
    readonly required: boolean;
}

/** The step scripts: every executable file of ci/steps but the shared library. */
export function stepNames(): string[] {
    return readdirSync(STEPS_DIR)
        .filter((file) => file !== "lib.sh" && !file.endsWith(".md"))
        .sort();
}

/** The variables a step's header lists under "Variables (nothing else is read):". */
export function stepVariables(step: string): StepVariable[] {
    const text = readFileSync(join(STEPS_DIR, step), "utf8");
    const header = text.split("\n# Variables (nothing else is read):\n")[1]?.split("\n# Exit:")[0];
    if (header === undefined) {
        throw new Error(`ci/steps/${step}: no "Variables (nothing else is read):" block in its header`);
    }
    return header
        .split("\n")
        .map((line) => /^#   ([A-Z][A-Z0-9_]*)\s+(required|optional|\[)/.exec(line))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => ({ name: match[1] as string, required: match[2] === "required" }));
}

/**
 * Runs a step with exactly `variables` (each of which its header must document) plus the job
 * environment; throws before running when a variable is not documented.
 */
export function runStep(
    step: string,
    variables: Readonly<Record<string, string>>,
    options: {
        cwd: string;
        job?: Readonly<Partial<Record<(typeof JOB_ENVIRONMENT)[number], string>>>;
        timeoutMs?: number;
    },
): Promise<Run> {
    const documented = new Set(stepVariables(step).map((v) => v.name));
    const undocumented = Object.keys(variables).filter((name) => !documented.has(name));
    if (undocumented.length > 0) {
        throw new Error(`ci/steps/${step} does not document ${undocumented.join(", ")}`);
    }
    const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...options.job,
        ...variables,
    };
    return run("bash", [join(STEPS_DIR, step)], { cwd: options.cwd, env, timeoutMs: options.timeoutMs });
}
