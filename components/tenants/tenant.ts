import * as github from "@pulumi/github";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { TENANT_CI_VARIABLES, TENANT_SETTINGS_CONFIGMAP } from "../../config/tenant-contract";
import { EnvironmentNamespace } from "../namespaces";
import { type ChildOptions, childOf } from "../shared/component";
import { createNamespacedIdentity } from "../shared/namespaced-identity";
import { NAMESPACE_DEFAULTS, TENANT_DEFAULTS } from "../shared/defaults";
import { ArgChecks, isDnsLabel } from "../shared/validators";
import { TENANT_DEPLOY_RULES } from "./deploy-rules";
import { renderTokenKubeconfig } from "./token-client-config";

export interface TenantArgs {
    /** The team's name: labels, the kubeconfig's context and the admission policy name derive from it. */
    readonly tenant: string;
    /** The team's namespace. A plain string: namespaces are addressed by name, never auto-named. */
    readonly namespace: string;
    /** Value of the namespace's `cicd.platform/environment` label, e.g. `staging`. */
    readonly environment: pulumi.Input<string>;
    /**
     * Create the restricted, default-deny namespace. `false` adopts one that exists already (the
     * environment's apps namespace, when its releases move to the tenant in place). @default true
     */
    readonly manageNamespace?: boolean;
    /** Namespace whose Prometheus may scrape the tenant's pods. @default {@link NAMESPACE_DEFAULTS}.monitoring */
    readonly monitoringNamespace?: pulumi.Input<string>;
    /** API server URL written into the credential's kubeconfig. */
    readonly apiServer: pulumi.Input<string>;
    /** Data of the read-only settings ConfigMap (see `tenantSettingsData`). */
    readonly settings: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /**
     * The credential's generation; a new value replaces the token Secret in one `up`, the new token
     * existing before the old one is deleted. @default {@link TENANT_DEFAULTS}.credentialRotation
     */
    readonly credentialRotation?: string;
    /**
     * Refuse changes to the settings ConfigMap by the namespace's own service accounts with a
     * ValidatingAdmissionPolicy (Kubernetes 1.30+); RBAC alone cannot exempt one ConfigMap from a
     * kind the release must change. @default true
     */
    readonly protectSettings?: boolean;
    /** `owner/name` or name of the team's GitHub repository that receives the credential. */
    readonly githubRepository?: pulumi.Input<string>;
    /**
     * Environments of that repository the component manages and fills with TENANT_KUBECONFIG and the
     * plain TENANT_* variables. @default []
     */
    readonly githubEnvironments?: readonly string[];
    /** Users who must approve a deploy in the repository's `production` environment. @default [] */
    readonly productionReviewerUserIds?: pulumi.Input<pulumi.Input<number>[]>;
    /** Teams who must approve a deploy in the repository's `production` environment. @default [] */
    readonly productionReviewerTeamIds?: pulumi.Input<pulumi.Input<number>[]>;
    /** `<push server>/<registry prefix>`, the TENANT_PUSH_PREFIX variable. */
    readonly pushRepositoryPrefix?: pulumi.Input<string>;
    /** `<pull server>/<registry prefix>`, the TENANT_PULL_PREFIX variable. */
    readonly pullRepositoryPrefix?: pulumi.Input<string>;
    /** The state location of the team's release stacks, the TENANT_STATE_BACKEND variable. */
    readonly stateBackend?: pulumi.Input<string>;
}

/**
 * One team in one environment: its restricted namespace, a deploy identity (ServiceAccount, Role,
 * RoleBinding) that changes only what a release creates there, that identity's token and kubeconfig
 * (secret outputs, fanned out to the team's GitHub environments), and a settings ConfigMap the team
 * reads but cannot change.
 */
export class Tenant extends pulumi.ComponentResource {
    public readonly namespaceName: pulumi.Output<string>;
    /** Present when the component created the namespace. */
    public readonly environmentNamespace?: EnvironmentNamespace;
    public readonly serviceAccount: k8s.core.v1.ServiceAccount;
    public readonly role: k8s.rbac.v1.Role;
    public readonly roleBinding: k8s.rbac.v1.RoleBinding;
    public readonly tokenSecret: k8s.core.v1.Secret;
    public readonly settingsConfigMap: k8s.core.v1.ConfigMap;
    public readonly settingsGuard?: k8s.admissionregistration.v1.ValidatingAdmissionPolicy;
    /** Secret output: a kubeconfig whose only user is the deploy identity. */
    public readonly kubeconfig: pulumi.Output<string>;

    constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
        validateTenantArgs(name, args);
        super("cicd:tenants:Tenant", name, {}, opts);

