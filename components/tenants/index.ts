export { renderTokenKubeconfig, type TokenKubeconfig } from "./kubeconfig";
export { Tenant, type TenantArgs } from "./tenant";
