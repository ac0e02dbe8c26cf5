/**
 * What a release stack takes from its platform: the tenant's settings (tenant-contract.ts), checked
 * against the release's own config. The platform decides which apps a tenant may release, from
 * which image repositories, in which environment, with how many replicas; a release that asks for
 * more is refused with the reason before anything is registered. Pure.
 */
import type { ConfigProblem } from "./config-problems";
import { type PlainReleaseConfig, releaseName } from "./release-schema";
import { TENANT_SETTINGS_CONFIGMAP, type TenantReleaseSettings } from "./tenant-contract";

/** The rollout policy the canary command walks through: the platform's, exported by the release stack. */
export interface RolloutSettings {
    readonly steps: readonly number[];
    readonly bakeSeconds: number;
    /** Requests per independent routing draw in the split check: the sticky clients' count, else 1. */
    readonly splitDesignEffect: number;
    readonly analysis: TenantReleaseSettings["canary"]["analysis"];
}

/** Every way the release's config oversteps its tenant's settings. */
export function releaseSettingsProblems(config: PlainReleaseConfig, settings: TenantReleaseSettings): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const source = `the ${TENANT_SETTINGS_CONFIGMAP} ConfigMap of namespace ${config.namespace}`;
    if (settings.environment !== config.environment) {
        problems.push({
            path: "environment",
            message: `is ${config.environment}, but ${source} belongs to the ${settings.environment} environment`,
        });
    }
    if (settings.tenant.namespace !== config.namespace) {
        problems.push({
            path: "namespace",
            message: `is ${config.namespace}, but ${source} names ${settings.tenant.namespace}`,
        });
    }
    const name = releaseName(config);
    const key = config.canary !== undefined ? "canary" : "blueGreen";
    if (!settings.tenant.apps.includes(name)) {
        problems.push({
            path: `${key}.name`,
            message: `"${name}" is not an app of tenant ${settings.tenant.name} (apps: ${settings.tenant.apps.join(", ") || "none"})`,
        });
    }
    const image = config.canary?.image ?? config.blueGreen?.image ?? "";
    const prefix = `${settings.tenant.registryPullServer}/${settings.tenant.registryPrefix}/`;
    if (!image.startsWith(prefix)) {
        problems.push({
            path: `${key}.image`,
            message: `"${image}" is not under ${prefix} (the tenant's repositories on the registry's pull endpoint)`,
        });
    }
    const replicas = config.canary?.replicas ?? config.blueGreen?.replicas ?? 0;
    if (replicas < settings.policy.minReplicas) {
        problems.push({
            path: `${key}.replicas`,
            message: `${settings.environment} needs at least ${settings.policy.minReplicas} replicas, got ${replicas}`,
        });
    }
    return problems;
}

export function rolloutSettings(settings: TenantReleaseSettings): RolloutSettings {
    const { steps, bakeSeconds, stickyRequestsPerClient, analysis } = settings.canary;
    const splitDesignEffect = settings.router.stickyCookie === undefined ? 1 : stickyRequestsPerClient;
    return { steps, bakeSeconds, splitDesignEffect, analysis };
}
