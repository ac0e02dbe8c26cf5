/**
 * The caller workflow the platform writes into each application repository: one job per app, each
 * calling the platform's reusable `container-app.yml` at a pinned commit. Pure (no Pulumi), so the
 * tests lint exactly what the component writes.
 */
import { APPLICATION_DEFAULTS } from "../shared/defaults";

/** One image an application repository builds, and the app of the platform's stacks that runs it. */
export interface DeployWorkflowApp {
    /** Name of the entry in the platform's `cicd-platform:apps` (the canary command's `--app`). */
    readonly app: string;
    /** Repository of the image under the registry, without tag (`team-a/api`). */
    readonly image: string;
    /** @default {@link APPLICATION_DEFAULTS}.containerfile */
    readonly containerfile?: string;
    /** @default {@link APPLICATION_DEFAULTS}.context */
    readonly context?: string;
    /** Runs inside the built image. @default {@link APPLICATION_DEFAULTS}.testCommand */
    readonly testCommand?: string;
}

export interface DeployWorkflowOptions {
    /** `owner/name` of the platform repository that holds the reusable workflow and the stacks. */
    readonly platformRepository: string;
    /** Full commit SHA of the platform repository: the workflow and the canary command run from it. */
    readonly platformRef: string;
    readonly apps: readonly DeployWorkflowApp[];
    /** Branch of the application repository whose pushes deploy. @default {@link APPLICATION_DEFAULTS}.branch */
    readonly branch?: string;
    /** Branch of the platform repository the stack changes are proposed to. @default {@link APPLICATION_DEFAULTS}.branch */
    readonly platformBranch?: string;
    /** Runner labels of the build jobs (JSON list in the workflow). @default {@link APPLICATION_DEFAULTS}.runnerLabels */
    readonly runnerLabels?: readonly string[];
}

const SHA = /^[0-9a-f]{40}$/;
const OWNER_REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const JOB_ID = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A YAML scalar: JSON's double-quoted strings are valid YAML, with every character escaped. */
const q = (value: string): string => JSON.stringify(value);

/** Problems with the options, each naming its field; empty when they are valid. */
export function deployWorkflowProblems(options: DeployWorkflowOptions): string[] {
    const problems: string[] = [];
    if (!OWNER_REPO.test(options.platformRepository)) {
        problems.push(`platformRepository: "${options.platformRepository}" is not owner/name`);
    }
    if (!SHA.test(options.platformRef)) {
        problems.push(`platformRef: "${options.platformRef}" is not a full commit SHA (a branch or tag can move)`);
    }
    if (options.apps.length === 0) {
        problems.push("apps: at least one app is needed");
    }
    const seen = new Set<string>();
    options.apps.forEach((app, index) => {
        if (!JOB_ID.test(app.app)) {
            problems.push(`apps[${index}].app: "${app.app}" is not a DNS label`);
        }
        if (seen.has(app.app)) {
            problems.push(`apps[${index}].app: "${app.app}" is listed twice`);
        }
        seen.add(app.app);
        if (!/^[a-z0-9]+([._/-][a-z0-9]+)*$/.test(app.image)) {
            problems.push(`apps[${index}].image: "${app.image}" is not a repository path without tag`);
        }
    });
    return problems;
}

/** The text of `.github/workflows/deploy.yml`; throws on invalid options. */
export function renderDeployWorkflow(options: DeployWorkflowOptions): string {
    const problems = deployWorkflowProblems(options);
    if (problems.length > 0) {
        throw new Error(`deploy workflow: ${problems.join("; ")}`);
    }
    const branch = options.branch ?? APPLICATION_DEFAULTS.branch;
    const labels = JSON.stringify(options.runnerLabels ?? APPLICATION_DEFAULTS.runnerLabels);
    const uses = `${options.platformRepository}/.github/workflows/container-app.yml@${options.platformRef}`;
    const lines = [
        "# Written by the cicd-platform stack; edits here are overwritten by its next update.",
        "name: deploy",
        "on:",
        "  push:",
        `    branches: [${q(branch)}]`,
        "  pull_request:",
        `    branches: [${q(branch)}]`,
        // A run started by hand: production's gate where the plan has no environment reviewers.
        "  workflow_dispatch:",
        "permissions:",
        "  contents: read",
        "jobs:",
    ];
    for (const app of options.apps) {
        lines.push(
            `  ${app.app}:`,
            `    uses: ${q(uses)}`,
            "    permissions:",
            "      contents: read",
            "      security-events: write",
            "    with:",
            `      app: ${q(app.app)}`,
            `      image: ${q(app.image)}`,
            `      containerfile: ${q(app.containerfile ?? APPLICATION_DEFAULTS.containerfile)}`,
            `      context: ${q(app.context ?? APPLICATION_DEFAULTS.context)}`,
            `      test-command: ${q(app.testCommand ?? APPLICATION_DEFAULTS.testCommand)}`,
            `      runner-labels: ${q(labels)}`,
            `      platform-repository: ${q(options.platformRepository)}`,
            `      platform-ref: ${q(options.platformRef)}`,
            `      platform-branch: ${q(options.platformBranch ?? APPLICATION_DEFAULTS.branch)}`,
        );
    }
    return `${lines.join("\n")}\n`;
}
