import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

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
 * Service and PodDisruptionBudget. Children are parented to the calling component.
 * @internal
 */
export function createAppTrack(parent: pulumi.Resource, childName: string, args: AppTrackArgs): AppTrack {
    const selector = { app: args.app, [args.trackLabel]: args.track };
    const labels = { ...commonLabels(args.app, "app"), ...selector };
    const podLabels = { ...labels, version: versionLabel(args.version) };
    const fullName = trackObjectName(args.app, args.track);
    const image = imageRef(args.image, args.version);

    const deployment = new k8s.apps.v1.Deployment(
        childName,
        {
            metadata: {
                name: fullName,
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
        },
        { parent },
    );

    const service = args.service
        ? new k8s.core.v1.Service(
              childName,
              {
                  metadata: { name: fullName, namespace: args.namespace, labels },
                  spec: {
                      type: "ClusterIP",
                      selector,
                      ports: [{ name: "http", port: args.servicePort, targetPort: "http" }],
                  },
              },
              { parent },
          )
        : undefined;

    const podDisruptionBudget = args.disruptionBudget
        ? new k8s.policy.v1.PodDisruptionBudget(
              childName,
              {
                  metadata: { name: fullName, namespace: args.namespace, labels },
                  spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
              },
              { parent },
          )
        : undefined;

    return { deployment, service, podDisruptionBudget, selector };
}
