export type { TokenKubeconfig } from "./kubeconfig";
export { Tenant, type TenantArgs } from "./tenant";
