/**
 * What an environment stack hands the release stacks of its tenants: the shape of its `releaseSettings`
 * output and of the settings ConfigMap in each tenant namespace. Plain values only: a release stack
 * reads them through a StackReference (same backend) or the ConfigMap (any backend, including a
 * tenant's own), and neither path can carry another stack's secrets. Pulumi-free, so both projects,
 * the canary command and tests import it without an engine.
 */

/** The environments a stack can be; the same list as the environment stack's `environment` key. */
export type TenantEnvironment = "local" | "staging" | "production";

/** Who may start a production deploy of a tenant's releases. */
export interface ProductionGate {
    /**
     * `manual`: a person starts the production job (GitLab `when: manual`, a GitHub dispatch);
     * `approval`: the forge's protected-environment reviewers approve it (paid tiers).
     */
    readonly mode: "manual" | "approval";
    /** GitHub user ids that review production deploys of this tenant (with `approval`). */
    readonly reviewerUserIds: readonly number[];
    /** GitHub team ids that review production deploys of this tenant (with `approval`). */
    readonly reviewerTeamIds: readonly number[];
    /** Approvals a GitLab protected environment requires (with `approval`). */
    readonly requiredApprovals: number;
}

/** One team in one environment: where its releases run and what they pull with. */
export interface TenantOutputs {
    /** The team's name in the environment stack's `tenants` list. */
    readonly name: string;
    /** The restricted namespace its releases run in; the deploy identity can change nothing elsewhere. */
    readonly namespace: string;
    /** Applications the team may release; a release stack for any other name is refused. */
    readonly apps: readonly string[];
    /** The image pull Secret every release workload references (the first of `pullSecretNames`). */
    readonly pullSecretName: string;
    /** Every image pull Secret in the namespace, in the order `imagePullSecrets` should list them. */
    readonly pullSecretNames: readonly string[];
    /** host[:port] the cluster pulls from; image references in a release start with this. */
    readonly registryPullServer: string;
    /** host[:port] CI pushes to (it can differ from the pull endpoint). */
    readonly registryPushServer: string;
    /**
     * Repository path prefix the team may push and release, without host, e.g. `shop`: its images are
     * `<registryPullServer>/<registryPrefix>/<app>`.
     */
    readonly registryPrefix: string;
    /** Name of the read-only settings ConfigMap in `namespace` (always TENANT_SETTINGS_CONFIGMAP). */
    readonly settingsConfigMap: string;
    /** The deploy identity's ServiceAccount in `namespace`. */
    readonly deployServiceAccount: string;
    /**
     * Where the team's release stacks keep their state: a `file://` directory on the local stack,
     * an `s3://bucket/prefix` (or other DIY URL) scoped to this tenant elsewhere.
     */
    readonly stateBackend: string;
    readonly productionGate: ProductionGate;
}

/** Router settings every CanaryRelease of the environment starts from. */
export interface RouterDefaults {
    readonly image: string;
    readonly replicas: number;
    readonly maxFails: number;
    readonly failTimeoutSeconds: number;
    readonly keepalive: number;
    /** Pins each client to one track by this cookie; absent when unset. */
    readonly stickyCookie?: string;
}

/** What `canary promote` walks through and checks, as the environment stack configures it. */
export interface CanaryPolicyDefaults {
    readonly steps: readonly number[];
    readonly bakeSeconds: number;
    readonly stickyRequestsPerClient: number;
    readonly analysis: {
        readonly maxErrorRatio: number;
        readonly maxRatioVsStable: number;
        readonly ratioFloor: number;
        readonly maxP95Seconds: number;
        readonly minRequests: number;
        readonly intervalSeconds: number;
        readonly maxNoDataIntervals: number;
    };
}

/** The policy pack a release stack's preview and up must run, and with which config. */
export interface PolicySettings {
    /** The environment the pack config's `environment` must name. */
    readonly environment: TenantEnvironment;
    /** Path of the pack config relative to the platform repository, e.g. `policy/config/staging.json`. */
    readonly packConfig: string;
    /** Fewest replicas a production workload needs (the pack's `production-replicas-and-pdb`). */
    readonly minReplicas: number;
}

