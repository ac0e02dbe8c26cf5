import { loadStackConfig } from "./config/load";
import { createPlatform } from "./platform";
import { redactSdkDebugOutput } from "./platform/sdk-debug-redaction";

// The program: validated config in, the platform out, its non-secret outputs exported.
redactSdkDebugOutput();
const platform = createPlatform(loadStackConfig());

export const environment = platform.environment;
export const namespace = platform.namespace;
export const registryPullSecret = platform.registryPullSecret;
export const canaryReleases = platform.canaryReleases;
export const blueGreenRelease = platform.blueGreenRelease;
export const privateRegistryEndpoints = platform.privateRegistryEndpoints;
export const githubEnvironments = platform.githubEnvironments;
export const runners = platform.runners;
export const releaseSettings = platform.releaseSettings;
// Secret (encrypted in the state, shown as [secret]): for CI systems the stack does not fan out to.
export const tenantKubeconfigs = platform.tenantKubeconfigs;
