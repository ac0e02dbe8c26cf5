/** The public API of cicd-platform: what platform teams import into their own Pulumi programs. */
export * from "./blue-green-release";
export * from "./canary-release";
export * from "./environment-namespace";
export * from "./github-repository-settings";
export * from "./gitlab-runner";
export * from "./host-upstream";
export * from "./local-script";
export * from "./nginx-config";
export * from "./podman-runner-host";
export * from "./private-registry";
export * from "./registry-config";
export * from "./registry-credentials";
export * from "./runner-config";
export * from "./traffic-split";
export * from "./weighted-upstream";
export {
    type ContainerResources,
    DEFAULT_UID,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "./workload";
