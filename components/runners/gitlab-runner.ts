import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../shared/component";
import { createNamespacedIdentity } from "../shared/namespaced-identity";
import { RUNNER_DEFAULTS } from "../shared/defaults";
import { pullPolicyFor } from "../shared/placement";
import { ArgChecks } from "../shared/validators";

import { renderKubernetesRunnerConfig } from "./runner-config";
import {
    commonLabels,
    type ContainerResources,
    resourceRequirements,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../shared/workload";

export interface GitLabRunnerArgs {
    /** Namespace of the runner and of its job pods; the runner's RBAC reaches no further. */
    readonly namespace: pulumi.Input<string>;
    /** GitLab base URL. */
    readonly gitlabUrl: pulumi.Input<string>;
    /** Runner authentication token (`glrt-…`) from `gitlab.UserRunner`; kept secret end to end. */
    readonly runnerToken: pulumi.Input<string>;
    /** Jobs run at once. @default {@link RUNNER_DEFAULTS}.concurrent */
    readonly concurrent?: pulumi.Input<number>;
    /** Default job image: rootless Buildah/Podman. @default {@link RUNNER_DEFAULTS}.jobImage */
    readonly jobImage?: pulumi.Input<string>;
    /** The runner manager image. @default {@link RUNNER_DEFAULTS}.runnerImage */
    readonly runnerImage?: pulumi.Input<string>;
    /**
     * Tags the runner was created with in GitLab. A runner authentication token carries its tags
     * (config.toml has no field for them): they are recorded on the Deployment for operators. @default {@link RUNNER_DEFAULTS}.tags
     */
    readonly tags?: pulumi.Input<string[]>;
    /** Requests and limits of each job's build container. @default {@link RUNNER_DEFAULTS}.jobResources */
    readonly jobResources?: ContainerResources;
    /** S3 cache server (host:port); no distributed cache when unset. */
    readonly cacheS3ServerAddress?: pulumi.Input<string>;
    /** S3 cache bucket. Required with cacheS3ServerAddress. */
    readonly cacheS3BucketName?: pulumi.Input<string>;
    /** S3 cache access key (secret). */
    readonly cacheS3AccessKey?: pulumi.Input<string>;
    /** S3 cache secret key (secret). */
    readonly cacheS3SecretKey?: pulumi.Input<string>;
    /** `build`: job pods that can run rootless Buildah (see renderKubernetesRunnerConfig). @default "general" */
    readonly role?: "general" | "build";
    /** Build role: the Localhost seccomp profile's path. @default {@link BUILD_RUNNER_DEFAULTS}.seccompLocalhostProfile */
    readonly seccompLocalhostProfile?: pulumi.Input<string>;
    /** Build role: nodes that have the profile. @default {@link BUILD_RUNNER_DEFAULTS}.nodeSelector */
    readonly nodeSelector?: Readonly<Record<string, string>>;
    /** Build role: an AppArmor profile loaded on those nodes that allows the build's mounts. */
    readonly appArmorLocalhostProfile?: string;
}

/**
 * What the Kubernetes executor needs in its own namespace, and nothing cluster-wide: job pods,
 * exec/attach into them, their logs, and the Secrets/ConfigMaps/Services it creates per job.
 * @internal
 */
export const EXECUTOR_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "create", "delete"] },
    { apiGroups: [""], resources: ["pods/exec", "pods/attach"], verbs: ["get", "create", "patch", "delete"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get", "list"] },
    { apiGroups: [""], resources: ["secrets", "configmaps"], verbs: ["get", "create", "update", "delete"] },
    { apiGroups: [""], resources: ["services"], verbs: ["get", "create", "delete"] },
    { apiGroups: [""], resources: ["events"], verbs: ["list", "watch"] },
    { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get"] },
];

/** The objects a GitLabRunner registers, and the secret config.toml it renders. */
export interface GitLabRunnerChildren {
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    readonly role: k8s.rbac.v1.Role;
    readonly roleBinding: k8s.rbac.v1.RoleBinding;
    readonly configSecret: k8s.core.v1.Secret;
    readonly deployment: k8s.apps.v1.Deployment;
    /** Secret output: the rendered config.toml. */
    readonly configToml: pulumi.Output<string>;
    /** The runner's tags, comma-separated, as the Deployment records them. */
    readonly tags: pulumi.Output<string>;
}

/**
 * gitlab-runner with the Kubernetes executor: `config.toml` rendered into a Secret (auto-named, so
 * a change rolls the runner), job pods unprivileged in the runner's namespace, and a service account
 * whose Role covers only what the executor does there.
 */
export class GitLabRunner extends pulumi.ComponentResource {
    public readonly serviceAccount: k8s.core.v1.ServiceAccount;
    public readonly role: k8s.rbac.v1.Role;
    public readonly configSecret: k8s.core.v1.Secret;
    public readonly deployment: k8s.apps.v1.Deployment;
    /** Secret output: the rendered config.toml. */
    public readonly configToml: pulumi.Output<string>;

    constructor(name: string, args: GitLabRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
        validateGitLabRunnerArgs(name, args);
        super("cicd:runners:GitLabRunner", name, {}, opts);

        const children = createGitLabRunner(name, this, args);
        this.serviceAccount = children.serviceAccount;
        this.role = children.role;
        this.configSecret = children.configSecret;
        this.deployment = children.deployment;
        this.configToml = children.configToml;

        this.registerOutputs({
            serviceAccountName: this.serviceAccount.metadata.name,
            configSecretName: this.configSecret.metadata.name,
            deploymentName: this.deployment.metadata.name,
            tags: children.tags,
        });
    }
}

/**
 * Every problem of the arguments that needs no resolved Output, thrown together.
 * @internal
 */
export function validateGitLabRunnerArgs(name: string, args: GitLabRunnerArgs): void {
    const checks = new ArgChecks("GitLabRunner", name);
    const cacheFields = {
        cacheS3ServerAddress: args.cacheS3ServerAddress,
        cacheS3BucketName: args.cacheS3BucketName,
        cacheS3AccessKey: args.cacheS3AccessKey,
        cacheS3SecretKey: args.cacheS3SecretKey,
    };
    const given = Object.values(cacheFields).filter((value) => value !== undefined).length;
    if (given > 0 && given < 4) {
        for (const [field, value] of Object.entries(cacheFields)) {
            if (value === undefined) {
                checks.add(
                    field,
                    "is required: cacheS3ServerAddress, cacheS3BucketName, cacheS3AccessKey and cacheS3SecretKey go together",
                );
            }
        }
    }
    checks.throwIfAny();
}

/**
 * The GitLabRunner's children, parented to `parent`: service account, Role and binding, the
 * config Secret and the manager's Deployment.
 * @internal
 */
export function createGitLabRunner(
    name: string,
    parent: pulumi.Resource,
    args: GitLabRunnerArgs,
    opts?: ChildOptions,
): GitLabRunnerChildren {
    const child = childOf(parent, opts);
    const labels = { ...commonLabels(name, "gitlab-runner"), app: name };
    const namespace = args.namespace;

    const { serviceAccount, role, roleBinding } = createNamespacedIdentity(
        name,
        namespace,
        labels,
        EXECUTOR_RULES,
        child,
    );

    const configToml = runnerConfigToml(name, args);
    // Auto-named: a new config is a new Secret, which changes the pod template and rolls the runner.
    const configSecret = new k8s.core.v1.Secret(
        `${name}-config`,
        { metadata: { namespace, labels }, type: "Opaque", stringData: { "config.toml": configToml } },
        child,
    );

    const tags = pulumi.output(args.tags ?? [...RUNNER_DEFAULTS.tags]).apply((list) => list.join(","));
    const deployment = new k8s.apps.v1.Deployment(
        name,
        runnerDeploymentArgs({
            name,
            namespace,
            labels,
            tags,
            image: args.runnerImage ?? RUNNER_DEFAULTS.runnerImage,
            serviceAccountName: serviceAccount.metadata.name,
            configSecretName: configSecret.metadata.name,
        }),
        child,
    );

    return { serviceAccount, role, roleBinding, configSecret, deployment, configToml, tags };
}

/** The rendered config.toml, secret: it holds the runner token and the cache keys. */
function runnerConfigToml(name: string, args: GitLabRunnerArgs): pulumi.Output<string> {
    const cache =
        args.cacheS3ServerAddress === undefined
            ? undefined
            : pulumi
                  .all([
                      args.cacheS3ServerAddress,
                      args.cacheS3BucketName,
                      args.cacheS3AccessKey,
                      args.cacheS3SecretKey,
                  ])
                  .apply(([serverAddress, bucketName, accessKey, secretKey]) => ({
                      serverAddress,
                      bucketName: bucketName ?? "",
                      accessKey: accessKey ?? "",
                      secretKey: secretKey ?? "",
                  }));
    return pulumi.secret(
        pulumi
            .all([
                args.namespace,
                args.gitlabUrl,
                args.runnerToken,
                args.concurrent,
                args.jobImage,
                cache,
                args.seccompLocalhostProfile,
            ])
            .apply(([ns, url, token, concurrent, jobImage, cacheOptions, seccompLocalhostProfile]) =>
                renderKubernetesRunnerConfig({
                    name,
                    url,
                    token,
                    concurrent,
                    namespace: ns,
                    image: jobImage ?? RUNNER_DEFAULTS.jobImage,
                    cache: cacheOptions,
                    ...args.jobResources,
                    role: args.role,
                    seccompLocalhostProfile,
                    nodeSelector: args.nodeSelector,
                    appArmorLocalhostProfile: args.appArmorLocalhostProfile,
                }),
            ),
    );
}

/**
 * What the runner manager's Deployment is built from.
 * @internal
 */
export interface RunnerDeploymentSpec {
    readonly name: string;
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
    /** Comma-separated runner tags, recorded as an annotation. */
    readonly tags: pulumi.Input<string>;
    readonly image: pulumi.Input<string>;
    readonly serviceAccountName: pulumi.Input<string>;
    readonly configSecretName: pulumi.Input<string>;
}

/**
 * The runner manager's Deployment: one pod, restricted, reading config.toml from the Secret.
 * @internal
 */
export function runnerDeploymentArgs(spec: RunnerDeploymentSpec): k8s.apps.v1.DeploymentArgs {
    const { labels } = spec;
    return {
        metadata: { namespace: spec.namespace, labels, annotations: { "cicd.platform/runner-tags": spec.tags } },
        spec: {
            // One manager per token, ever: two would both poll GitLab with it and run jobs
            // beyond `concurrent`. Recreate stops the old pod before the new one starts, so a
            // token or config change never has two managers running, not even during the roll.
            replicas: 1,
            strategy: { type: "Recreate" },
            selector: { matchLabels: { app: spec.name } },
            template: {
                metadata: { labels },
                spec: {
                    serviceAccountName: spec.serviceAccountName,
                    // The manager talks to the API server to create job pods.
                    automountServiceAccountToken: true,
                    securityContext: restrictedPodSecurityContext(),
                    containers: [
                        {
                            name: "gitlab-runner",
                            image: spec.image,
                            // As every other workload: a tag may move, a digest may not.
                            imagePullPolicy: pullPolicyFor(spec.image),
                            command: ["gitlab-runner"],
                            args: ["run", "--config", "/etc/gitlab-runner/config.toml", "--working-directory", "/tmp"],
                            env: [{ name: "HOME", value: "/tmp" }],
                            securityContext: restrictedContainerSecurityContext(),
                            resources: resourceRequirements(RUNNER_DEFAULTS.managerResources),
                            livenessProbe: {
                                exec: {
                                    command: ["gitlab-runner", "verify", "--config", "/etc/gitlab-runner/config.toml"],
                                },
                                initialDelaySeconds: 30,
                                periodSeconds: 60,
                                timeoutSeconds: 10,
                            },
                            readinessProbe: {
                                exec: { command: ["pgrep", "-f", "gitlab-runner run"] },
                                periodSeconds: 10,
                            },
                            volumeMounts: [
                                { name: "config", mountPath: "/etc/gitlab-runner", readOnly: true },
                                { name: "tmp", mountPath: "/tmp" },
                            ],
                        },
                    ],
                    volumes: [
                        { name: "config", secret: { secretName: spec.configSecretName, defaultMode: 0o400 } },
                        { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                    ],
                },
            },
        },
    };
}
