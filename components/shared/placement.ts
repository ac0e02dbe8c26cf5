/** Where a workload's pods run and when their images are pulled. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { SPREAD_DEFAULTS } from "./defaults";

/** How a workload's replicas are spread over the cluster; the defaults are {@link SPREAD_DEFAULTS}. */
export interface SpreadSettings {
    /** Node label whose values are the domains to spread over. @default {@link SPREAD_DEFAULTS}.topologyKey */
    readonly topologyKey?: string;
    /** Most pods one domain may hold above another. @default {@link SPREAD_DEFAULTS}.maxSkew */
    readonly maxSkew?: number;
    /**
     * `ScheduleAnyway` prefers spreading but still schedules on a cluster with fewer domains than
     * replicas (and during a surge); `DoNotSchedule` leaves such pods pending. @default {@link SPREAD_DEFAULTS}.whenUnsatisfiable
     */
    readonly whenUnsatisfiable?: "ScheduleAnyway" | "DoNotSchedule";
}

/**
 * A topology spread constraint over the workload's own pods when it has two replicas or more;
 * `pod-template-hash` keeps the old and the new ReplicaSet of a rollout from counting together.
 * @internal
 */
export function replicaSpread(
    selector: Record<string, string>,
    replicas: pulumi.Input<number>,
    spread?: SpreadSettings,
): Pick<k8s.types.input.core.v1.PodSpec, "topologySpreadConstraints"> {
    const constraint: k8s.types.input.core.v1.TopologySpreadConstraint = {
        topologyKey: spread?.topologyKey ?? SPREAD_DEFAULTS.topologyKey,
        maxSkew: spread?.maxSkew ?? SPREAD_DEFAULTS.maxSkew,
        whenUnsatisfiable: spread?.whenUnsatisfiable ?? SPREAD_DEFAULTS.whenUnsatisfiable,
        labelSelector: { matchLabels: selector },
        matchLabelKeys: ["pod-template-hash"],
    };
    // Undefined leaves the field out: one replica has nothing to spread.
    const constraints = pulumi.output(replicas).apply((count) => (count >= 2 ? [constraint] : undefined));
    return {
        topologySpreadConstraints: constraints as pulumi.Output<k8s.types.input.core.v1.TopologySpreadConstraint[]>,
    };
}

/** When the kubelet pulls an image. */
export type ImagePullPolicy = "Always" | "IfNotPresent" | "Never";

/**
 * A digest names one image forever, so a cached copy is that image: `IfNotPresent`. A tag can be
 * moved to another image, so `Always`: the kubelet asks the registry which image the tag names now
 * (a manifest request; unchanged layers are not downloaded again) and checks the pull credential
 * on every start. The cost is that a pod cannot start while the registry is unreachable; pin
 * digests (production does) or pass `IfNotPresent` explicitly where that matters more.
 * @internal
 */
export function pullPolicyFor(image: pulumi.Input<string>, override?: ImagePullPolicy): pulumi.Output<ImagePullPolicy> {
    return pulumi
        .output(image)
        .apply((ref): ImagePullPolicy => override ?? (/@sha256:[a-f0-9]{64}$/.test(ref) ? "IfNotPresent" : "Always"));
}
