export { TENANT_DEPLOY_RULES } from "./deploy-rules";
export { renderTokenKubeconfig, type TokenKubeconfig } from "./kubeconfig";
export { Tenant, type TenantArgs } from "./tenant";
