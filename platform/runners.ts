import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

import {
    BuildSeccompDelivery,
    GitLabRunner,
    type GitLabRunnerArgs,
    JenkinsAgentAccess,
    PodmanRunnerHost,
    type PodmanRunnerHostArgs,
    RunnerNamespace,
} from "../components";
import { REGISTRY_PUSH_PORT } from "../components/registry/private-registry/pod";
import type { StackConfig } from "../config/load";
import { SECCOMP_DELIVERIES } from "../config/sections/runners";
import { argsOf } from "./args-of";
import type { GitLabTarget } from "./gitlab";
import { runnerToken } from "./gitlab-runners";

/** What a stack's runners are, for its outputs: names and tags, never a token. */
export interface RunnerOutputs {
    readonly kubernetes?: {
        readonly namespace: pulumi.Output<string>;
        readonly deployment: pulumi.Output<string>;
        readonly serviceAccount: pulumi.Output<string>;
        readonly tags: readonly string[];
    };
    /** The build runner (rootless Buildah job pods, Pod Security baseline), when enabled. */
    readonly build?: {
        readonly namespace: pulumi.Output<string>;
        readonly deployment: pulumi.Output<string>;
        readonly serviceAccount: pulumi.Output<string>;
        readonly tags: readonly string[];
        /** The Localhost seccomp profile the build pods name, under the kubelet's seccomp directory. */
        readonly seccompProfile: pulumi.Output<string>;
        /** The Jenkins controller's service account there (runners.build.jenkinsAgents), for its cloud settings. */
        readonly jenkinsServiceAccount?: pulumi.Output<string>;
    };
    readonly podmanHosts: Record<string, { readonly host: string; readonly tags: readonly string[] }>;
}

/** The TCP port a URL's scheme implies when it names none. */
function portOf(url: string): number {
    const parsed = new URL(url);
    return parsed.port === "" ? (parsed.protocol === "http:" ? 80 : 443) : Number(parsed.port);
}

/** `host[:port]`, as the registry and cache settings are written. */
function hostPort(server: string): number {
    const port = /:(\d+)$/.exec(server)?.[1];
    return port === undefined ? 443 : Number(port);
}

function kubernetesRunner(
    config: StackConfig,
    kubernetes: k8s.Provider,
    gl: GitLabTarget | undefined,
): RunnerOutputs["kubernetes"] {
    const { enabled, namespace, cache, quota, ...runner } = config.runners.kubernetes;
    const gitlabUrl = config.runners.gitlabUrl;
    if (!enabled || gitlabUrl === undefined) {
        return undefined;
    }
    const token = runnerToken(gl, "kubernetes", "gitlab-runner", runner.tags, config.secrets.runners.kubernetesToken);
    if (token === undefined) {
        return undefined;
    }
    const privateRegistry = config.privateRegistry.enabled ? config.privateRegistry : undefined;
    const runnerNamespace = new RunnerNamespace(
        "runners-ns",
        {
            namespace,
            environment: config.environment,
            gitlabPort: portOf(gitlabUrl),
            registryNamespace: privateRegistry?.namespace,
            registryPort: privateRegistry ? REGISTRY_PUSH_PORT : hostPort(config.registry.server),
            cachePort: cache && hostPort(cache.serverAddress),
            quota,
            jobResources: runner.jobResources,
        },
        { provider: kubernetes },
    );
    const keys = config.secrets.runners.cache;
    const gitlabRunner = new GitLabRunner(
        "gitlab-runner",
        {
            ...argsOf<GitLabRunnerArgs>()(runner),
            namespace: runnerNamespace.namespaceName,
            gitlabUrl,
            runnerToken: token,
            ...(cache && keys
                ? {
                      cacheS3ServerAddress: cache.serverAddress,
                      cacheS3BucketName: cache.bucketName,
                      cacheS3AccessKey: keys.accessKey,
                      cacheS3SecretKey: keys.secretKey,
                  }
                : {}),
        },
        { provider: kubernetes },
    );
    return {
        namespace: runnerNamespace.namespaceName,
        deployment: gitlabRunner.deployment.metadata.name,
        serviceAccount: gitlabRunner.serviceAccount.metadata.name,
        tags: runner.tags,
    };
}

/**
 * The build runner: its own baseline namespace, its seccomp profile on the build nodes, and a
 * gitlab-runner whose job pods can run rootless Buildah. It takes no cache: build layers go to the
 * registry (`--cache-to`), not to the runner's S3 cache.
 */
