import * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../shared/component";
import { CANARY_DEFAULTS, ROUTER_DEFAULTS } from "../shared/defaults";
import { DERIVED_NAMES, derivedNameProblems, NAME_SUFFIXES } from "../shared/names";
import { ArgChecks } from "../shared/validators";
import { canaryReplicas, percentProblem } from "../traffic/traffic-split";
import type { UpstreamTuning } from "../traffic/upstream-tuning";
import { WeightedUpstream } from "../traffic/weighted-upstream";
import { type AppTrack, createAppTrack } from "./app-track";
import { type AppWorkloadArgs, resolveWorkload } from "./app-workload";

export interface CanaryReleaseArgs extends AppWorkloadArgs, UpstreamTuning<pulumi.Input<number>> {
    /** Tag or `sha256:` digest the stable track runs. */
    readonly stableVersion: pulumi.Input<string>;
    /** Tag or digest the canary track runs. Required when `canaryPercent` is above 0. */
    readonly canaryVersion?: pulumi.Input<string>;
    /**
     * Share of requests for the canary, an integer 0-100. A plain number, not an Input: at 0 the
     * canary workload does not exist at all, and whether a resource exists must be known up front.
     * @default {@link CANARY_DEFAULTS}.canaryPercent
     */
    readonly canaryPercent?: number;
    /** Router image. @default {@link ROUTER_DEFAULTS}.image */
    readonly routerImage?: pulumi.Input<string>;
    /** Router replicas. @default {@link ROUTER_DEFAULTS}.replicas */
    readonly routerReplicas?: pulumi.Input<number>;
}

/**
 * A stable and a canary track of one application behind an nginx weighted upstream. The canary
 * track exists only while it gets traffic; rollback is `canaryPercent: 0`, promotion is
 * `stableVersion: <canary>` with `canaryPercent: 0`, each a single `pulumi up`.
 */
export class CanaryRelease extends pulumi.ComponentResource {
    public readonly stable: AppTrack;
    public readonly canary?: AppTrack;
    public readonly router: WeightedUpstream;
    /** Replicas per track, as deployed. */
    public readonly replicas: { readonly stable: number; readonly canary: number };

    constructor(name: string, args: CanaryReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        validateCanaryReleaseArgs(name, args);
        super("cicd:release:CanaryRelease", name, {}, opts);

        const children = createCanaryRelease(name, this, args);
        this.replicas = children.replicas;
        this.stable = children.stable;
        this.canary = children.canary;
        this.router = children.router;
        this.registerOutputs({
            stableDeployment: this.stable.deployment.metadata.name,
            canaryDeployment: this.canary?.deployment.metadata.name,
            routerService: this.router.serviceName,
            weights: this.router.weights,
        });
    }
}

/** What a CanaryRelease registers: its tracks and its router, and the replicas each track got. */
export interface CanaryReleaseChildren {
    readonly replicas: { readonly stable: number; readonly canary: number };
    readonly stable: AppTrack;
    readonly canary?: AppTrack;
    readonly router: WeightedUpstream;
}

/**
 * The release's children, parented to `parent`: the stable track, the canary track while it gets
 * traffic, and the weighted router in front of both.
 * @internal
 */
export function createCanaryRelease(
    name: string,
    parent: pulumi.Resource,
    args: CanaryReleaseArgs,
    opts?: ChildOptions,
): CanaryReleaseChildren {
    const canaryPercent = args.canaryPercent ?? CANARY_DEFAULTS.canaryPercent;
    const replicas = { stable: args.replicas, canary: canaryReplicas(args.replicas, canaryPercent) };
    const common = { ...resolveWorkload(name, args), trackLabel: "track" };
    const { app, servicePort } = common;

    const stable = createAppTrack(
        `${name}-stable`,
        parent,
        { ...common, track: "stable", version: args.stableVersion, replicas: replicas.stable },
        opts,
    );
    const canary =
        canaryPercent > 0 && args.canaryVersion !== undefined
            ? createAppTrack(
                  `${name}-canary`,
                  parent,
                  { ...common, track: "canary", version: args.canaryVersion, replicas: replicas.canary },
                  opts,
              )
            : undefined;

    const backend = (track: AppTrack | undefined, fallback: string): pulumi.Input<string> =>
        track?.service
            ? pulumi.interpolate`${track.service.metadata.name}.${track.service.metadata.namespace}.svc:${servicePort}`
            : fallback;
    const stableBackend = backend(stable, `${app}-stable:${servicePort}`);
    const router = new WeightedUpstream(
        `${name}${NAME_SUFFIXES.router}`,
        {
            namespace: args.namespace,
            app: `${app}${NAME_SUFFIXES.router}`,
            stableBackend,
            // Unused at 0%: the renderer leaves the canary server out.
            canaryBackend: canary ? backend(canary, "") : stableBackend,
            canaryPercent,
            image: args.routerImage,
            replicas: args.routerReplicas,
            maxFails: args.maxFails,
            failTimeoutSeconds: args.failTimeoutSeconds,
            keepalive: args.keepalive,
            stickyCookie: args.stickyCookie,
            spread: args.spread,
            imagePullSecrets: args.imagePullSecrets,
        },
        // The canary's Service is not awaited: the router sends it traffic only once its pods are ready.
        pulumi.mergeOptions(childOf(parent, opts), { dependsOn: canary ? [canary.deployment] : [] }),
    );
    return { replicas, stable, canary, router };
}

/**
 * Every problem of the plain arguments, thrown together before anything is registered: a
 * half-built release must never reach the engine.
 * @internal
 */
export function validateCanaryReleaseArgs(name: string, args: CanaryReleaseArgs): void {
    const checks = new ArgChecks("CanaryRelease", name);
    const canaryPercent = args.canaryPercent ?? CANARY_DEFAULTS.canaryPercent;
    const percentError = percentProblem(canaryPercent);
    if (percentError !== undefined) {
        checks.add("canaryPercent", percentError);
    } else if (canaryPercent > 0 && args.canaryVersion === undefined) {
        checks.add("canaryVersion", `is required when canaryPercent is ${canaryPercent}`);
    }
    if (!Number.isInteger(args.replicas) || args.replicas < 1) {
        checks.add("replicas", `${String(args.replicas)} is not a positive integer`);
    }
    checks.addAll(derivedNameProblems(DERIVED_NAMES.canaryRelease, { name, app: args.app }));
    checks.throwIfAny();
}
