/**
 * The `tenants` and `tenancy` keys: the teams that release into this environment, each with its own
 * namespace, deploy identity, registry prefix, state location and production gate. Pure (zod).
 */
import { z } from "zod";

import { TENANT_DEFAULTS } from "../../components/shared/defaults";
import { isDnsLabel } from "../../components/shared/validators";
import { tenantGitlabSchema } from "./gitlab";
import { describe, type Environment, integer, strict } from "../schema-fields";

/** A tenant name leaves room for `-production` in the namespace derived from it. */
const TENANT_NAME_MAX = 63 - "-production".length;
/** The token Secret is `<deployServiceAccount>-token-<rotation>`, at most 63 characters. */
const ROTATION_MAX = 63 - `${TENANT_DEFAULTS.deployServiceAccount}-token-`.length;

const label = (what: string, max = 63) =>
    z.string({ error: (i) => `${describe(i.input)} is not a string` }).refine((v) => isDnsLabel(v) && v.length <= max, {
        error: (i) =>
            `${describe(i.input)} is not ${what} (lowercase letters, digits and '-', alphanumeric at both ends, at most ${max} characters)`,
    });

const REPOSITORY_PATH = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const STATE_BACKEND = /^(file|s3|gs|azblob):\/\/\S+$/;

const githubUserOrTeamIds = (what: string) =>
    z
        .array(integer(1, Number.MAX_SAFE_INTEGER, what))
        .max(6)
        .default([]);

export const productionGateSchema = strict({
    /** `manual`: someone starts the production job; `approval`: the forge's environment reviewers approve it. */
    mode: z
        .enum(["manual", "approval"], { error: (i) => `${describe(i.input)} is not "manual" or "approval"` })
        .default(TENANT_DEFAULTS.productionGateMode),
    reviewerUserIds: githubUserOrTeamIds("a GitHub user id"),
    reviewerTeamIds: githubUserOrTeamIds("a GitHub team id"),
    requiredApprovals: integer(1, 6).default(TENANT_DEFAULTS.requiredApprovals),
});

export const tenantCredentialSchema = strict({
    /**
     * The credential's generation: a new value replaces the token in one `up` (the old one stops
     * working once the new one exists). A date (`2026-12-07`) lets `up` warn when it is older than
     * maxAgeDays.
     */
    rotation: label(`a rotation label such as a date`, ROTATION_MAX).default(TENANT_DEFAULTS.credentialRotation),
    maxAgeDays: integer(1, 3650).default(TENANT_DEFAULTS.credentialMaxAgeDays),
});

export const tenantGithubSchema = strict({
    /** The team's repository (in github.owner) whose environment of this stack gets the credential. */
    repository: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, { error: (i) => `${describe(i.input)} is not a repository name` }),
});

export const tenantSchema = strict({
    name: label("a tenant name", TENANT_NAME_MAX),
    /** @default `<name>-<environment>` */
    namespace: label("a namespace name").optional(),
    /** Applications the team may release into its namespace. */
    apps: z
        .array(label("an application name"), { error: "must be a list of application names" })
        .min(1, { error: "needs at least one application" }),
    /** Repository path under the registry the team pushes and releases. @default name */
    registryPrefix: z
        .string()
        .regex(REPOSITORY_PATH, {
            error: (i) => `${describe(i.input)} is not a repository path prefix without host (e.g. shop or teams/shop)`,
        })
        .optional(),
    /** Where the team's release stacks keep their state. @default `<tenancy.stateBackendRoot>/<name>` */
    stateBackend: z
        .string()
        .regex(STATE_BACKEND, {
            error: (i) => `${describe(i.input)} is not a state backend URL (file://, s3://, gs:// or azblob://)`,
        })
        .optional(),
    productionGate: productionGateSchema.default(productionGateSchema.parse({})),
    credential: tenantCredentialSchema.default(tenantCredentialSchema.parse({})),
    github: tenantGithubSchema.optional(),
    gitlab: tenantGitlabSchema.optional(),
});

export const tenantsSchema = z.array(tenantSchema, { error: "must be a list of tenants" }).default([]);

export const tenancySchema = strict({
    /**
     * Each tenant's state lives under `<stateBackendRoot>/<tenant>` (e.g. `s3://releases-state/staging`).
     * Required with tenants outside the local stack; there it defaults to a `tenants` directory beside
     * the environment stack's own file backend.
     */
    stateBackendRoot: z
        .string()
        .regex(STATE_BACKEND, {
            error: (i) => `${describe(i.input)} is not a state backend URL (file://, s3://, gs:// or azblob://)`,
        })
        .optional(),
    /** The API server URL written into each tenant's kubeconfig. @default the kubeconfig's own server */
    apiServer: z
        .string()
        .regex(/^https:\/\/[^\s/]+(\/\S*)?$/, { error: (i) => `${describe(i.input)} is not an https:// URL` })
        .optional(),
    /** Prometheus base URL the release stacks' `canary promote`/`switch` query. */
    prometheusUrl: z
        .string()
        .regex(/^https?:\/\/\S+$/, { error: (i) => `${describe(i.input)} is not an http(s) URL` })
        .optional(),
});

export type TenantInput = z.output<typeof tenantSchema>;
export type TenancyConfig = z.output<typeof tenancySchema>;

/** A tenant with its defaults filled from the stack: what the platform creates. */
export interface TenantConfig extends Omit<TenantInput, "namespace" | "registryPrefix"> {
    readonly namespace: string;
    readonly registryPrefix: string;
}

/** Fills each tenant's derived defaults (namespace, registry prefix) from the stack's environment. */
export function resolveTenants(tenants: readonly TenantInput[], environment: Environment): TenantConfig[] {
    return tenants.map((tenant) => ({
        ...tenant,
        namespace: tenant.namespace ?? `${tenant.name}-${environment}`,
        registryPrefix: tenant.registryPrefix ?? tenant.name,
    }));
}

