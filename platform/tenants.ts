import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type EnvironmentNamespace, RegistryCredentials, Tenant } from "../components";
import { TENANT_DEFAULTS } from "../components/shared/defaults";
import type { StackConfig } from "../config/load";
import { resolveTenants, type TenantConfig, tenantStateBackend } from "../config/schema";
import {
    type CanaryPolicyDefaults,
    type PolicySettings,
    type ReleaseSettings,
    type RouterDefaults,
    TENANT_CONTRACT_VERSION,
    TENANT_SETTINGS_CONFIGMAP,
    tenantSettingsData,
    type TenantOutputs,
} from "../config/tenant-contract";
import type { GitHubTarget } from "./github";
import type { GitLabTarget } from "./gitlab";
import { createTenantBuildVariables, createTenantGitLabVariables } from "./gitlab-tenants";
import type { Registries } from "./registry";

export interface TenantsResult {
    readonly tenants: ReadonlyMap<string, Tenant>;
    /** Plain: what release stacks read (the `releaseSettings` output). */
    readonly releaseSettings: pulumi.Output<ReleaseSettings>;
    /** Secret: each tenant's kubeconfig by tenant name, for CI systems without a fan-out (GitLab today). */
    readonly kubeconfigs: pulumi.Output<Record<string, string>>;
}

function routerDefaults(config: StackConfig): RouterDefaults {
    const { routerImage, routerReplicas, maxFails, failTimeoutSeconds, keepalive, stickyCookie } = config.canary;
    return {
        image: routerImage,
        replicas: routerReplicas,
        maxFails,
        failTimeoutSeconds,
        keepalive,
        ...(stickyCookie === undefined ? {} : { stickyCookie }),
    };
}

function canaryDefaults(config: StackConfig): CanaryPolicyDefaults {
    const { steps, bakeSeconds, stickyRequestsPerClient, analysis } = config.canary;
    return { steps, bakeSeconds, stickyRequestsPerClient, analysis };
}

function policySettings(config: StackConfig): PolicySettings {
    return {
        environment: config.environment,
        packConfig: `policy/config/${config.environment}.json`,
        minReplicas: config.environment === "production" ? 2 : 1,
    };
}

/**
 * Days since a date-shaped rotation label, or undefined when the label is not a date. Pure: `now` is
 * the caller's clock.
 */
export function credentialAgeDays(rotation: string, now: Date): number | undefined {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(rotation);
    if (match === null) {
        return undefined;
    }
    const issued = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    return Number.isNaN(issued) ? undefined : Math.floor((now.getTime() - issued) / 86_400_000);
}

function tenantOutputs(
    tenant: TenantConfig,
    config: StackConfig,
    registries: Registries,
): pulumi.Output<TenantOutputs> {
    return pulumi.all([registries.pullServer, registries.pushServer]).apply(
        ([pullServer, pushServer]): TenantOutputs => ({
            name: tenant.name,
            namespace: tenant.namespace,
            apps: tenant.apps,
            pullSecretName: registries.pullSecretNames[0] ?? "",
            pullSecretNames: registries.pullSecretNames,
            registryPullServer: pullServer,
            registryPushServer: pushServer,
            registryPrefix: tenant.registryPrefix,
            settingsConfigMap: TENANT_SETTINGS_CONFIGMAP,
            deployServiceAccount: TENANT_DEFAULTS.deployServiceAccount,
            // The schema and load made sure one of them is set.
            stateBackend: tenantStateBackend(tenant, config.tenancy.stateBackendRoot) ?? "",
            productionGate: tenant.productionGate,
        }),
    );
}

/**
 * Each tenant of the stack: its Tenant (namespace, deploy identity, credential, settings), the pull
 * Secrets in its namespace, and its slice of the release settings. A tenant whose namespace is the
 * environment's apps namespace adopts it (its releases can move out of this stack in place).
 */
export function createTenants(
    config: StackConfig,
    kubernetes: k8s.Provider,
    apps: EnvironmentNamespace,
    gh: GitHubTarget | undefined,
    registries: Registries,
    gl?: GitLabTarget,
): TenantsResult {
    const shared = {
        contractVersion: TENANT_CONTRACT_VERSION,
        environment: config.environment,
        router: routerDefaults(config),
        canary: canaryDefaults(config),
        monitoringNamespace: config.namespaces.monitoring,
        ...(config.tenancy.prometheusUrl === undefined ? {} : { prometheusUrl: config.tenancy.prometheusUrl }),
        policy: policySettings(config),
    } as const;
    const now = new Date();
    const tenants = new Map<string, Tenant>();
    const outputs: Record<string, pulumi.Output<TenantOutputs>> = {};

    for (const tenant of resolveTenants(config.tenants, config.environment)) {
        const adopted = tenant.namespace === config.namespaces.apps;
        const out = tenantOutputs(tenant, config, registries);
        const age = credentialAgeDays(tenant.credential.rotation, now);
        if (age !== undefined && age > tenant.credential.maxAgeDays) {
            void pulumi.log.warn(
                `tenant ${tenant.name}: its deploy credential was rotated ${age} days ago (maxAgeDays ${tenant.credential.maxAgeDays}); set tenants[].credential.rotation to today's date and run up`,
            );
        }
        const resource = new Tenant(
            `tenant-${tenant.name}`,
            {
                tenant: tenant.name,
                namespace: tenant.namespace,
                environment: config.environment,
                manageNamespace: !adopted,
                monitoringNamespace: config.namespaces.monitoring,
                apiServer: config.tenancy.apiServer ?? "",
                settings: out.apply((t) => tenantSettingsData({ ...shared, tenant: t })),
                credentialRotation: tenant.credential.rotation,
                githubRepository: tenant.github?.repository,
                githubEnvironments: tenant.github !== undefined && gh !== undefined ? [gh.environment] : [],
                productionReviewerUserIds: tenant.productionGate.reviewerUserIds,
                productionReviewerTeamIds: tenant.productionGate.reviewerTeamIds,
                stateBackend: out.stateBackend,
                pushRepositoryPrefix: pulumi.interpolate`${out.registryPushServer}/${out.registryPrefix}`,
                pullRepositoryPrefix: pulumi.interpolate`${out.registryPullServer}/${out.registryPrefix}`,
            },
            {
                providers: [
                    kubernetes,
                    ...(gh === undefined ? [] : [gh.provider]),
                    ...(gl === undefined ? [] : [gl.provider]),
                ],
                dependsOn: adopted ? [apps] : [],
            },
        );
        if (!adopted) {
            // The same pull credentials as the apps namespace, under the same Secret names.
            registries.pullCredentials.forEach(
                (credential, index) =>
                    new RegistryCredentials(
                        `tenant-${tenant.name}-pull-${index}`,
                        {
                            server: credential.server,
                            username: credential.username,
                            password: credential.password,
                            secretName: credential.secretName,
                            namespaces: [resource.namespaceName],
                        },
                        // The namespace name is an output of the Namespace: the Secret waits for it.
                        { provider: kubernetes },
                    ),
            );
        }
        createTenantGitLabVariables(tenant, resource, out, gl);
        createTenantBuildVariables(config, tenant, gl, registries);
        tenants.set(tenant.name, resource);
        outputs[tenant.name] = out;
    }

    return {
        tenants,
        releaseSettings: pulumi.all(outputs).apply((byName) => ({ ...shared, tenants: byName })),
        kubeconfigs: pulumi.secret(
            pulumi.all(Object.fromEntries([...tenants].map(([name, t]) => [name, t.kubeconfig]))),
        ),
    };
}
