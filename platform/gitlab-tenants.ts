import { GitLabVariables, type GitLabVariableSpec, type TenantArgs } from "../components";
import type { StackConfig } from "../config/load";
import type { TenantConfig } from "../config/schema";
import type { GitLabTarget } from "./gitlab";
import type { Registries } from "./registry";

/**
 * The variables the template's build jobs read (templates/gitlab/container-app.yml): the registry
 * push credential and the signing public key. Build jobs have no environment, so these are unscoped,
 * and only the stack with `gitlab.buildVariables` sets them.
 */
function buildVariables(config: StackConfig, registries: Registries): GitLabVariableSpec[] {
    const push = registries.pushCredential;
    const publicKey = config.applications.signingPublicKey;
    return [
        { key: "REGISTRY_SERVER", value: push.server, form: "plain" },
        { key: "REGISTRY_USERNAME", value: push.username, form: "plain" },
        { key: "REGISTRY_PASSWORD", value: push.password, form: "masked" },
        // A public key: nothing to hide, and a PEM block could not be masked anyway.
        ...(publicKey === undefined
            ? []
            : [{ key: "SIGNING_PUBLIC_KEY", value: publicKey, form: "plain" as const, file: true }]),
    ];
}

/**
 * What a tenant's Tenant needs for its GitLab fan-out: its project or group and the scope of this
 * stack's environment (a group's only on a paid tier, which the schema insists on). Nothing without
 * the integration or a tenant project/group.
 */
export function tenantGitLabArgs(tenant: TenantConfig, gl: GitLabTarget | undefined): Partial<TenantArgs> {
    if (gl === undefined || tenant.gitlab === undefined) {
        return {};
    }
    return {
        gitlabProject: tenant.gitlab.project,
        gitlabGroup: tenant.gitlab.group,
        gitlabEnvironmentScope: gl.environment,
    };
}

/** The build jobs' variables in the tenant's project or group, when this stack sets them. */
export function createTenantBuildVariables(
    config: StackConfig,
    tenant: TenantConfig,
    gl: GitLabTarget | undefined,
    registries: Registries,
): GitLabVariables | undefined {
    if (gl === undefined || tenant.gitlab === undefined || !gl.config.buildVariables) {
        return undefined;
    }
    return new GitLabVariables(
        `tenant-${tenant.name}-gitlab-build`,
        {
            project: tenant.gitlab.project,
            group: tenant.gitlab.group,
            environmentScope: "*",
            variables: buildVariables(config, registries),
            managedBy: `cicd-platform (${gl.environment} stack)`,
        },
        { provider: gl.provider },
    );
}