        const children = createTenant(name, this, args);
        this.environmentNamespace = children.environmentNamespace;
        this.namespaceName = children.namespaceName;
        this.serviceAccount = children.serviceAccount;
        this.role = children.role;
        this.roleBinding = children.roleBinding;
        this.tokenSecret = children.tokenSecret;
        this.kubeconfig = children.kubeconfig;
        this.settingsConfigMap = children.settingsConfigMap;
        this.settingsGuard = children.settingsGuard;
        this.registerOutputs({
            namespaceName: this.namespaceName,
            serviceAccount: this.serviceAccount.metadata.name,
            settingsConfigMap: this.settingsConfigMap.metadata.name,
            kubeconfig: this.kubeconfig,
        });
    }
}

/** What a Tenant registers, and the kubeconfig its credential makes. */
export interface TenantChildren {
    readonly environmentNamespace?: EnvironmentNamespace;
    readonly namespaceName: pulumi.Output<string>;
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    readonly role: k8s.rbac.v1.Role;
    readonly roleBinding: k8s.rbac.v1.RoleBinding;
    readonly tokenSecret: k8s.core.v1.Secret;
    readonly kubeconfig: pulumi.Output<string>;
    readonly settingsConfigMap: k8s.core.v1.ConfigMap;
    readonly settingsGuard?: k8s.admissionregistration.v1.ValidatingAdmissionPolicy;
}

/**
 * Every problem of the plain (non-Output) arguments, thrown together.
 * @internal
 */
export function validateTenantArgs(name: string, args: TenantArgs): void {
    const checks = new ArgChecks("Tenant", name);
    const rotation = args.credentialRotation ?? TENANT_DEFAULTS.credentialRotation;
    const tokenPrefix = `${TENANT_DEFAULTS.deployServiceAccount}-token-`;
    if (!isDnsLabel(rotation) || !isDnsLabel(`${tokenPrefix}${rotation}`)) {
        checks.add(
            "credentialRotation",
            `"${rotation}" must be a DNS label of at most ${63 - tokenPrefix.length} characters (e.g. a date 2026-12-07)`,
        );
    }
    if ((args.githubEnvironments ?? []).length > 0 && args.githubRepository === undefined) {
        checks.add("githubEnvironments", "needs githubRepository");
    }
    checks.throwIfAny();
}

/**
 * The tenant's children, parented to `parent`: its namespace (unless adopted), the deploy identity
 * and its token, the settings ConfigMap and its guard, and the GitHub fan-out.
 * @internal
 */
export function createTenant(
    name: string,
    parent: pulumi.Resource,
    args: TenantArgs,
    opts?: ChildOptions,
): TenantChildren {
    const child = childOf(parent, opts);
    const rotation = args.credentialRotation ?? TENANT_DEFAULTS.credentialRotation;
    const accountName = TENANT_DEFAULTS.deployServiceAccount;
    const labels = {
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/component": "tenant-deployer",
        "cicd.platform/tenant": args.tenant,
    };
    const environmentNamespace =
        (args.manageNamespace ?? true)
            ? new EnvironmentNamespace(
                  `${name}-namespace`,
                  {
                      namespace: args.namespace,
                      environment: args.environment,
                      monitoringNamespace: args.monitoringNamespace,
                  },
                  child,
              )
            : undefined;
    const namespace = environmentNamespace?.namespaceName ?? pulumi.output(args.namespace);

    // The identity acts from outside the cluster; no pod mounts its token.
    const { serviceAccount, role, roleBinding } = createNamespacedIdentity(
        `${name}-deployer`,
        namespace,
        labels,
        [...TENANT_DEPLOY_RULES],
        child,
        accountName,
    );
    const tokenSecret = new k8s.core.v1.Secret(
        `${name}-token`,
        deployTokenSecretArgs(namespace, labels, rotation, serviceAccount.metadata.name),
        { ...child, dependsOn: [roleBinding] },
    );
    const kubeconfig = tenantKubeconfig(name, args, tokenSecret, namespace);
    const settingsConfigMap = new k8s.core.v1.ConfigMap(
        `${name}-settings`,
        // A fixed name: release stacks look it up by name, and no pod mounts it.
        { metadata: { name: TENANT_SETTINGS_CONFIGMAP, namespace, labels }, data: args.settings },
        child,
    );
    const settingsGuard = (args.protectSettings ?? true) ? createSettingsGuard(name, namespace, child) : undefined;
    fanOutToGitHub(name, args, namespace, kubeconfig, child);
    return {
        environmentNamespace,
        namespaceName: namespace,
        serviceAccount,
        role,
        roleBinding,
        tokenSecret,
        kubeconfig,
        settingsConfigMap,
        settingsGuard,
    };
}

/**
 * A long-lived token the token controller fills in (the provider waits for it). Its name carries
 * the rotation, so a new rotation is a replacement: new token first, old one deleted.
 * @internal
 */
export function deployTokenSecretArgs(
    namespace: pulumi.Input<string>,
    labels: Readonly<Record<string, string>>,
    rotation: string,
    serviceAccountName: pulumi.Input<string>,
): k8s.core.v1.SecretArgs {
    return {
        metadata: {
            name: `${TENANT_DEFAULTS.deployServiceAccount}-token-${rotation}`,
            namespace,
            labels: { ...labels, "cicd.platform/credential-rotation": rotation },
            annotations: { "kubernetes.io/service-account.name": serviceAccountName },
        },
        type: "kubernetes.io/service-account-token",
    };
}