/** The environment stack's `releaseSettings` output: everything a release stack reads from it. */
export interface ReleaseSettings {
    /** Version of this shape; bumped on an incompatible change. */
    readonly contractVersion: typeof TENANT_CONTRACT_VERSION;
    readonly environment: TenantEnvironment;
    /** Every tenant of the environment, by its name. */
    readonly tenants: Readonly<Record<string, TenantOutputs>>;
    readonly router: RouterDefaults;
    readonly canary: CanaryPolicyDefaults;
    /** Namespace whose Prometheus scrapes the tenant namespaces. */
    readonly monitoringNamespace: string;
    /** Prometheus base URL `canary promote`/`switch` query; absent when the stack sets none. */
    readonly prometheusUrl?: string;
    readonly policy: PolicySettings;
}

export const TENANT_CONTRACT_VERSION = 1;

/**
 * The settings ConfigMap in each tenant namespace. A fixed name (unlike the platform's other
 * ConfigMaps) because a release stack looks it up by name and no pod mounts it, so nothing needs a
 * rollout when it changes. The tenant's deploy identity may read it, never write it.
 */
export const TENANT_SETTINGS_CONFIGMAP = "tenant-settings";

/**
 * Its keys: each a plain string; `*.json` keys hold JSON. Together they are the tenant's slice of
 * ReleaseSettings, so a release stack on a backend that cannot see the environment stack's state reads
 * the same values here.
 */
export const TENANT_SETTINGS_KEYS = {
    contractVersion: "contractVersion",
    environment: "environment",
    tenant: "tenant",
    namespace: "namespace",
    apps: "apps.json",
    pullSecretName: "pullSecretName",
    pullSecretNames: "pullSecretNames.json",
    registryPullServer: "registryPullServer",
    registryPushServer: "registryPushServer",
    registryPrefix: "registryPrefix",
    deployServiceAccount: "deployServiceAccount",
    stateBackend: "stateBackend",
    productionGate: "productionGate.json",
    router: "router.json",
    canary: "canary.json",
    monitoringNamespace: "monitoringNamespace",
    prometheusUrl: "prometheusUrl",
    policy: "policy.json",
} as const;

export type TenantSettingsData = Record<(typeof TENANT_SETTINGS_KEYS)[keyof typeof TENANT_SETTINGS_KEYS], string>;

/** The one tenant's view of ReleaseSettings: what the settings ConfigMap holds. */
export interface TenantReleaseSettings extends Omit<ReleaseSettings, "tenants"> {
    readonly tenant: TenantOutputs;
}

/** The settings ConfigMap's `data` for one tenant (prometheusUrl is "" when unset). */
export function tenantSettingsData(settings: TenantReleaseSettings): TenantSettingsData {
    const t = settings.tenant;
    const k = TENANT_SETTINGS_KEYS;
    return {
        [k.contractVersion]: String(settings.contractVersion),
        [k.environment]: settings.environment,
        [k.tenant]: t.name,
        [k.namespace]: t.namespace,
        [k.apps]: JSON.stringify(t.apps),
        [k.pullSecretName]: t.pullSecretName,
        [k.pullSecretNames]: JSON.stringify(t.pullSecretNames),
        [k.registryPullServer]: t.registryPullServer,
        [k.registryPushServer]: t.registryPushServer,
        [k.registryPrefix]: t.registryPrefix,
        [k.deployServiceAccount]: t.deployServiceAccount,
        [k.stateBackend]: t.stateBackend,
        [k.productionGate]: JSON.stringify(t.productionGate),
        [k.router]: JSON.stringify(settings.router),
        [k.canary]: JSON.stringify(settings.canary),
        [k.monitoringNamespace]: settings.monitoringNamespace,
        [k.prometheusUrl]: settings.prometheusUrl ?? "",
        [k.policy]: JSON.stringify(settings.policy),
    } as TenantSettingsData;
}

/**
 * Reads the settings ConfigMap's `data` back (the inverse of tenantSettingsData). Throws naming the
 * missing or unreadable key, so a release stack fails with what is wrong rather than with undefined.
 */
