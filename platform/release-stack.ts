import * as pulumi from "@pulumi/pulumi";
// The provider and the one kind the settings read needs, not the package's index (every API group
// and Helm): this module is on the path to the provider's start; release-create.ts loads the rest.
import { ConfigMap } from "@pulumi/kubernetes/core/v1";
import { Provider } from "@pulumi/kubernetes/provider";

import { StackConfigError } from "../config/config-problems";
import type { ReleaseConfig } from "../config/release-load";
import { RELEASE_PROJECT } from "../config/release-schema";
import { releaseSettingsProblems } from "../config/release-settings";
import {
    parseTenantSettingsData,
    TENANT_SETTINGS_CONFIGMAP,
    type TenantReleaseSettings,
} from "../config/tenant-contract";
import type { ReleaseStackOutputs } from "./release-create";

export type { ReleaseStackOutputs } from "./release-create";

/**
 * The environment stack's provider is named "kubernetes": a release moved out of it with
 * `pulumi state move` (scripts/release-move) arrives with that provider, and the alias makes it
 * this one, updated in place to the tenant's credential rather than replaced by a new provider.
 */
export const MOVED_PROVIDER_NAME = "kubernetes";

/** The provider of every object of the release: the tenant's credential, and no other. */
export function tenantProvider(config: ReleaseConfig): Provider {
    return new Provider(
        "tenant",
        {
            namespace: config.namespace,
            ...(config.secrets.kubeconfig === undefined ? {} : { kubeconfig: config.secrets.kubeconfig }),
        },
        { aliases: [{ name: MOVED_PROVIDER_NAME }] },
    );
}

/**
 * The tenant's settings, read from its settings ConfigMap with the tenant's own credential (a read,
 * so its value is known in previews too) and checked against the release before any of the
 * release's resources exists: a release the platform does not allow stops the program with every
 * reason, once.
 */
export async function readTenantSettings(config: ReleaseConfig, provider: Provider): Promise<TenantReleaseSettings> {
    const settingsMap = ConfigMap.get("tenant-settings", `${config.namespace}/${TENANT_SETTINGS_CONFIGMAP}`, {
        provider,
    });
    const data = await new Promise<Record<string, string>>((resolve) => settingsMap.data.apply(resolve));
    let settings: TenantReleaseSettings;
    try {
        settings = parseTenantSettingsData(data);
    } catch (error) {
        throw new pulumi.RunError(String(error instanceof Error ? error.message : error));
    }
    const problems = releaseSettingsProblems(config, settings);
    if (problems.length > 0) {
        throw new pulumi.RunError(new StackConfigError(problems, RELEASE_PROJECT).message);
    }
    return settings;
}

/**
 * The whole release stack: the tenant's provider, its settings, its release. The release's
 * components (and all of the Kubernetes SDK) load while the engine starts the provider and reads
 * the settings, instead of before: the two are each about a third of a second of a no-change `up`.
 */
export async function createReleaseStack(config: ReleaseConfig): Promise<ReleaseStackOutputs> {
    const provider = tenantProvider(config);
    const settings = readTenantSettings(config, provider);
    // Awaited below; until then a refusal must not count as an unhandled rejection.
    settings.catch(() => undefined);
    // The provider's registration is sent from a later turn of the event loop than this one, and
    // loading modules holds the loop: let it go out first.
    await new Promise((resolve) => setImmediate(resolve));
    const { createRelease } = await import("./release-create");
    return createRelease(config, await settings, provider);
}