/** Secret: a kubeconfig whose only user is the deploy identity, once the token controller filled its Secret. */
function tenantKubeconfig(
    name: string,
    args: TenantArgs,
    tokenSecret: k8s.core.v1.Secret,
    namespace: pulumi.Output<string>,
): pulumi.Output<string> {
    return pulumi.secret(
        pulumi.all([args.apiServer, tokenSecret.data, namespace]).apply(([server, data, ns]) => {
            // Until the token controller has filled it in, the Secret has no data at all.
            const values = data as Partial<Record<string, string>> | undefined;
            const token = values?.token;
            const caData = values?.["ca.crt"];
            if (token === undefined || caData === undefined) {
                throw new Error(
                    `${name}: the token Secret has no token or ca.crt yet: is kube-controller-manager's token controller running?`,
                );
            }
            return renderTokenKubeconfig({
                server,
                caData,
                token: Buffer.from(token, "base64").toString("utf8"),
                namespace: ns,
                name: `${args.tenant}-${ns}`,
            });
        }),
    );
}

/** Service accounts of the tenant namespace may not create, change or delete its settings ConfigMap. */
function createSettingsGuard(
    name: string,
    namespace: pulumi.Output<string>,
    child: pulumi.CustomResourceOptions,
): k8s.admissionregistration.v1.ValidatingAdmissionPolicy {
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
        `${name}-settings-guard`,
        settingsGuardArgs(namespace),
        child,
    );
    new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
        `${name}-settings-guard`,
        {
            metadata: { labels: { "app.kubernetes.io/managed-by": "pulumi" } },
            spec: { policyName: policy.metadata.name, validationActions: ["Deny"] },
        },
        child,
    );
    return policy;
}

/**
 * The ValidatingAdmissionPolicy that denies the namespace's own service accounts any change to the
 * settings ConfigMap.
 * @internal
 */
export function settingsGuardArgs(
    namespace: pulumi.Input<string>,
): k8s.admissionregistration.v1.ValidatingAdmissionPolicyArgs {
    return {
        metadata: { labels: { "app.kubernetes.io/managed-by": "pulumi" } },
        spec: {
            failurePolicy: "Fail",
            matchConstraints: {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
                resourceRules: [
                    {
                        apiGroups: [""],
                        apiVersions: ["v1"],
                        operations: ["CREATE", "UPDATE", "DELETE"],
                        resources: ["configmaps"],
                    },
                ],
            },
            matchConditions: [
                {
                    name: "settings-configmap",
                    // Set on create too: a generated name can never be this fixed one.
                    expression: `request.name == "${TENANT_SETTINGS_CONFIGMAP}"`,
                },
                {
                    name: "namespace-service-account",
                    expression: `request.userInfo.username.startsWith("system:serviceaccount:" + request.namespace + ":")`,
                },
            ],
            validations: [
                {
                    expression: "false",
                    message: `${TENANT_SETTINGS_CONFIGMAP} is the platform's: the tenant reads it and cannot change it`,
                },
            ],
        },
    };
}

/** The credential and the plain values beside it, in each of the team's GitHub environments. */
function fanOutToGitHub(
    name: string,
    args: TenantArgs,
    namespace: pulumi.Output<string>,
    kubeconfig: pulumi.Output<string>,
    child: pulumi.CustomResourceOptions,
): void {
    const repository = args.githubRepository;
    if (repository === undefined) {
        return;
    }
    const v = TENANT_CI_VARIABLES;
    const plain: [string, pulumi.Input<string> | undefined][] = [
        [v.tenant, args.tenant],
        [v.namespace, namespace],
        [v.stateBackend, args.stateBackend],
        [v.pushRepositoryPrefix, args.pushRepositoryPrefix],
        [v.pullRepositoryPrefix, args.pullRepositoryPrefix],
    ];
    for (const envName of args.githubEnvironments ?? []) {
        const production = envName === "production";
        const target = new github.RepositoryEnvironment(
            `${name}-${envName}-environment`,
            {
                repository,
                environment: envName,
                preventSelfReview: production,
                canAdminsBypass: !production,
                reviewers: production
                    ? [{ users: args.productionReviewerUserIds ?? [], teams: args.productionReviewerTeamIds ?? [] }]
                    : [],
            },
            child,
        );
        const environment = target.environment;
        new github.ActionsEnvironmentSecret(
            `${name}-${envName}-kubeconfig`,
            { repository, environment, secretName: v.kubeconfig, plaintextValue: kubeconfig },
            child,
        );
        for (const [variableName, value] of plain) {
            if (value !== undefined) {
                new github.ActionsEnvironmentVariable(
                    `${name}-${envName}-${variableName.toLowerCase().replace(/_/g, "-")}`,
                    { repository, environment, variableName, value },
                    child,
                );
            }
        }
    }
}
