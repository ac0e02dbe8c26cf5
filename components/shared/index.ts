export { LocalScript, type LocalScriptArgs } from "./local-script";
export {
    type ContainerResources,
    DEFAULT_UID,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "./workload";
