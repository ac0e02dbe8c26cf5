/**
 * The `gitlab` key and each tenant's `gitlab` field: whether the stack manages GitLab through the
 * gitlab provider, what the instance's tier allows, which projects and groups it touches, and how
 * its runners are registered there. Pure (zod).
 */
import { z } from "zod";

import { GITLAB_DEFAULTS, TENANT_DEFAULTS } from "../../components/shared/defaults";
import { isDnsLabel } from "../../components/shared/validators";
import { describe, type Environment, integer, strict } from "../schema-fields";

export const GITLAB_TIERS = ["free", "premium", "ultimate"] as const;
export type GitLabTier = (typeof GITLAB_TIERS)[number];
export const GITLAB_RUNNER_TYPES = ["instance_type", "group_type", "project_type"] as const;

/** `group/subgroup/project` as GitLab spells a full path, or a numeric id. */
const FULL_PATH = /^(\d+|[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*)$/;
const fullPath = (what: string) =>
    z.string({ error: (i) => `${describe(i.input)} is not a string` }).regex(FULL_PATH, {
        error: (i) =>
            `${describe(i.input)} is not a GitLab ${what} path (group/${what === "group" ? "subgroup" : "project"}) or id`,
    });
const gitlabId = (what: string) => integer(1, Number.MAX_SAFE_INTEGER, `a GitLab ${what} id`);
const ids = (what: string) => z.array(gitlabId(what)).max(20).default([]);

const rotationLabel = z.string({ error: (i) => `${describe(i.input)} is not a string` }).refine(isDnsLabel, {
    error: (i) =>
        `${describe(i.input)} is not a rotation label (lowercase letters, digits and '-', e.g. a date 2026-12-07)`,
});

export const gitlabRunnersSchema = strict({
    /** Whose runners they are: an instance's (an administrator's token), a group's or a project's. */
    type: z
        .enum(GITLAB_RUNNER_TYPES, {
            error: (i) => `${describe(i.input)} is not one of ${GITLAB_RUNNER_TYPES.join(", ")}`,
        })
        .default(GITLAB_DEFAULTS.runnerType),
    /** The project of `project_type` runners. */
    projectId: gitlabId("project").optional(),
    /** The group of `group_type` runners. */
    groupId: gitlabId("group").optional(),
    /**
     * Each runner's generation by runner (`kubernetes`, `build`, or a Podman host's name); a new
     * value replaces that runner in GitLab and its token everywhere in one `up`.
     */
    rotations: z.record(z.string(), rotationLabel).default({}),
});

export const gitlabSchema = strict({
    enabled: z.boolean({ error: "must be true or false" }).default(GITLAB_DEFAULTS.enabled),
    tier: z
        .enum(GITLAB_TIERS, { error: (i) => `${describe(i.input)} is not one of ${GITLAB_TIERS.join(", ")}` })
        .default(GITLAB_DEFAULTS.tier),
    /** The API's base URL; the provider's own default (gitlab.com) when unset. */
    baseUrl: z
        .string()
        .regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?\/api\/v4\/?$/, {
            error: (i) => `${describe(i.input)} is not a GitLab API URL (https://gitlab.example.com/api/v4/)`,
        })
        .optional(),
    /** The platform repository's project, whose default branch the stack protects. */
    platformProject: fullPath("project").optional(),
    /** Manage the default branch's protection from this stack; exactly one stack per project should. */
    protectBranch: z.boolean({ error: "must be true or false" }).default(GITLAB_DEFAULTS.protectBranch),
    defaultBranch: z.string().min(1, { error: "must not be empty" }).default(GITLAB_DEFAULTS.defaultBranch),
    runners: gitlabRunnersSchema.default(gitlabRunnersSchema.parse({})),
    /**
     * Give the tenants' projects the build jobs' variables (the registry push credential, the
     * signing public key), unscoped because build jobs have no environment; one stack per project.
     */
    buildVariables: z.boolean({ error: "must be true or false" }).default(GITLAB_DEFAULTS.buildVariables),
});

export const tenantGitlabSchema = strict({
    /** The team's project whose variables (scoped to this stack's environment) get the credential. */
    project: fullPath("project").optional(),
    /** Or the team's group (its variables reach every project in it). */
    group: fullPath("group").optional(),
    /** Users who may deploy to the project's protected production environment (paid tiers). */
    deployUserIds: ids("user"),
    /** Groups whose members may deploy to it (paid tiers). */
    deployGroupIds: ids("group"),
    /** Approvals a production deploy waits for from each deploy group; each deploy user approves (paid tiers). */
    requiredApprovals: integer(0, 5).default(TENANT_DEFAULTS.requiredApprovals),
});

