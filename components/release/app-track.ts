import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../shared/component";
import {
    commonLabels,
    type ContainerResources,
    imageRef,
    prometheusScrapeAnnotations,
    pullSecretRefs,
    resourceRequirements,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
    tmpVolume,
    versionLabel,
} from "../shared/workload";
import { CANARY_REPLICAS_WAIVER, SPREAD_WAIVER } from "../shared/lint-waivers";
import { type ImagePullPolicy, pullPolicyFor, replicaSpread, type SpreadSettings } from "../shared/placement";
import { httpProbes, type ProbeTuning } from "../shared/probes";
import { type TrackName, trackObjectName } from "../shared/names";

/**
 * What a track of an application runs; shared by canary (stable/canary) and blue-green (blue/green).
 * @internal
 */
export interface AppTrackArgs {
    readonly namespace: pulumi.Input<string>;
    /** Label `app`, shared by every track of the application. */
    readonly app: string;
    /** Which label tells tracks apart: `track` for canary, `color` for blue-green. */
    readonly trackLabel: string;
    /** Value of `trackLabel`, e.g. `stable`, `canary`, `blue`. */
    readonly track: TrackName;
    readonly image: pulumi.Input<string>;
    readonly version: pulumi.Input<string>;
    readonly replicas: pulumi.Input<number>;
    readonly containerPort: number;
    readonly servicePort: pulumi.Input<number>;
    readonly healthPath: pulumi.Input<string>;
    readonly metricsPath: pulumi.Input<string>;
    readonly resources?: ContainerResources;
    readonly probes?: ProbeTuning;
    readonly spread?: SpreadSettings;
    /** @default by reference: IfNotPresent for a digest, Always for a tag */
    readonly imagePullPolicy?: ImagePullPolicy;
    readonly imagePullSecrets?: pulumi.Input<pulumi.Input<string>[]>;
    /** Create a PodDisruptionBudget allowing one pod down at a time. */
    readonly disruptionBudget: boolean;
    /** Create a Service named `<app>-<track>` selecting only this track. */
    readonly service: boolean;
}

export interface AppTrack {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service?: k8s.core.v1.Service;
    readonly podDisruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
    /** Labels the track's pods carry and its Service selects (without `version`). */
    readonly selector: Record<string, string>;
}

/**
 * One track of an application: a Deployment running the restricted pod profile, optionally its own
 * Service and PodDisruptionBudget, each named `name` and parented to `parent` (the release).
 * @internal
 */
export function createAppTrack(
    name: string,
    parent: pulumi.Resource,
    args: AppTrackArgs,
    opts?: ChildOptions,
): AppTrack {
    const child = childOf(parent, opts);
    const selector = appTrackSelector(args);
    const deployment = new k8s.apps.v1.Deployment(name, appTrackDeploymentArgs(args), child);
    const service = args.service ? new k8s.core.v1.Service(name, appTrackServiceArgs(args), child) : undefined;
    const podDisruptionBudget = args.disruptionBudget
        ? new k8s.policy.v1.PodDisruptionBudget(name, appTrackDisruptionBudgetArgs(args), child)
        : undefined;
    return { deployment, service, podDisruptionBudget, selector };
}

/** The labels a track's pods carry and its Service selects. */
function appTrackSelector(args: AppTrackArgs): Record<string, string> {
    return { app: args.app, [args.trackLabel]: args.track };
}

/** The labels of every object of a track. */
function appTrackLabels(args: AppTrackArgs): Record<string, string> {
    return { ...commonLabels(args.app, "app"), ...appTrackSelector(args) };
}

/**
 * The track's Deployment `<app>-<track>`: restricted pods, rolled with surge and no unavailability.
 * @internal
 */
export function appTrackDeploymentArgs(args: AppTrackArgs): k8s.apps.v1.DeploymentArgs {
    const selector = appTrackSelector(args);
    const labels = appTrackLabels(args);
    const podLabels = { ...labels, version: versionLabel(args.version) };
    const image = imageRef(args.image, args.version);
    return {
        metadata: {
            name: trackObjectName(args.app, args.track),
            namespace: args.namespace,
            labels,
            annotations: args.track === "canary" ? { ...SPREAD_WAIVER, ...CANARY_REPLICAS_WAIVER } : SPREAD_WAIVER,
        },
        spec: {
            replicas: args.replicas,
            selector: { matchLabels: selector },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
            template: {
                metadata: {
                    labels: podLabels,
                    annotations: prometheusScrapeAnnotations(args.containerPort, args.metricsPath),
                },
                spec: {
                    automountServiceAccountToken: false,
                    securityContext: restrictedPodSecurityContext(),
                    imagePullSecrets: pullSecretRefs(args.imagePullSecrets),
                    ...replicaSpread(selector, args.replicas, args.spread),
                    containers: [
                        {
                            name: "app",
                            image,
                            imagePullPolicy: pullPolicyFor(image, args.imagePullPolicy),
                            ports: [{ name: "http", containerPort: args.containerPort }],
                            env: [
                                { name: "APP_TRACK", value: args.track },
                                { name: "APP_VERSION", value: args.version },
                            ],
                            securityContext: restrictedContainerSecurityContext(),
                            resources: resourceRequirements(args.resources),
                            ...httpProbes(args.containerPort, args.healthPath, args.probes),
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                        },
                    ],
                    volumes: [tmpVolume(args.resources)],
                },
            },
        },
    };
}

/**
 * The canary's Service is created with every canary and deleted with its promotion or rollback, so
 * the provider's readiness wait would run on each: it settles 10 s after every change of the
 * Service's endpoints, a fixed cost on every first canary step. Readiness is the canary
 * Deployment's instead: whatever routes to this Service depends on that Deployment (see
 * `createCanaryRelease`), whose pods are ready when it completes.
 * @internal
 */
export const CANARY_SERVICE_ANNOTATIONS: Readonly<Record<string, string>> = { "pulumi.com/skipAwait": "true" };

/**
 * The track's own ClusterIP Service `<app>-<track>`, selecting only its pods.
 * @internal
 */
export function appTrackServiceArgs(args: AppTrackArgs): k8s.core.v1.ServiceArgs {
    return {
        metadata: {
            name: trackObjectName(args.app, args.track),
            namespace: args.namespace,
            labels: appTrackLabels(args),
            ...(args.track === "canary" ? { annotations: CANARY_SERVICE_ANNOTATIONS } : {}),
        },
        spec: {
            type: "ClusterIP",
            selector: appTrackSelector(args),
            ports: [{ name: "http", port: args.servicePort, targetPort: "http" }],
        },
    };
}

/**
 * The track's PodDisruptionBudget: one pod down at a time.
 * @internal
 */
export function appTrackDisruptionBudgetArgs(args: AppTrackArgs): k8s.policy.v1.PodDisruptionBudgetArgs {
    return {
        metadata: {
            name: trackObjectName(args.app, args.track),
            namespace: args.namespace,
            labels: appTrackLabels(args),
        },
        spec: { maxUnavailable: 1, selector: { matchLabels: appTrackSelector(args) } },
    };
}
