import * as pulumi from "@pulumi/pulumi";

import { CANARY_DEFAULTS } from "../shared/defaults";
import { DERIVED_NAMES, derivedNameProblems, NAME_SUFFIXES } from "../shared/names";
import { ArgChecks } from "../shared/validators";
import { canaryReplicas } from "../traffic/traffic-split";
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
     * @default 0
     */
    readonly canaryPercent?: number;
    /** Router image. @default "nginxinc/nginx-unprivileged:1.27.5-alpine" */
    readonly routerImage?: pulumi.Input<string>;
    /** Router replicas. @default 2 */
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
        const canaryPercent = args.canaryPercent ?? CANARY_DEFAULTS.canaryPercent;
        const canaryCount = canaryReplicas(args.replicas, canaryPercent);
        super("cicd:release:CanaryRelease", name, {}, opts);

        this.replicas = { stable: args.replicas, canary: canaryCount };
        const common = { ...resolveWorkload(name, args), trackLabel: "track" };
        const { app, servicePort } = common;

        this.stable = createAppTrack(`${name}-stable`, this, {
            ...common,
            track: "stable",
            version: args.stableVersion,
            replicas: this.replicas.stable,
        });
        if (canaryPercent > 0 && args.canaryVersion !== undefined) {
            this.canary = createAppTrack(`${name}-canary`, this, {
                ...common,
                track: "canary",
                version: args.canaryVersion,
                replicas: this.replicas.canary,
            });
        }

        const backend = (track: AppTrack | undefined, fallback: string): pulumi.Input<string> =>
            track?.service
                ? pulumi.interpolate`${track.service.metadata.name}.${track.service.metadata.namespace}.svc:${servicePort}`
                : fallback;
        const stableBackend = backend(this.stable, `${app}-stable:${servicePort}`);
        this.router = new WeightedUpstream(
            `${name}${NAME_SUFFIXES.router}`,
            {
                namespace: args.namespace,
                app: `${app}${NAME_SUFFIXES.router}`,
                stableBackend,
                // Unused at 0%: the renderer leaves the canary server out.
                canaryBackend: this.canary ? backend(this.canary, "") : stableBackend,
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
            { parent: this },
        );

        this.registerOutputs({
            stableDeployment: this.stable.deployment.metadata.name,
            canaryDeployment: this.canary?.deployment.metadata.name,
            routerService: this.router.serviceName,
            weights: this.router.weights,
        });
    }
}

/**
 * Every problem of the plain arguments, thrown together before anything is registered: a
 * half-built release must never reach the engine.
 * @internal
 */
export function validateCanaryReleaseArgs(name: string, args: CanaryReleaseArgs): void {
    const checks = new ArgChecks("CanaryRelease", name);
    const canaryPercent = args.canaryPercent ?? CANARY_DEFAULTS.canaryPercent;
    if (!Number.isInteger(canaryPercent) || canaryPercent < 0 || canaryPercent > 100) {
        checks.add("canaryPercent", `${String(canaryPercent)} is not a percentage (an integer 0-100)`);
    } else if (canaryPercent > 0 && args.canaryVersion === undefined) {
        checks.add("canaryVersion", `is required when canaryPercent is ${canaryPercent}`);
    }
    if (!Number.isInteger(args.replicas) || args.replicas < 1) {
        checks.add("replicas", `${String(args.replicas)} is not a positive integer`);
    }
    checks.addAll(derivedNameProblems(DERIVED_NAMES.canaryRelease, { name, app: args.app }));
    checks.throwIfAny();
}