export type GitLabConfig = z.output<typeof gitlabSchema>;
export type TenantGitLabConfig = z.output<typeof tenantGitlabSchema>;

/** Tiers with protected environments, their approval rules and environment-scoped group variables. */
export function isPaidTier(tier: GitLabTier): boolean {
    return tier !== "free";
}

/** The fields of the whole config the rules read. */
interface GitLabRuleInput {
    readonly environment: Environment;
    readonly gitlab: GitLabConfig;
    readonly runners: {
        readonly kubernetes: { readonly enabled: boolean };
        readonly build: { readonly enabled: boolean };
        readonly podmanHosts: readonly { readonly name: string }[];
    };
    readonly tenants: readonly { readonly gitlab?: TenantGitLabConfig }[];
}

/** The names `gitlab.runners.rotations` may use: the stack's runners. */
export function gitlabRunnerNames(config: GitLabRuleInput): string[] {
    return [
        ...(config.runners.kubernetes.enabled ? ["kubernetes"] : []),
        ...(config.runners.build.enabled ? ["build"] : []),
        ...config.runners.podmanHosts.map((host) => host.name),
    ];
}

function runnerRules(config: GitLabRuleInput, issue: (path: (string | number)[], message: string) => void): void {
    const { type, projectId, groupId, rotations } = config.gitlab.runners;
    const names = gitlabRunnerNames(config);
    if (names.length > 0 && type === "project_type" && projectId === undefined) {
        issue(["gitlab", "runners", "projectId"], "is required for project_type runners");
    }
    if (names.length > 0 && type === "group_type" && groupId === undefined) {
        issue(["gitlab", "runners", "groupId"], "is required for group_type runners");
    }
    if (projectId !== undefined && type !== "project_type") {
        issue(["gitlab", "runners", "projectId"], `is only for project_type runners (type is ${type})`);
    }
    if (groupId !== undefined && type !== "group_type") {
        issue(["gitlab", "runners", "groupId"], `is only for group_type runners (type is ${type})`);
    }
    for (const name of Object.keys(rotations).filter((key) => !names.includes(key))) {
        issue(
            ["gitlab", "runners", "rotations", name],
            `names no runner of this stack (runners: ${names.join(", ") || "none"})`,
        );
    }
}

/** Cross-field rules of `gitlab` and the tenants' `gitlab` fields. */
export function gitlabRules(config: GitLabRuleInput, ctx: z.RefinementCtx): void {
    const issue = (path: (string | number)[], message: string): void => {
        ctx.addIssue({ code: "custom", path, message });
    };
    const { gitlab } = config;
    if (gitlab.enabled && config.environment === "local") {
        issue(["gitlab", "enabled"], "the local stack has no GitLab environment; use staging or production");
    }
    if (gitlab.protectBranch && gitlab.platformProject === undefined) {
        issue(["gitlab", "platformProject"], "is required with protectBranch (the project whose branch it protects)");
    }
    if (gitlab.enabled) {
        runnerRules(config, issue);
    }
    const paid = isPaidTier(gitlab.tier);
    config.tenants.forEach((tenant, index) => {
        const t = tenant.gitlab;
        if (t === undefined) {
            return;
        }
        const at = (...rest: string[]) => ["tenants", index, "gitlab", ...rest];
        if (!gitlab.enabled) {
            issue(at(), "needs gitlab.enabled (the credential reaches GitLab through the gitlab provider)");
        }
        if ((t.project === undefined) === (t.group === undefined)) {
            issue(at("project"), "set exactly one of project and group");
        }
        if (t.group !== undefined && !paid) {
            issue(
                at("group"),
                `needs a paid tier (gitlab.tier is ${gitlab.tier}): a group's variables are scoped to an environment only on Premium, and staging and production would share one TENANT_KUBECONFIG; give the tenant a project`,
            );
        }
        const deployers = t.deployUserIds.length + t.deployGroupIds.length;
        if (paid && config.environment === "production" && t.project !== undefined && deployers === 0) {
            issue(
                at("deployUserIds"),
                "production needs at least one deployer (a user or group id): the protected environment lets only them deploy",
            );
        }
        if (!paid && deployers > 0) {
            issue(
                at("deployUserIds"),
                `needs a paid tier (gitlab.tier is ${gitlab.tier}): protected environments are Premium; on Free who may start the manual production job follows the protected default branch`,
            );
        }
        if (paid && config.environment === "production" && t.project !== undefined && t.requiredApprovals === 0) {
            issue(
                at("requiredApprovals"),
                "production needs at least 1: a protected environment without approvals lets a deployer ship alone",
            );
        }
    });
}
