import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    BlueGreenRelease,
    type BlueGreenReleaseArgs,
    CanaryRelease,
    type CanaryReleaseArgs,
} from "../components/release";
import { StackConfigError } from "../config/config-problems";
import type { ReleaseConfig } from "../config/release-load";
import { RELEASE_PROJECT } from "../config/release-schema";
import { releaseSettingsProblems, type RolloutSettings, rolloutSettings } from "../config/release-settings";
import {
    parseTenantSettingsData,
    TENANT_SETTINGS_CONFIGMAP,
    type TenantReleaseSettings,
} from "../config/tenant-contract";
import { argsOf } from "./args-of";

/** What a release stack exports: plain values the canary command and people read, never a secret. */
export interface ReleaseStackOutputs {
    readonly environment: string;
    readonly namespace: string;
    readonly tenant: string;
    readonly release: { readonly kind: "canary" | "blueGreen"; readonly name: string };
    /** The platform's rollout policy the canary command walks through (from the settings ConfigMap). */
    readonly rollout: RolloutSettings;
    /** Prometheus base URL the platform names for this environment ("" when it names none). */
    readonly prometheusUrl: string;
    readonly routerService?: pulumi.Output<string>;
    readonly weights?: pulumi.Output<{ stable: number; canary: number }>;
    readonly activeColor?: string;
    readonly service?: pulumi.Output<string>;
}

/**
 * The environment stack's provider is named "kubernetes": a release moved out of it with
 * `pulumi state move` (scripts/release-move) arrives with that provider, and the alias makes it
 * this one, updated in place to the tenant's credential rather than replaced by a new provider.
 */
export const MOVED_PROVIDER_NAME = "kubernetes";

/** The provider of every object of the release: the tenant's credential, and no other. */
export function tenantProvider(config: ReleaseConfig): k8s.Provider {
    return new k8s.Provider(
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
export async function readTenantSettings(
    config: ReleaseConfig,
    provider: k8s.Provider,
): Promise<TenantReleaseSettings> {
    const settingsMap = k8s.core.v1.ConfigMap.get(
        "tenant-settings",
        `${config.namespace}/${TENANT_SETTINGS_CONFIGMAP}`,
        { provider },
    );
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
 * The one release of a release stack, in its tenant's namespace, through the tenant's provider:
 * Kubernetes itself refuses anything outside that namespace. The platform's values are plain here.
 */
export function createRelease(
    config: ReleaseConfig,
    settings: TenantReleaseSettings,
    provider: k8s.Provider,
): ReleaseStackOutputs {
    const shared = { namespace: config.namespace, imagePullSecrets: [...settings.tenant.pullSecretNames] };
    const common = {
        environment: config.environment,
        namespace: config.namespace,
        tenant: settings.tenant.name,
        rollout: rolloutSettings(settings),
        prometheusUrl: settings.prometheusUrl ?? "",
    };
    if (config.canary !== undefined) {
        const { name, port, ...workload } = config.canary;
        const { image: routerImage, replicas: routerReplicas, ...tuning } = settings.router;
        const release = new CanaryRelease(
            name,
            {
                ...argsOf<CanaryReleaseArgs>()(workload),
                ...argsOf<CanaryReleaseArgs>()(tuning),
                ...shared,
                containerPort: port,
                routerImage,
                routerReplicas,
            },
            { provider },
        );
        return {
            ...common,
            release: { kind: "canary", name },
            routerService: release.router.serviceName,
            weights: release.router.weights,
        };
    }
    // The schema guarantees one of the two. The watch drives `canary switch`, not the resources.
    const {
        name,
        port,
        active,
        watch: _watch,
        ...blueGreen
    } = config.blueGreen as NonNullable<ReleaseConfig["blueGreen"]>;
    const release = new BlueGreenRelease(
        name,
        { ...argsOf<BlueGreenReleaseArgs>()(blueGreen), ...shared, activeColor: active, containerPort: port },
        { provider },
    );
    return {
        ...common,
        release: { kind: "blueGreen", name },
        activeColor: release.activeColor,
        service: release.service.metadata.name,
    };
}

/** The whole release stack: the tenant's provider, its settings, its release. */
export async function createReleaseStack(config: ReleaseConfig): Promise<ReleaseStackOutputs> {
    const provider = tenantProvider(config);
    return createRelease(config, await readTenantSettings(config, provider), provider);
}
