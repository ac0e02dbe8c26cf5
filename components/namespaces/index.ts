export {
    EnvironmentNamespace,
    type EnvironmentNamespaceArgs,
    restrictedPodSecurityLabels,
} from "./environment-namespace";
