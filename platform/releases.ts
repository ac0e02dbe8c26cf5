import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

import {
    BlueGreenRelease,
    type BlueGreenReleaseArgs,
    CanaryRelease,
    type CanaryReleaseArgs,
    type EnvironmentNamespace,
} from "../components";
import type { StackConfig } from "../config/load";
import type { AppConfig } from "../config/schema";
import { argsOf } from "./args-of";

/** Where every release runs and what it pulls with. */
export interface ReleaseTarget {
    readonly kubernetes: k8s.Provider;
    readonly namespace: EnvironmentNamespace;
    readonly imagePullSecrets: pulumi.Input<string>[];
    /** Pull credentials must exist before pods try to pull. */
    readonly dependsOn: pulumi.Resource[];
}

function canaryRelease(app: AppConfig, config: StackConfig, target: ReleaseTarget): CanaryRelease {
    const { name, port, ...workload } = app;
    // steps, analysis, the bake and the sticky clients' request count drive the canary command, not
    // the resources.
    const { steps, analysis, bakeSeconds, stickyRequestsPerClient, ...router } = config.canary;
    return new CanaryRelease(
        name,
        {
            ...argsOf<CanaryReleaseArgs>()(workload),
            ...argsOf<CanaryReleaseArgs>()(router),
            containerPort: port,
            namespace: target.namespace.namespaceName,
            imagePullSecrets: target.imagePullSecrets,
        },
        { provider: target.kubernetes, dependsOn: target.dependsOn },
    );
}

export function createCanaryReleases(config: StackConfig, target: ReleaseTarget): Map<string, CanaryRelease> {
    return new Map(config.apps.map((app) => [app.name, canaryRelease(app, config, target)]));
}

export function createBlueGreenRelease(config: StackConfig, target: ReleaseTarget): BlueGreenRelease | undefined {
    if (config.blueGreen === undefined) {
        return undefined;
    }
    // The watch drives `canary switch`, not the resources.
    const { name, port, active, watch, ...release } = config.blueGreen;
    return new BlueGreenRelease(
        name,
        {
            ...argsOf<BlueGreenReleaseArgs>()(release),
            activeColor: active,
            containerPort: port,
            namespace: target.namespace.namespaceName,
            imagePullSecrets: target.imagePullSecrets,
        },
        { provider: target.kubernetes, dependsOn: target.dependsOn },
    );
}
