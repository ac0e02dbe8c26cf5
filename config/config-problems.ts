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

/** The problems as one message: a header with the count, then each problem once on its own line. */
export function formatConfigProblems(problems: readonly ConfigProblem[], project = "cicd-platform"): string {
    const unique = uniqueProblems(problems);
    return (
        `invalid stack config for ${project} (${unique.length} problem${unique.length === 1 ? "" : "s"}):\n` +
        unique.map((p) => `  - ${p.path}: ${p.message}`).join("\n")
    );
}

/** Each path and message once, in first-seen order (two rules can find the same thing). */
export function uniqueProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
    const seen = new Set<string>();
    return problems.filter((p) => {
        const key = `${p.path}\u0000${p.message}`;
        if (seen.has(key)) {
            return false;
        }
        seen.add(key);
        return true;
    });
}

export class StackConfigError extends Error {
    public readonly problems: readonly ConfigProblem[];

    constructor(problems: readonly ConfigProblem[], project = "cicd-platform") {
        super(formatConfigProblems(problems, project));
        this.problems = uniqueProblems(problems);
        this.name = "StackConfigError";
    }
}
