import type { Provider } from "@pulumi/kubernetes/provider";
import type * as pulumi from "@pulumi/pulumi";

import {
    BlueGreenRelease,
    type BlueGreenReleaseArgs,
    CanaryRelease,
    type CanaryReleaseArgs,
} from "../components/release";
import type { ReleaseConfig } from "../config/release-load";
import { type RolloutSettings, rolloutSettings } from "../config/release-settings";
import type { TenantReleaseSettings } from "../config/tenant-contract";
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
 * The one release of a release stack, in its tenant's namespace, through the tenant's provider:
 * Kubernetes itself refuses anything outside that namespace. The platform's values are plain here.
 */
export function createRelease(
    config: ReleaseConfig,
    settings: TenantReleaseSettings,
    provider: Provider,
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
