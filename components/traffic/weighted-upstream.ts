import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { ROUTER_DEFAULTS, WORKLOAD_DEFAULTS } from "../shared/defaults";
import { type ChildOptions, childOf } from "../shared/component";
import { DERIVED_NAMES, derivedNameProblems, NAME_SUFFIXES } from "../shared/names";
import { ArgChecks } from "../shared/validators";
import { renderNginxConfig } from "./nginx-config";
import type { UpstreamTuning } from "./upstream-tuning";
import { trackWeights, type TrackWeights } from "./traffic-split";
import {
    commonLabels,
    type ContainerResources,
    pullSecretRefs,
    resourceRequirements,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
    tmpVolume,
} from "../shared/workload";
import { SPREAD_WAIVER } from "../shared/lint-waivers";
import { type ImagePullPolicy, pullPolicyFor, replicaSpread, type SpreadSettings } from "../shared/placement";
import { httpProbes, type ProbeTuning } from "../shared/probes";

export interface WeightedUpstreamArgs extends UpstreamTuning<pulumi.Input<number>> {
    /** Namespace of the ConfigMap, Deployment and Service. */
    readonly namespace: pulumi.Input<string>;
    /** `host:port` of the stable backend, usually its Service's DNS name. */
    readonly stableBackend: pulumi.Input<string>;
    /** `host:port` of the canary backend. Ignored while `canaryPercent` is 0. */
    readonly canaryBackend: pulumi.Input<string>;
    /** Share of requests for the canary, an integer percentage 0-100. */
    readonly canaryPercent: pulumi.Input<number>;
    /** Label `app.kubernetes.io/name` of the router pods. @default the component name */
    readonly app?: string;
    /** An unprivileged nginx image. @default {@link ROUTER_DEFAULTS}.image */
    readonly image?: pulumi.Input<string>;
    /** Router replicas. @default {@link ROUTER_DEFAULTS}.replicas */
    readonly replicas?: pulumi.Input<number>;
    /** Port nginx listens on inside the pod. @default {@link ROUTER_DEFAULTS}.containerPort */
    readonly containerPort?: number;
    /** Port of the router Service. @default {@link WORKLOAD_DEFAULTS}.servicePort */
    readonly servicePort?: pulumi.Input<number>;
    /** Container resources. @default {@link ROUTER_DEFAULTS}.resources (ephemeral storage and `/tmp`: {@link APP_RESOURCES}) */
    readonly resources?: ContainerResources;
    /** Probe periods and thresholds (readiness on `/healthz`, liveness a TCP check). @default {@link PROBE_DEFAULTS} */
    readonly probes?: ProbeTuning;
    /** How the router replicas are spread over nodes. @default {@link SPREAD_DEFAULTS} */
    readonly spread?: SpreadSettings;
    /** @default by reference: IfNotPresent for a digest, Always for a tag */
    readonly imagePullPolicy?: ImagePullPolicy;
    /** Names of `kubernetes.io/dockerconfigjson` Secrets for pulling the nginx image. */
    readonly imagePullSecrets?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * nginx in front of a stable and a canary backend, splitting requests by exact integer weights.
 *
 * The config lives in an auto-named ConfigMap: a weight change creates a new ConfigMap, which changes
 * the pod template and rolls the router with surge and no unavailability, so no request is dropped.
 */
export class WeightedUpstream extends pulumi.ComponentResource {
    /** The full `nginx.conf` the router runs. */
    public readonly nginxConfig: pulumi.Output<string>;
    /** The weights written into the upstream block. */
    public readonly weights: pulumi.Output<TrackWeights>;
    public readonly configMapName: pulumi.Output<string>;
    public readonly deploymentName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: WeightedUpstreamArgs, opts?: pulumi.ComponentResourceOptions) {
        validateWeightedUpstreamArgs(name, args);
        super("cicd:traffic:WeightedUpstream", name, {}, opts);

        const children = createWeightedUpstream(name, this, args);
        this.nginxConfig = children.nginxConfig;
        this.weights = children.weights;
        this.configMapName = children.configMap.metadata.name;
        this.deploymentName = children.deployment.metadata.name;
        this.serviceName = children.service.metadata.name;
        this.registerOutputs({
            nginxConfig: this.nginxConfig,
            weights: this.weights,
            configMapName: this.configMapName,
            deploymentName: this.deploymentName,
            serviceName: this.serviceName,
        });
    }
}

/** The objects a WeightedUpstream registers, and the config and weights it renders. */
export interface WeightedUpstreamChildren {
    readonly configMap: k8s.core.v1.ConfigMap;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly podDisruptionBudget: k8s.policy.v1.PodDisruptionBudget;
    readonly service: k8s.core.v1.Service;
    readonly nginxConfig: pulumi.Output<string>;
    readonly weights: pulumi.Output<TrackWeights>;
}

/**
 * Every problem of the arguments that needs no resolved Output, thrown together.
 * @internal
 */
export function validateWeightedUpstreamArgs(name: string, args: WeightedUpstreamArgs): void {
    const checks = new ArgChecks("WeightedUpstream", name);
    checks.addAll(derivedNameProblems(DERIVED_NAMES.weightedUpstream, { name, app: args.app }));
    checks.throwIfAny();
}

