/**
 * The `applications` key: the application repositories whose deploy workflow and environments the
 * stack manages, each with the images it builds and the platform apps that run them. Pure (zod).
 */
import { z } from "zod";

import { APPLICATION_DEFAULTS } from "../../components/shared/defaults";
import { isDnsLabel } from "../../components/shared/validators";

const text = (what: string, pattern: RegExp) =>
    z.string({ error: `must be a string (${what})` }).regex(pattern, {
        error: (i) => `${JSON.stringify(i.input)} is not ${what}`,
    });

const applicationAppSchema = z.strictObject({
    app: z.string().refine(isDnsLabel, { error: (i) => `${JSON.stringify(i.input)} is not a DNS label` }),
    image: text("a repository path without tag (team-a/api)", /^[a-z0-9]+([._/-][a-z0-9]+)*$/),
    containerfile: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    testCommand: z.string().min(1).optional(),
});

const applicationRepositorySchema = z.strictObject({
    repository: text("a repository name", /^[A-Za-z0-9_.-]+$/),
    apps: z.array(applicationAppSchema).min(1, { error: "needs at least one app" }),
});

export const applicationsSchema = z.strictObject({
    enabled: z.boolean({ error: "must be true or false" }).default(APPLICATION_DEFAULTS.enabled),
    /** owner/name of this platform repository, which the application workflows call. */
    platformRepository: text("owner/name", /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/).optional(),
    /** The platform commit they call it at: a full SHA, since a branch or tag can move. */
    platformRef: text("a full commit SHA", /^[0-9a-f]{40}$/).optional(),
    /** Write each repository's deploy.yml from this stack; exactly one stack per repository should. */
    manageWorkflowFile: z.boolean({ error: "must be true or false" }).default(APPLICATION_DEFAULTS.manageWorkflowFile),
    branch: z.string().min(1).default(APPLICATION_DEFAULTS.branch),
    runnerLabels: z
        .array(z.string().min(1))
        .min(1)
        .default([...APPLICATION_DEFAULTS.runnerLabels]),
    /** PEM public key of the image signing key pair; the verify job and the nodes check against it. */
    signingPublicKey: z.string().includes("BEGIN PUBLIC KEY", { error: "is not a PEM public key" }).optional(),
    repositories: z.array(applicationRepositorySchema).default([]),
});

export type ApplicationsConfig = z.output<typeof applicationsSchema>;

/** The fields of the whole config the rules read. */
interface ApplicationRuleInput {
    readonly applications: ApplicationsConfig;
    readonly apps: readonly { readonly name: string }[];
    readonly github: { readonly enabled: boolean };
}

/** Cross-field rules: what an enabled `applications` needs from the rest of the stack. */
export function applicationRules(config: ApplicationRuleInput, ctx: z.RefinementCtx): void {
    const applications = config.applications;
    if (!applications.enabled) {
        return;
    }
    const issue = (path: (string | number)[], message: string): void => {
        ctx.addIssue({ code: "custom", path: ["applications", ...path], message });
    };
    if (!config.github.enabled) {
        issue(["enabled"], "needs github.enabled (the repositories are managed through the github provider)");
    }
    for (const field of ["platformRepository", "platformRef"] as const) {
        if (applications[field] === undefined) {
            issue([field], "is required when applications.enabled");
        }
    }
    const known = new Set(config.apps.map((app) => app.name));
    const repositories = new Set<string>();
    applications.repositories.forEach((repository, index) => {
        if (repositories.has(repository.repository)) {
            issue(["repositories", index, "repository"], `"${repository.repository}" is listed twice`);
        }
        repositories.add(repository.repository);
        repository.apps.forEach((app, appIndex) => {
            if (!known.has(app.app)) {
                issue(
                    ["repositories", index, "apps", appIndex, "app"],
                    `"${app.app}" is not an entry of apps (the canary command promotes apps by name)`,
                );
            }
        });
    });
}
