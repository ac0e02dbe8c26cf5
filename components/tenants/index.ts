export type { TokenKubeconfig } from "./kubeconfig";
export { Tenant, type TenantArgs } from "./tenant";
export {
    type GitLabVariableForm,
    GitLabVariables,
    type GitLabVariablesArgs,
    type GitLabVariableSpec,
} from "./gitlab-variables";
