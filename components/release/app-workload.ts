import type * as pulumi from "@pulumi/pulumi";

import type { APP_RESOURCES, PROBE_DEFAULTS, SPREAD_DEFAULTS } from "../shared/defaults";
import { WORKLOAD_DEFAULTS } from "../shared/defaults";
import type { ContainerResources } from "../shared/workload";
import type { ImagePullPolicy, SpreadSettings } from "../shared/placement";
import type { ProbeTuning } from "../shared/probes";
import type { AppTrackArgs } from "./app-track";

/** What every release of an application needs, whatever its strategy (canary or blue-green). */
export interface AppWorkloadArgs {
    /** Namespace of every object of the release. */
    readonly namespace: pulumi.Input<string>;
    /** Label `app`, prefix of the per-track names and name of the live Service. @default the component name */
    readonly app?: string;
    /** Image repository, without tag. */
    readonly image: pulumi.Input<string>;
    /** Replicas of the track that takes the traffic (stable, or the active colour). */
    readonly replicas: number;
    /** Port the application listens on. @default {@link WORKLOAD_DEFAULTS}.containerPort */
    readonly containerPort?: number;
    /** Port of the per-track Services. @default {@link WORKLOAD_DEFAULTS}.servicePort */
    readonly servicePort?: number;
    /** Readiness and liveness path. @default {@link WORKLOAD_DEFAULTS}.healthPath */
    readonly healthPath?: pulumi.Input<string>;
    /** Path Prometheus scrapes on `containerPort`. @default {@link WORKLOAD_DEFAULTS}.metricsPath */
    readonly metricsPath?: pulumi.Input<string>;
    /**
     * Application container resources.
     * @default {@link APP_RESOURCES}
     */
    readonly resources?: ContainerResources;
    /** Probe periods and thresholds (readiness on `healthPath`, liveness a TCP check). @default {@link PROBE_DEFAULTS} */
    readonly probes?: ProbeTuning;
    /** How replicas are spread over nodes (from two replicas on). @default {@link SPREAD_DEFAULTS} */
    readonly spread?: SpreadSettings;
    /** @default by reference: IfNotPresent for a `sha256:` digest, Always for a tag */
    readonly imagePullPolicy?: ImagePullPolicy;
    /** Names of `kubernetes.io/dockerconfigjson` Secrets in the namespace. */
    readonly imagePullSecrets?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * The per-track settings both strategies share, with the defaults applied once.
 * @internal
 */
export type ResolvedWorkload = Omit<AppTrackArgs, "track" | "version" | "replicas" | "trackLabel"> & {
    readonly servicePort: number;
};

/** @internal */
export function resolveWorkload(name: string, args: AppWorkloadArgs): ResolvedWorkload {
    return {
        namespace: args.namespace,
        app: args.app ?? name,
        image: args.image,
        containerPort: args.containerPort ?? WORKLOAD_DEFAULTS.containerPort,
        servicePort: args.servicePort ?? WORKLOAD_DEFAULTS.servicePort,
        healthPath: args.healthPath ?? WORKLOAD_DEFAULTS.healthPath,
        metricsPath: args.metricsPath ?? WORKLOAD_DEFAULTS.metricsPath,
        resources: args.resources,
        probes: args.probes,
        spread: args.spread,
        imagePullPolicy: args.imagePullPolicy,
        imagePullSecrets: args.imagePullSecrets,
        disruptionBudget: true,
        service: true,
    };
}
