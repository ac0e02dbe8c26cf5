import type { z } from "zod";

/** One problem, with the config key path it is about, e.g. `canary.steps[2]`. */
export interface ConfigProblem {
    readonly path: string;
    readonly message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
    return path.reduce<string>(
        (out, part) => (typeof part === "number" ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
        "",
    );
}

export function issueMessage(issue: z.core.$ZodIssue): string {
    if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
        return issue.message.endsWith("received undefined")
            ? `is required (${issue.expected})`
            : `expected ${issue.expected}, ${issue.message.replace(/^.*, received /, "got ")}`;
    }
    return issue.message;
}

export class StackConfigError extends Error {
    constructor(
        public readonly problems: readonly ConfigProblem[],
        project = "cicd-platform",
    ) {
        super(
            `invalid stack config for ${project} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n"),
        );
        this.name = "StackConfigError";
    }
}
