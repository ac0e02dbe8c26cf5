export { GitLabRunner, type GitLabRunnerArgs } from "./gitlab-runner";
export { JenkinsAgentAccess, type JenkinsAgentAccessArgs } from "./jenkins-agent-access";
export { PodmanRunnerHost, type PodmanRunnerHostArgs } from "./podman-runner-host";
export { RunnerNamespace, type RunnerNamespaceArgs, type RunnerQuota } from "./runner-namespace";
export {
    type KubernetesRunnerOptions,
    type PodmanRunnerOptions,
    renderKubernetesRunnerConfig,
    renderPodmanRunnerConfig,
    type RunnerCacheOptions,
} from "./runner-config";
export { BuildSeccompDelivery, type BuildSeccompDeliveryArgs } from "./build-seccomp-delivery";
