import * as pulumi from "@pulumi/pulumi";

import type { Tenant } from "../components";
import type { StackConfig } from "../config/load";
import type { TenantConfig } from "../config/schema";
import { TENANT_CI_VARIABLES, type TenantOutputs } from "../config/tenant-contract";
import type { GitLabTarget } from "./gitlab";
import { GitLabVariables, type GitLabVariableSpec } from "./gitlab-variables";
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
 * The tenant's deploy credential and the plain values beside it (what its GitHub environments get)
 * as CI/CD variables of its GitLab project or group, scoped to this stack's environment (a group's
 * only on a paid tier, which the schema insists on). Nothing without the integration or a tenant
 * project/group.
 */
export function createTenantGitLabVariables(
    tenant: TenantConfig,
    resource: Tenant,
    out: pulumi.Output<TenantOutputs>,
    gl: GitLabTarget | undefined,
): GitLabVariables | undefined {
    if (gl === undefined || tenant.gitlab === undefined) {
        return undefined;
    }
    const v = TENANT_CI_VARIABLES;
    return new GitLabVariables(
        `tenant-${tenant.name}-gitlab`,
        {
            project: tenant.gitlab.project,
            group: tenant.gitlab.group,
            environmentScope: gl.environment,
            variables: [
                // A kubeconfig is many lines: GitLab can mask it only base64-encoded.
                { key: v.kubeconfig, value: resource.kubeconfig, form: "base64-masked", file: true },
                { key: v.tenant, value: tenant.name, form: "plain" },
                { key: v.namespace, value: resource.namespaceName, form: "plain" },
                { key: v.stateBackend, value: out.stateBackend, form: "plain" },
                {
                    key: v.pushRepositoryPrefix,
                    value: pulumi.interpolate`${out.registryPushServer}/${out.registryPrefix}`,
                    form: "plain",
                },
                {
                    key: v.pullRepositoryPrefix,
                    value: pulumi.interpolate`${out.registryPullServer}/${out.registryPrefix}`,
                    form: "plain",
                },
            ],
            managedBy: `cicd-platform (${gl.environment} stack)`,
        },
        { provider: gl.provider },
    );
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
