import { code, plural } from "./markdown";
import { type OpKind, opKind } from "./op-kind";
import { type PreviewStep } from "./preview-json";
import { section, type Section } from "./section";

/**
 * What a preview changes on GitHub, the part of a stack that gates production: environments with
 * their reviewers, Actions secrets and variables by name, branch protection and deployment branch
 * policies. Only names and counts are read from the steps; a secret's value is never looked at.
 */

const KINDS: Readonly<Record<string, string>> = {
    "github:index/repositoryEnvironment:RepositoryEnvironment": "environment",
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": "secret",
    "github:index/actionsSecret:ActionsSecret": "repository secret",
    "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": "variable",
    "github:index/branchProtection:BranchProtection": "branch protection",
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy": "deployment branch",
};

const ORDER = Object.values(KINDS);

interface GitHubChange {
    readonly kind: OpKind;
    readonly what: string;
    readonly line: string;
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const listOf = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/** "reviewers: 1 user, 1 team" from the inputs; "no reviewers" when there are none. */
function reviewers(inputs: Readonly<Record<string, unknown>>): string {
    let users = 0;
    let teams = 0;
    for (const entry of listOf(inputs.reviewers)) {
        const reviewer = (entry ?? {}) as Record<string, unknown>;
        users += listOf(reviewer.users).length;
        teams += listOf(reviewer.teams).length;
    }
    if (users + teams === 0) {
        return "no reviewers";
    }
    return `reviewers: ${[users > 0 ? plural(users, "user") : "", teams > 0 ? plural(teams, "team") : ""].filter(Boolean).join(", ")}`;
}

function describe(what: string, inputs: Readonly<Record<string, unknown>>): string {
    const environment = text(inputs.environment);
    const inEnvironment = environment === undefined ? "" : ` in ${code(environment, 100)}`;
    switch (what) {
        case "environment": {
            const wait =
                typeof inputs.waitTimer === "number" && inputs.waitTimer > 0 ? `, waits ${inputs.waitTimer} min` : "";
            return `${code(environment ?? "?", 100)} (${reviewers(inputs)}${wait})`;
        }
        case "secret":
        case "repository secret":
            return `${code(text(inputs.secretName) ?? "?", 100)}${inEnvironment}`;
        case "variable":
            return `${code(text(inputs.variableName) ?? "?", 100)}${inEnvironment}`;
        case "branch protection":
            return code(text(inputs.pattern) ?? "?", 100);
        case "deployment branch":
            return `${code(text(inputs.branchPattern) ?? text(inputs.tagPattern) ?? "?", 100)}${inEnvironment}`;
        default:
            return "";
    }
}

/** One line per changed GitHub resource, from the step's new inputs (old ones for a delete). */
export function githubChanges(steps: readonly PreviewStep[]): GitHubChange[] {
    const byUrn = new Map<string, GitHubChange>();
    for (const step of steps) {
        const state = step.newState ?? step.oldState;
        const what = KINDS[state?.type ?? ""];
        const kind = opKind(step.op);
        if (what === undefined || kind === "same" || kind === "read" || kind === "refresh") {
            continue;
        }
        const inputs = (step.op === "delete" ? step.oldState : step.newState)?.inputs ?? state?.inputs ?? {};
        const previous = byUrn.get(step.urn);
        // A replacement is several steps; the strongest op names it.
        const merged = previous?.kind === "replace" ? "replace" : kind === "delete" && previous ? previous.kind : kind;
        byUrn.set(step.urn, { kind: merged, what, line: `- **${merged}** ${what} ${describe(what, inputs)}` });
    }
    return [...byUrn.values()].sort((a, b) => ORDER.indexOf(a.what) - ORDER.indexOf(b.what));
}

export function githubSection(steps: readonly PreviewStep[], redact: (text: string) => string): Section[] {
    const changes = githubChanges(steps);
    if (changes.length === 0) {
        return [];
    }
    const intro = ["Names only: secret values are never shown."];
    return [
        section(
            "github",
            85,
            "GitHub",
            changes.map((c) => redact(c.line)),
            { intro, unit: "GitHub change" },
        ),
    ];
}
