export { Tenant, type TenantArgs } from "./tenant";
