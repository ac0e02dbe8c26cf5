/** The registry feature's public API: the two components and the pure renderers behind them. */
export { RegistryCredentials, type RegistryCredentialsArgs } from "./registry-credentials";
export { PrivateRegistry, type PrivateRegistryArgs } from "./private-registry";
export {
    renderRegistryConfig,
    renderRegistryConfigPair,
    type RegistryConfigOptions,
    type RegistryPairOptions,
} from "./registry-config";
export { renderHtpasswd } from "./htpasswd";