/**
 * The router's children, parented to `parent`: the nginx.conf ConfigMap, the Deployment, its
 * PodDisruptionBudget and the Service.
 * @internal
 */
export function createWeightedUpstream(
    name: string,
    parent: pulumi.Resource,
    args: WeightedUpstreamArgs,
    opts?: ChildOptions,
): WeightedUpstreamChildren {
    const child = childOf(parent, opts);
    const app = args.app ?? name;
    const containerPort = args.containerPort ?? ROUTER_DEFAULTS.containerPort;
    const labels = { ...commonLabels(app, "router"), app };
    const selector = { app, "app.kubernetes.io/component": "router" };

    const weights = pulumi.output(args.canaryPercent).apply(trackWeights);
    const nginxConfig = pulumi
        .all([
            args.stableBackend,
            args.canaryBackend,
            args.canaryPercent,
            args.maxFails,
            args.failTimeoutSeconds,
            args.keepalive,
        ])
        .apply(([stable, canary, canaryPercent, maxFails, failTimeoutSeconds, keepalive]) =>
            renderNginxConfig({
                name: upstreamName(app),
                stable,
                canary,
                canaryPercent,
                maxFails,
                failTimeoutSeconds,
                keepalive,
                stickyCookie: args.stickyCookie,
                listen: String(containerPort),
            }),
        );

    // No metadata.name: Pulumi auto-names it, so new data means a new ConfigMap and a rollout.
    const configMap = new k8s.core.v1.ConfigMap(
        `${name}${NAME_SUFFIXES.routerConfig}`,
        { metadata: { namespace: args.namespace, labels }, data: { "nginx.conf": nginxConfig } },
        child,
    );
    const deployment = new k8s.apps.v1.Deployment(
        name,
        routerDeploymentArgs(args, { labels, selector, containerPort, configMapName: configMap.metadata.name }),
        child,
    );
    // Voluntary disruptions (node drains) take one router pod at a time, never the whole edge.
    const podDisruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
        name,
        {
            metadata: { namespace: args.namespace, labels },
            spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
        },
        child,
    );
    const service = new k8s.core.v1.Service(name, routerServiceArgs(args, labels, selector), child);

    return { configMap, deployment, podDisruptionBudget, service, nginxConfig, weights };
}

/**
 * What the router's Deployment takes besides the Args: its labels and the ConfigMap it mounts.
 * @internal
 */
export interface RouterPodContext {
    readonly labels: Record<string, string>;
    readonly selector: Record<string, string>;
    readonly containerPort: number;
    readonly configMapName: pulumi.Input<string>;
}

/**
 * The router's Deployment: restricted nginx pods rolled with surge and no unavailability.
 * @internal
 */
export function routerDeploymentArgs(args: WeightedUpstreamArgs, ctx: RouterPodContext): k8s.apps.v1.DeploymentArgs {
    const { labels, selector, containerPort } = ctx;
    const replicas = args.replicas ?? ROUTER_DEFAULTS.replicas;
    const image = args.image ?? ROUTER_DEFAULTS.image;
    return {
        metadata: { namespace: args.namespace, labels, annotations: SPREAD_WAIVER },
        spec: {
            replicas,
            selector: { matchLabels: selector },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
            template: {
                metadata: { labels },
                spec: {
                    automountServiceAccountToken: false,
                    securityContext: restrictedPodSecurityContext(),
                    imagePullSecrets: pullSecretRefs(args.imagePullSecrets),
                    terminationGracePeriodSeconds: 30,
                    ...replicaSpread(selector, replicas, args.spread),
                    containers: [
                        {
                            name: "nginx",
                            image,
                            imagePullPolicy: pullPolicyFor(image, args.imagePullPolicy),
                            command: ["nginx", "-c", "/etc/nginx/weighted/nginx.conf", "-g", "daemon off;"],
                            ports: [{ name: "http", containerPort }],
                            securityContext: restrictedContainerSecurityContext(),
                            resources: resourceRequirements(args.resources ?? ROUTER_DEFAULTS.resources),
                            ...httpProbes(containerPort, "/healthz", args.probes),
                            // Endpoints lag pod termination; keep serving until removed from them.
                            lifecycle: { preStop: { exec: { command: ["sleep", "5"] } } },
                            volumeMounts: [
                                { name: "config", mountPath: "/etc/nginx/weighted", readOnly: true },
                                { name: "tmp", mountPath: "/tmp" },
                            ],
                        },
                    ],
                    volumes: [{ name: "config", configMap: { name: ctx.configMapName } }, tmpVolume(args.resources)],
                },
            },
        },
    };
}

/**
 * The router's ClusterIP Service, port `http`.
 * @internal
 */
export function routerServiceArgs(
    args: WeightedUpstreamArgs,
    labels: Record<string, string>,
    selector: Record<string, string>,
): k8s.core.v1.ServiceArgs {
    return {
        metadata: { namespace: args.namespace, labels },
        spec: {
            type: "ClusterIP",
            selector,
            ports: [{ name: "http", port: args.servicePort ?? WORKLOAD_DEFAULTS.servicePort, targetPort: "http" }],
        },
    };
}

/**
 * nginx upstream names allow fewer characters than Kubernetes names.
 * @internal
 */
export function upstreamName(app: string): string {
    return app.replace(/[^A-Za-z0-9_]/g, "_");
}