function buildRunner(
    config: StackConfig,
    kubernetes: k8s.Provider,
    gl: GitLabTarget | undefined,
): RunnerOutputs["build"] {
    const {
        enabled,
        namespace,
        quota,
        seccompDelivery,
        nodeSelector,
        appArmorProfile,
        installerNamespace,
        jenkinsAgents,
        ...runner
    } = config.runners.build;
    const gitlabUrl = config.runners.gitlabUrl;
    if (!enabled || gitlabUrl === undefined) {
        return undefined;
    }
    const token = runnerToken(gl, "build", "build-runner", runner.tags, config.secrets.runners.buildToken);
    if (token === undefined) {
        return undefined;
    }
    const privateRegistry = config.privateRegistry.enabled ? config.privateRegistry : undefined;
    const buildNamespace = new RunnerNamespace(
        "build-runner-ns",
        {
            namespace,
            role: "build",
            environment: config.environment,
            gitlabPort: portOf(gitlabUrl),
            registryNamespace: privateRegistry?.namespace,
            registryPort: privateRegistry ? REGISTRY_PUSH_PORT : hostPort(config.registry.server),
            quota,
            jobResources: runner.jobResources,
        },
        { provider: kubernetes },
    );
    const delivery = new BuildSeccompDelivery(
        "build-seccomp",
        {
            delivery: SECCOMP_DELIVERIES[seccompDelivery],
            installerNamespace,
            nodeSelector,
            environment: config.environment,
        },
        { provider: kubernetes },
    );
    const gitlabRunner = new GitLabRunner(
        "build-runner",
        {
            ...argsOf<GitLabRunnerArgs>()(runner),
            role: "build",
            namespace: buildNamespace.namespaceName,
            gitlabUrl,
            runnerToken: token,
            seccompLocalhostProfile: delivery.localhostProfile,
            nodeSelector,
            ...(appArmorProfile === undefined ? {} : { appArmorLocalhostProfile: appArmorProfile }),
        },
        { provider: kubernetes },
    );
    // Jenkins agent pods share the namespace (and so its Pod Security level, quota and egress rules).
    const jenkins =
        jenkinsAgents &&
        new JenkinsAgentAccess(
            "jenkins-agents",
            { namespace, controllerPorts: jenkinsAgents.controllerPorts },
            { provider: kubernetes, dependsOn: [buildNamespace] },
        );
    return {
        namespace: buildNamespace.namespaceName,
        deployment: gitlabRunner.deployment.metadata.name,
        serviceAccount: gitlabRunner.serviceAccount.metadata.name,
        tags: runner.tags,
        seccompProfile: delivery.localhostProfile,
        ...(jenkins ? { jenkinsServiceAccount: jenkins.serviceAccountName } : {}),
    };
}

function podmanHosts(config: StackConfig, gl: GitLabTarget | undefined): RunnerOutputs["podmanHosts"] {
    const { gitlabUrl } = config.runners;
    const privateKey = config.secrets.runners.podmanSshPrivateKey;
    const outputs: Record<string, { host: string; tags: readonly string[] }> = {};
    if (gitlabUrl === undefined || privateKey === undefined) {
        return outputs;
    }
    for (const { name, ...host } of config.runners.podmanHosts) {
        const token = runnerToken(gl, name, `podman-${name}`, host.tags, config.secrets.runners.podmanTokens[name]);
        if (token === undefined) {
            continue;
        }
        new PodmanRunnerHost(`podman-${name}`, {
            ...argsOf<PodmanRunnerHostArgs>()(host),
            gitlabUrl,
            privateKey,
            runnerToken: token,
        });
        outputs[name] = { host: host.host, tags: host.tags };
    }
    return outputs;
}

/**
 * The stack's CI runners: the general Kubernetes executor (restricted job pods) and the build runner
 * (baseline, rootless Buildah), each in a namespace of its own, and the Podman hosts over SSH. Each has
 * its own token: its `gitlab.UserRunner`'s with the GitLab integration, else one the operator created.
 */
export function createRunners(
    config: StackConfig,
    kubernetes: k8s.Provider,
    gl: GitLabTarget | undefined,
): RunnerOutputs {
    return {
        kubernetes: kubernetesRunner(config, kubernetes, gl),
        build: buildRunner(config, kubernetes, gl),
        podmanHosts: podmanHosts(config, gl),
    };
}
