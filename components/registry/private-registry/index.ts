import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { PRIVATE_REGISTRY_DEFAULTS as DEFAULTS } from "../../shared/defaults";
import { NAME_SUFFIXES } from "../../shared/names";
import { commonLabels, resourceRequirements } from "../../shared/workload";
import type { PrivateRegistryArgs } from "./args";
import { garbageCollectionCronJobArgs } from "./gc";
import { writerSupervisorCommand } from "./gc-scripts";
import { registryEndpoint, registryNetworkPolicyArgs, registryServiceArgs } from "./network";
import { htpasswdFile, REGISTRY_PATHS, registryConfigs, registryDeploymentArgs, type RegistrySpecContext } from "./pod";
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

        const pushUsername = args.pushUsername ?? DEFAULTS.pushUsername;
        const pullUsername = args.pullUsername ?? DEFAULTS.pullUsername;
        const cost = args.bcryptCost ?? DEFAULTS.bcryptCost;
        const servicePort = args.servicePort ?? DEFAULTS.servicePort;
        const labels = commonLabels(name, "registry");

        this.pushUsername = pulumi.output(pushUsername);
        this.pullUsername = pulumi.output(pullUsername);
        this.pushPassword = pulumi.secret(args.pushPassword);
        this.pullPassword = pulumi.secret(args.pullPassword);

        const garbageCollection = args.garbageCollectSchedule !== undefined;
        const configs = registryConfigs({
            deleteEnabled: args.deleteEnabled ?? DEFAULTS.deleteEnabled,
            garbageCollection,
            tls: args.tlsSecretName !== undefined,
        });
        this.pushConfig = configs.push;
        this.pullConfig = configs.pull;

        // No metadata.name: new config means a new ConfigMap, a new pod template and a restart.
        this.configMap = new k8s.core.v1.ConfigMap(
            `${name}${NAME_SUFFIXES.registryConfig}`,
            {
                metadata: { namespace: args.namespace, labels },
                data: {
                    "config.yml": configs.push,
                    "pull.yml": configs.pull,
                    ...(garbageCollection ? { "push-read-only.yml": configs.pushReadOnly } : {}),
                },
            },
            { parent: this },
        );

        // Auto-named too: Distribution 2.8 reads htpasswd once at start, so a rotated password must
        // roll the pod; a changed Secret is replaced under a new name, which does exactly that.
        this.secret = new k8s.core.v1.Secret(
            `${name}${NAME_SUFFIXES.registryAuth}`,
            {
                metadata: { namespace: args.namespace, labels },
                type: "Opaque",
                stringData: {
                    "push.htpasswd": htpasswdFile(pushUsername, args.pushPassword, args.httpSecret, cost),
                    "pull.htpasswd": htpasswdFile(pullUsername, args.pullPassword, args.httpSecret, cost),
                    "http-secret": pulumi.secret(args.httpSecret),
                },
            },
            { parent: this },
        );

        if (args.existingClaimName === undefined) {
            // A fixed name, unlike the ConfigMap: after a `destroy` kept it, an operator finds it
            // by name and passes it back as existingClaimName.
            this.claim = new k8s.core.v1.PersistentVolumeClaim(
                `${name}${NAME_SUFFIXES.registryData}`,
                {
                    metadata: { name: `${name}${NAME_SUFFIXES.registryData}`, namespace: args.namespace, labels },
                    spec: {
                        accessModes: ["ReadWriteOnce"],
                        storageClassName: args.storageClassName,
                        resources: { requests: { storage: args.storageSize ?? DEFAULTS.storageSize } },
                    },
                },
                {
                    parent: this,
                    retainOnDelete: !(args.allowDataDeletion ?? DEFAULTS.allowDataDeletion),
                    protect: args.protectData ?? DEFAULTS.protectData,
                },
            );
            this.claimName = this.claim.metadata.name;
        } else {
            this.claimName = pulumi.output(args.existingClaimName);
        }

        const ctx: RegistrySpecContext = {
            name,
            namespace: args.namespace,
            image: args.image ?? DEFAULTS.image,
            labels,
            selector: { app: name, "app.kubernetes.io/component": "registry" },
            resources: resourceRequirements({ ...DEFAULTS.resources, ...args.resources }),
            imagePullSecrets: args.imagePullSecrets,
            tlsSecretName: args.tlsSecretName,
            configMapName: this.configMap.metadata.name,
            authSecretName: this.secret.metadata.name,
            claimName: this.claimName,
            garbageCollection,
            // The collector never runs while the writer accepts pushes: see gc.ts.
            writerCommand: garbageCollection
                ? writerSupervisorCommand("registry", REGISTRY_PATHS.pushConfig, REGISTRY_PATHS.pushReadOnlyConfig)
                : undefined,
        };
        this.deployment = new k8s.apps.v1.Deployment(name, registryDeploymentArgs(ctx), { parent: this });

        const pushServiceName = `${name}${NAME_SUFFIXES.registryPush}`;
        this.pullService = new k8s.core.v1.Service(name, registryServiceArgs(ctx, name, "pull", servicePort), {
            parent: this,
        });
        this.pushService = new k8s.core.v1.Service(
            pushServiceName,
            registryServiceArgs(ctx, pushServiceName, "push", servicePort),
            { parent: this },
        );
        this.pullEndpoint = registryEndpoint(args.publicPullEndpoint, this.pullService, servicePort);
        this.pushEndpoint = registryEndpoint(args.publicPushEndpoint, this.pushService, servicePort);
        this.endpoint = this.pullEndpoint;

        const peers = {
            pushNamespaces: args.pushNamespaces,
            pullNamespaces: args.pullNamespaces,
            ingressNamespaces: args.ingressNamespaces ?? [],
            pullCidrs: args.pullCidrs ?? [],
        };
        this.networkPolicy = new k8s.networking.v1.NetworkPolicy(name, registryNetworkPolicyArgs(ctx, peers), {
            parent: this,
        });

        if (args.garbageCollectSchedule !== undefined) {
            const gc = {
                schedule: args.garbageCollectSchedule,
                deleteUntagged: args.garbageCollectDeleteUntagged ?? DEFAULTS.garbageCollectDeleteUntagged,
            };
            this.garbageCollection = new k8s.batch.v1.CronJob(
                `${name}${NAME_SUFFIXES.registryGarbageCollection}`,
                garbageCollectionCronJobArgs(ctx, gc),
                {
                    parent: this,
                },
            );
        }

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
