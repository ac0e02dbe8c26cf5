/**
 * The public API of cicd-platform: what platform teams import into their own Pulumi programs. An
 * explicit list, so a helper exported for the package's own use never becomes API by accident.
 */
export {
    ApplicationRepository,
    type ApplicationRepositoryArgs,
    type DeployWorkflowApp,
    type DeployWorkflowOptions,
    GITHUB_ENVIRONMENTS,
    type GitHubEnvironment,
    GitHubRepositorySettings,
    type GitHubRepositorySettingsArgs,
    renderDeployWorkflow,
} from "./github";
export { EnvironmentNamespace, type EnvironmentNamespaceArgs, restrictedPodSecurityLabels } from "./namespaces";
export {
    PrivateRegistry,
    type PrivateRegistryArgs,
    type RegistryConfigOptions,
    RegistryCredentials,
    type RegistryCredentialsArgs,
    type RegistryPairOptions,
    renderHtpasswd,
    renderRegistryConfig,
    renderRegistryConfigPair,
} from "./registry";
export {
    type AppTrack,
    type AppWorkloadArgs,
    BlueGreenRelease,
    type BlueGreenReleaseArgs,
    CanaryRelease,
    type CanaryReleaseArgs,
    type Color,
    type GateExecutor,
} from "./release";
export {
    BuildSeccompDelivery,
    type BuildSeccompDeliveryArgs,
    GitLabRunner,
    type GitLabRunnerArgs,
    JenkinsAgentAccess,
    type JenkinsAgentAccessArgs,
    type KubernetesRunnerOptions,
    PodmanRunnerHost,
    type PodmanRunnerHostArgs,
    type PodmanRunnerOptions,
    renderKubernetesRunnerConfig,
    renderPodmanRunnerConfig,
    type RunnerCacheOptions,
    RunnerNamespace,
    type RunnerNamespaceArgs,
    type RunnerQuota,
} from "./runners";
export {
    type ContainerResources,
    DEFAULT_UID,
    LocalScript,
    type LocalScriptArgs,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "./shared";
export { Tenant, type TenantArgs } from "./tenants";
export {
    canaryReplicas,
    type HostConnection,
    HostUpstream,
    type HostUpstreamArgs,
    type NginxConfigOptions,
    type NginxPaths,
    renderNginxConfig,
    renderUpstream,
    type TrackWeights,
    trackWeights,
    type UpstreamOptions,
    type UpstreamTuning,
    WeightedUpstream,
    type WeightedUpstreamArgs,
} from "./traffic";
