import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { BlueGreenRelease, type BlueGreenReleaseArgs, CanaryRelease, type CanaryReleaseArgs } from "../components";
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
    readonly tenant: pulumi.Output<string>;
    readonly release: { readonly kind: "canary" | "blueGreen"; readonly name: string };
    /** The platform's rollout policy the canary command walks through (from the settings ConfigMap). */
    readonly rollout: pulumi.Output<RolloutSettings>;
    /** Prometheus base URL the platform names for this environment ("" when it names none). */
    readonly prometheusUrl: pulumi.Output<string>;
    readonly routerService?: pulumi.Output<string>;
    readonly weights?: pulumi.Output<{ stable: number; canary: number }>;
    readonly activeColor?: string;
    readonly service?: pulumi.Output<string>;
}

/**
 * The tenant's settings, read from its settings ConfigMap with the tenant's own credential, and
 * checked against the release: a release the platform does not allow stops the program there.
 */
function tenantSettings(config: ReleaseConfig, provider: k8s.Provider): pulumi.Output<TenantReleaseSettings> {
    const settingsMap = k8s.core.v1.ConfigMap.get(
        "tenant-settings",
        `${config.namespace}/${TENANT_SETTINGS_CONFIGMAP}`,
        { provider },
    );
    return settingsMap.data.apply((data) => {
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
    });
}

/**
 * The one release of a release stack, in its tenant's namespace, deployed with the tenant's
 * credential: the explicit provider has no other, so Kubernetes itself refuses anything outside
 * that namespace.
 */
export function createReleaseStack(config: ReleaseConfig): ReleaseStackOutputs {
    const provider = new k8s.Provider("tenant", {
        namespace: config.namespace,
        ...(config.secrets.kubeconfig === undefined ? {} : { kubeconfig: config.secrets.kubeconfig }),
    });
    const settings = tenantSettings(config, provider);
    const router = settings.apply((s) => s.router);
    const shared = {
        namespace: config.namespace,
        imagePullSecrets: settings.apply((s) => [...s.tenant.pullSecretNames]),
    };
    const common = {
        environment: config.environment,
        namespace: config.namespace,
        tenant: settings.apply((s) => s.tenant.name),
        rollout: settings.apply(rolloutSettings),
        prometheusUrl: settings.apply((s) => s.prometheusUrl ?? ""),
    };

    if (config.canary !== undefined) {
        const { name, port, ...workload } = config.canary;
        const release = new CanaryRelease(
            name,
            {
                ...argsOf<CanaryReleaseArgs>()(workload),
                ...shared,
                containerPort: port,
                routerImage: router.apply((r) => r.image),
                routerReplicas: router.apply((r) => r.replicas),
                maxFails: router.apply((r) => r.maxFails),
                failTimeoutSeconds: router.apply((r) => r.failTimeoutSeconds),
                keepalive: router.apply((r) => r.keepalive),
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
    // The schema guarantees one of the two.
    const {
        name,
        port,
        active,
        watch: _watch,
        ...blueGreen
    } = config.blueGreen as NonNullable<ReleaseConfig["blueGreen"]>;
    const release = new BlueGreenRelease(
        name,
        {
            ...argsOf<BlueGreenReleaseArgs>()(blueGreen),
            ...shared,
            activeColor: active,
            containerPort: port,
        },
        { provider },
    );
    return {
        ...common,
        release: { kind: "blueGreen", name },
        activeColor: release.activeColor,
        service: release.service.metadata.name,
    };
}