/** Where a tenant's release stacks keep state, or undefined when neither it nor the root says. */
export function tenantStateBackend(tenant: TenantConfig, root: string | undefined): string | undefined {
    return tenant.stateBackend ?? (root === undefined ? undefined : `${root.replace(/\/+$/, "")}/${tenant.name}`);
}

/** The fields of the whole config the rules read. */
interface TenantRuleInput {
    readonly environment: Environment;
    readonly tenants: readonly TenantInput[];
    readonly tenancy: TenancyConfig;
    readonly namespaces: { readonly apps: string; readonly monitoring: string };
    readonly github: { readonly enabled: boolean };
    readonly privateRegistry: { readonly enabled: boolean; readonly namespace: string };
    readonly runners: { readonly kubernetes: { readonly enabled: boolean; readonly namespace: string } };
}

/** Namespaces the platform itself runs in, which no tenant may take. */
function platformNamespaces(config: TenantRuleInput): Map<string, string> {
    const taken = new Map<string, string>([
        ["kube-system", "Kubernetes' own"],
        ["kube-public", "Kubernetes' own"],
        ["kube-node-lease", "Kubernetes' own"],
        ["default", "Kubernetes' default namespace"],
        [config.namespaces.monitoring, "namespaces.monitoring"],
    ]);
    if (config.privateRegistry.enabled) {
        taken.set(config.privateRegistry.namespace, "privateRegistry.namespace");
    }
    if (config.runners.kubernetes.enabled) {
        taken.set(config.runners.kubernetes.namespace, "runners.kubernetes.namespace");
    }
    return taken;
}

/** Cross-field rules: one owner per namespace, app and registry prefix; what tenants need elsewhere. */
export function tenantRules(config: TenantRuleInput, ctx: z.RefinementCtx): void {
    const issue = (path: (string | number)[], message: string): void => {
        ctx.addIssue({ code: "custom", path: ["tenants", ...path], message });
    };
    const tenants = resolveTenants(config.tenants, config.environment);
    const taken = platformNamespaces(config);
    const names = new Map<string, number>();
    const namespaces = new Map<string, number>();
    const apps = new Map<string, string>();
    const prefixes: { prefix: string; index: number }[] = [];
    const backends = new Map<string, number>();

    tenants.forEach((tenant, index) => {
        const first = names.get(tenant.name);
        if (first !== undefined) {
            issue([index, "name"], `"${tenant.name}" is also tenants[${first}]`);
        }
        names.set(tenant.name, index);

        const reserved = taken.get(tenant.namespace);
        // A platform namespace that is also the apps namespace is that section's own problem, reported there.
        if (reserved !== undefined && tenant.namespace !== config.namespaces.apps) {
            issue(
                [index, "namespace"],
                `"${tenant.namespace}" is already ${reserved}; give the tenant a namespace of its own`,
            );
        }
        const sameNamespace = namespaces.get(tenant.namespace);
        if (sameNamespace !== undefined) {
            issue(
                [index, "namespace"],
                `"${tenant.namespace}" is already tenants[${sameNamespace}]'s namespace: one tenant per namespace`,
            );
        }
        namespaces.set(tenant.namespace, index);

        const backend = tenantStateBackend(tenant, config.tenancy.stateBackendRoot);
        const sameBackend = backend === undefined ? undefined : backends.get(backend);
        if (backend !== undefined && sameBackend !== undefined) {
            issue(
                [index, "stateBackend"],
                `"${backend}" is already tenants[${sameBackend}]'s: a tenant's state location is its own`,
            );
        }
        if (backend !== undefined) {
            backends.set(backend, index);
        }

        tenant.apps.forEach((app, appIndex) => {
            const owner = apps.get(app);
            if (owner !== undefined) {
                issue(
                    [index, "apps", appIndex],
                    owner === tenant.name
                        ? `"${app}" is listed twice`
                        : `"${app}" already belongs to tenant "${owner}": an application has one owner`,
                );
            }
            apps.set(app, tenant.name);
        });

        for (const other of prefixes) {
            const a = tenant.registryPrefix;
            const b = other.prefix;
            if (a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`)) {
                issue(
                    [index, "registryPrefix"],
                    `"${a}" overlaps tenants[${other.index}]'s "${b}": a team may push only under its own prefix`,
                );
            }
        }
        prefixes.push({ prefix: tenant.registryPrefix, index });

        if (tenant.github !== undefined && !config.github.enabled) {
            issue(
                [index, "github"],
                "needs github.enabled (the credential reaches GitHub through the github provider)",
            );
        }
        if (tenant.github !== undefined && config.environment === "local") {
            issue([index, "github"], "the local stack has no GitHub environment; use staging or production");
        }
        const gate = tenant.productionGate;
        if (tenant.github !== undefined && config.environment === "production" && gate.mode !== "approval") {
            issue(
                [index, "productionGate", "mode"],
                'must be "approval" with github: the production environment that holds TENANT_KUBECONFIG needs reviewers',
            );
        }
        if (gate.mode === "approval" && gate.reviewerUserIds.length + gate.reviewerTeamIds.length === 0) {
            issue(
                [index, "productionGate", "reviewerUserIds"],
                'mode "approval" needs at least one reviewer (a user or team id)',
            );
        }
        if (
            tenant.stateBackend === undefined &&
            config.tenancy.stateBackendRoot === undefined &&
            config.environment !== "local"
        ) {
            issue(
                [index, "stateBackend"],
                `is required (or tenancy.stateBackendRoot): a ${config.environment} tenant's state needs a location of its own`,
            );
        }
    });
}
