import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { PrivateRegistryArgs } from "./args";
import { createPrivateRegistry } from "./create";
import { validatePrivateRegistry } from "./validate";

export type { PrivateRegistryArgs } from "./args";

/**
 * A private image registry (CNCF Distribution) with separate push and pull credentials.
 *
 * Distribution's htpasswd auth has no permissions: every authenticated user may push. So one pod
 * runs two registry processes over the same volume: `push` (port 5000) knows only the push user;
 * `pull` (port 5001) knows only the pull user, runs in read-only maintenance mode (writes answer
 * 405) and mounts the volume read-only. Each has its Service: `<name>` (pull) and `<name>-push`.
 *
 * Storage is a ReadWriteOnce claim, so the Deployment has one replica and the `Recreate` strategy
 * (a surge pod on another node could not attach the volume). The claim outlives `destroy` unless
 * `allowDataDeletion`; pass its name back as `existingClaimName` to reuse it.
 *
 * Garbage collection (a CronJob running `registry garbage-collect` against the writer's config):
 * - it needs the same ReadWriteOnce volume read-write, so its pod has a required pod affinity to
 *   the registry pod's node (ReadWriteOnce is per node, not per pod; ReadWriteOncePod would block it).
 *   With the registry pod down, the job cannot schedule and fails at its deadline;
 * - Distribution's collector is not safe against concurrent pushes: a layer uploaded during the
 *   mark phase whose manifest arrives later is swept, leaving a broken image. So the collection
 *   never runs while the writer accepts pushes: the writer runs under a supervisor that, on the
 *   collector's request, restarts it in read-only mode (pushes answer 405 and succeed when
 *   retried afterwards) and acknowledges only once the writable process has exited; the collector
 *   withdraws its request when it ends, also on failure, and a request it stops refreshing
 *   expires after a minute (see `gc.ts`). Runs never overlap (`Forbid`);
 * - with deletes or garbage collection on, the blob descriptor cache is off, so neither process
 *   answers from a stale cache for a blob that is gone;
 * - Distribution 2.8 fails to collect on storage that never held a blob; an init container creates
 *   the empty blob directory first, so a run before the first push succeeds and does nothing.
 */
export class PrivateRegistry extends pulumi.ComponentResource {
    public readonly pushUsername: pulumi.Output<string>;
    /** Secret output. */
    public readonly pushPassword: pulumi.Output<string>;
    public readonly pullUsername: pulumi.Output<string>;
    /** Secret output. */
    public readonly pullPassword: pulumi.Output<string>;
    /** `host:port` of the read-only pull endpoint: the `server` for image pull Secrets and image names. */
    public readonly endpoint: pulumi.Output<string>;
    /** Same as `endpoint`. */
    public readonly pullEndpoint: pulumi.Output<string>;
    /** `host:port` CI pushes to. */
    public readonly pushEndpoint: pulumi.Output<string>;
    /** The writer's `config.yml` (holds no secret: `http.secret` comes from the environment). */
    public readonly pushConfig: string;
    /** The read-only reader's config. */
    public readonly pullConfig: string;
    public readonly claimName: pulumi.Output<string>;
    public readonly configMap: k8s.core.v1.ConfigMap;
    public readonly secret: k8s.core.v1.Secret;
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly pullService: k8s.core.v1.Service;
    public readonly pushService: k8s.core.v1.Service;
    public readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
    public readonly claim?: k8s.core.v1.PersistentVolumeClaim;
    public readonly garbageCollection?: k8s.batch.v1.CronJob;

    constructor(name: string, args: PrivateRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        validatePrivateRegistry(name, args);
        super("cicd:registry:PrivateRegistry", name, {}, opts);

        const children = createPrivateRegistry(name, this, args);
        this.pushUsername = children.pushUsername;
        this.pullUsername = children.pullUsername;
        this.pushPassword = children.pushPassword;
        this.pullPassword = children.pullPassword;
        this.pushConfig = children.pushConfig;
        this.pullConfig = children.pullConfig;
        this.configMap = children.configMap;
        this.secret = children.secret;
        this.claim = children.claim;
        this.claimName = children.claimName;
        this.deployment = children.deployment;
        this.pullService = children.pullService;
        this.pushService = children.pushService;
        this.pullEndpoint = children.pullEndpoint;
        this.pushEndpoint = children.pushEndpoint;
        this.endpoint = children.pullEndpoint;
        this.networkPolicy = children.networkPolicy;
        this.garbageCollection = children.garbageCollection;
        this.registerOutputs({
            endpoint: this.endpoint,
            pullEndpoint: this.pullEndpoint,
            pushEndpoint: this.pushEndpoint,
            pushUsername: this.pushUsername,
            pullUsername: this.pullUsername,
            claimName: this.claimName,
            configMapName: this.configMap.metadata.name,
        });
    }
}