export function parseTenantSettingsData(data: Readonly<Record<string, string>>): TenantReleaseSettings {
    const k = TENANT_SETTINGS_KEYS;
    const text = (key: string): string => {
        const value = data[key];
        if (value === undefined) {
            throw new Error(`${TENANT_SETTINGS_CONFIGMAP}: key "${key}" is missing`);
        }
        return value;
    };
    const json = (key: string): unknown => {
        try {
            return JSON.parse(text(key));
        } catch (error) {
            if (error instanceof SyntaxError) {
                throw new Error(`${TENANT_SETTINGS_CONFIGMAP}: key "${key}" is not JSON`);
            }
            throw error;
        }
    };
    const version = Number(text(k.contractVersion));
    if (version !== TENANT_CONTRACT_VERSION) {
        throw new Error(
            `${TENANT_SETTINGS_CONFIGMAP}: contractVersion ${text(k.contractVersion)} is not ${TENANT_CONTRACT_VERSION}; update the release project to the platform's version`,
        );
    }
    const prometheusUrl = text(k.prometheusUrl);
    return {
        contractVersion: TENANT_CONTRACT_VERSION,
        environment: text(k.environment) as TenantEnvironment,
        tenant: {
            name: text(k.tenant),
            namespace: text(k.namespace),
            apps: json(k.apps) as string[],
            pullSecretName: text(k.pullSecretName),
            pullSecretNames: json(k.pullSecretNames) as string[],
            registryPullServer: text(k.registryPullServer),
            registryPushServer: text(k.registryPushServer),
            registryPrefix: text(k.registryPrefix),
            settingsConfigMap: TENANT_SETTINGS_CONFIGMAP,
            deployServiceAccount: text(k.deployServiceAccount),
            stateBackend: text(k.stateBackend),
            productionGate: json(k.productionGate) as ProductionGate,
        },
        router: json(k.router) as RouterDefaults,
        canary: json(k.canary) as CanaryPolicyDefaults,
        monitoringNamespace: text(k.monitoringNamespace),
        ...(prometheusUrl === "" ? {} : { prometheusUrl }),
        policy: json(k.policy) as PolicySettings,
    };
}

/** The tenant's view of a whole ReleaseSettings output, or an error naming the tenants there are. */
export function tenantReleaseSettings(settings: ReleaseSettings, tenant: string): TenantReleaseSettings {
    const found = settings.tenants[tenant];
    if (found === undefined) {
        const known = Object.keys(settings.tenants);
        throw new Error(
            `tenant "${tenant}" is not a tenant of the ${settings.environment} stack (tenants: ${known.length > 0 ? known.join(", ") : "none"})`,
        );
    }
    return {
        contractVersion: settings.contractVersion,
        environment: settings.environment,
        tenant: found,
        router: settings.router,
        canary: settings.canary,
        monitoringNamespace: settings.monitoringNamespace,
        ...(settings.prometheusUrl === undefined ? {} : { prometheusUrl: settings.prometheusUrl }),
        policy: settings.policy,
    };
}

/**
 * Names of the credential a tenant's CI receives (GitHub environment secrets/variables, GitLab CI
 * variables): the kubeconfig of the deploy identity (secret) and the plain settings beside it.
 */
export const TENANT_CI_VARIABLES = {
    /** Secret: a kubeconfig whose only user is the tenant's deploy identity. */
    kubeconfig: "TENANT_KUBECONFIG",
    /** Plain: the tenant namespace. */
    namespace: "TENANT_NAMESPACE",
    /** Plain: the tenant name. */
    tenant: "TENANT_NAME",
    /** Plain: the state backend URL of the tenant's release stacks. */
    stateBackend: "TENANT_STATE_BACKEND",
    /** Plain: `<registryPushServer>/<registryPrefix>`, where CI pushes. */
    pushRepositoryPrefix: "TENANT_PUSH_PREFIX",
    /** Plain: `<registryPullServer>/<registryPrefix>`, the prefix of every image reference released. */
    pullRepositoryPrefix: "TENANT_PULL_PREFIX",
} as const;
