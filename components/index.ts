/** The public API of cicd-platform: what platform teams import into their own Pulumi programs. */
export * from "./release/blue-green-release";
export * from "./release/canary-release";
export * from "./platform/environment-namespace";
export * from "./github/repository-settings";
export * from "./runners/gitlab-runner";
export * from "./traffic/host-upstream";
export * from "./shared/local-script";
export * from "./traffic/nginx-config";
export * from "./runners/podman-runner-host";
export * from "./registry/private-registry";
export * from "./registry/registry-config";
export * from "./registry/registry-credentials";
export * from "./runners/runner-config";
export * from "./traffic/traffic-split";
export * from "./traffic/weighted-upstream";
export {
    type ContainerResources,
    DEFAULT_UID,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "./shared/workload";
