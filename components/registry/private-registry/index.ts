import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    BCRYPT_COST_RANGE,
    DEFAULT_BCRYPT_COST,
    garbageCollectCommand,
    garbageCollectPrepareCommand,
    REGISTRY_USERNAME,
    renderHtpasswd,
    renderRegistryConfigPair,
} from "../registry-config";
import {
    commonLabels,
    type ContainerResources,
    pullSecretRefs,
    resourceRequirements,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../../shared/workload";

export interface PrivateRegistryArgs {
    /** Namespace of every object the registry creates. */
    readonly namespace: pulumi.Input<string>;
    /** User CI pushes (and pulls) with, on the push endpoint only. @default "ci-push" */
    readonly pushUsername?: string;
    /** Password of the push user: 16 random characters or more, at most 72 bytes (bcrypt); only ever handled as a secret. */
    readonly pushPassword: pulumi.Input<string>;
    /** User the cluster pulls with, on the read-only pull endpoint only. @default "cluster-pull" */
    readonly pullUsername?: string;
    /** Password of the pull user: 16 random characters or more, at most 72 bytes (bcrypt); only ever handled as a secret. */
    readonly pullPassword: pulumi.Input<string>;
    /**
     * Registry `http.secret` (signs upload state), also the key the bcrypt salts are derived from,
     * so the htpasswd stays the same from one `pulumi up` to the next. Use a random string of 32+
     * characters, unique to this registry. Changing it rehashes both users and restarts the pod.
     */
    readonly httpSecret: pulumi.Input<string>;
    /** Namespaces whose pods may reach the push endpoint (and the pull one): the CI namespaces. At least one. */
    readonly pushNamespaces: readonly pulumi.Input<string>[];
    /** Namespaces whose pods may reach the read-only pull endpoint. */
    readonly pullNamespaces: readonly pulumi.Input<string>[];
    /**
     * Namespaces of the ingress controller that publishes the registry; it may reach both
     * endpoints (each still needs its password). @default []
     */
    readonly ingressNamespaces?: readonly pulumi.Input<string>[];
    /**
     * CIDRs allowed to the pull endpoint, typically the nodes' network: the kubelet pulls from the
     * node, which no namespace selector matches. @default []
     */
    readonly pullCidrs?: readonly string[];
    /** The CNCF Distribution image. @default "registry:2.8.3" */
    readonly image?: pulumi.Input<string>;
    /** Size of the PersistentVolumeClaim. @default "20Gi" */
    readonly storageSize?: string;
    /** StorageClass of the claim. @default the cluster's default StorageClass */
    readonly storageClassName?: pulumi.Input<string>;
    /**
     * Use this existing claim (e.g. the one a previous `destroy` kept) instead of creating one.
     * @default undefined: the component creates `<name>-data`
     */
    readonly existingClaimName?: pulumi.Input<string>;
    /**
     * Let `pulumi destroy` (or a replacement) delete the claim and so every image in it.
     * @default false: the claim is created with `retainOnDelete` and outlives the stack
     */
    readonly allowDataDeletion?: boolean;
    /** Also set Pulumi's `protect` on the claim, so no operation can delete it. @default false */
    readonly protectData?: boolean;
    /** `storage.delete.enabled`: the push user may delete manifests through the API. @default false */
    readonly deleteEnabled?: boolean;
    /**
     * Cron schedule of `registry garbage-collect`, in the cluster's time zone, e.g. "0 3 * * 0".
     * Pick a window without pushes: see the class documentation. @default undefined: no garbage collection
     */
    readonly garbageCollectSchedule?: string;
    /**
     * Add `--delete-untagged`: also remove manifests no tag points at. Distribution 2.8 counts the
     * children of a multi-arch index as untagged, so leave it off for multi-arch images. @default false
     */
    readonly garbageCollectDeleteUntagged?: boolean;
    /**
     * Name of a `kubernetes.io/tls` Secret in the namespace: the registry then serves HTTPS with its
     * `tls.crt` and `tls.key`. @default undefined: plain HTTP, for TLS at the platform's ingress
     */
    readonly tlsSecretName?: pulumi.Input<string>;
    /** Port of both Services. @default 5000 */
    readonly servicePort?: number;
    /**
     * `host[:port]` under which clients reach the pull endpoint, e.g. the ingress host. Nodes
     * usually cannot resolve cluster DNS, so the kubelet needs this. @default `<name>.<namespace>.svc.cluster.local:<servicePort>`
     */
    readonly publicPullEndpoint?: pulumi.Input<string>;
    /** `host[:port]` under which CI reaches the push endpoint. @default `<name>-push.<namespace>.svc.cluster.local:<servicePort>` */
    readonly publicPushEndpoint?: pulumi.Input<string>;
    /**
     * bcrypt cost of the htpasswd entries, 4-12. Distribution pays it on every request (no cache),
     * so each step doubles the CPU of every pull. @default 8
     */
    readonly bcryptCost?: number;
    /** Resources of each registry container. @default requests 100m/128Mi, limits 1/512Mi */
    readonly resources?: ContainerResources;
    /** Names of `kubernetes.io/dockerconfigjson` Secrets for pulling the registry image itself. */
    readonly imagePullSecrets?: pulumi.Input<pulumi.Input<string>[]>;
}

export const DEFAULT_REGISTRY_IMAGE = "registry:2.8.3";

/** Container ports: the writer and the read-only reader of the same storage. */
export const REGISTRY_PUSH_PORT = 5000;
export const REGISTRY_PULL_PORT = 5001;

/** Paths inside the registry containers. */
export const REGISTRY_PATHS = {
    configDir: "/etc/docker/registry",
    /** The writer's config, also the one garbage collection reads. */
    pushConfig: "/etc/docker/registry/config.yml",
    pullConfig: "/etc/docker/registry/pull.yml",
    data: "/var/lib/registry",
    authDir: "/auth",
    htpasswd: "/auth/htpasswd",
    tlsDir: "/certs",
} as const;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;
const CIDR = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9A-Fa-f:]+\/\d{1,3})$/;
const CRON_FIELD = /^[0-9A-Za-z*/,?-]+$/;
const CRON_MACROS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

function isCron(schedule: string): boolean {
    const trimmed = schedule.trim();
    if (CRON_MACROS.includes(trimmed)) {
        return true;
    }
    const fields = trimmed.split(/\s+/);
    return fields.length === 5 && fields.every((field) => CRON_FIELD.test(field));
}

/** Every check that needs no resolved Output, so a refused component registers nothing. */
function validate(name: string, args: PrivateRegistryArgs): void {
    const fail = (field: string, message: string): never => {
        throw new Error(`${name}: ${field}: ${message}`);
    };
    // `<name>-push` must still be a DNS label (63 characters).
    if (!DNS_LABEL.test(name) || name.length > 58) {
        fail("name", `"${name}" must be a DNS-1123 label of at most 58 characters (it names the Services)`);
    }
    const pushUser = args.pushUsername ?? "ci-push";
    const pullUser = args.pullUsername ?? "cluster-pull";
    for (const [field, user] of [
        ["pushUsername", pushUser],
        ["pullUsername", pullUser],
    ] as const) {
        if (!REGISTRY_USERNAME.test(user)) {
            fail(field, `"${user}" must match ${REGISTRY_USERNAME.source}`);
        }
    }
    if (pushUser === pullUser) {
        fail("pullUsername", `"${pullUser}" is also the push user; the two credentials must be separate`);
    }
    if (args.pushNamespaces.length === 0) {
        fail("pushNamespaces", "needs at least one namespace (where CI pushes from)");
    }
    for (const cidr of args.pullCidrs ?? []) {
        if (!CIDR.test(cidr)) {
            fail("pullCidrs", `"${cidr}" is not a CIDR (e.g. 10.0.0.0/16)`);
        }
    }
    if (args.storageSize !== undefined && !QUANTITY.test(args.storageSize)) {
        fail("storageSize", `"${args.storageSize}" is not a Kubernetes quantity (e.g. 20Gi)`);
    }
    if (args.existingClaimName !== undefined) {
        if (args.storageSize !== undefined || args.storageClassName !== undefined) {
            fail("existingClaimName", "storageSize and storageClassName do not apply to an existing claim");
        }
        if (args.allowDataDeletion !== undefined || args.protectData !== undefined) {
            fail(
                "existingClaimName",
                "allowDataDeletion and protectData do not apply to a claim the component does not own",
            );
        }
    }
    if (args.allowDataDeletion === true && args.protectData === true) {
        fail("protectData", "contradicts allowDataDeletion: true");
    }
    if (args.garbageCollectSchedule !== undefined && !isCron(args.garbageCollectSchedule)) {
        fail("garbageCollectSchedule", `"${args.garbageCollectSchedule}" is not a 5-field cron schedule or @macro`);
    }
    if (args.garbageCollectDeleteUntagged === true && args.garbageCollectSchedule === undefined) {
        fail("garbageCollectDeleteUntagged", "needs garbageCollectSchedule");
    }
    const port = args.servicePort ?? 5000;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        fail("servicePort", `${port} is not a port (1-65535)`);
    }
    const cost = args.bcryptCost ?? DEFAULT_BCRYPT_COST;
    if (!Number.isInteger(cost) || cost < BCRYPT_COST_RANGE.min || cost > BCRYPT_COST_RANGE.max) {
        fail("bcryptCost", `${cost} is not an integer ${BCRYPT_COST_RANGE.min}-${BCRYPT_COST_RANGE.max}`);
    }
}

/** A NetworkPolicy peer selecting namespaces by the name label Kubernetes sets on each. */
function namespacePeer(namespaces: readonly pulumi.Input<string>[]): k8s.types.input.networking.v1.NetworkPolicyPeer {
    return {
        namespaceSelector: {
            matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [...namespaces] }],
        },
    };
}

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
 *   mark phase whose manifest arrives later is swept, leaving a broken image. The component cannot
 *   pause CI, so schedule it in a window without pushes; runs never overlap (`Forbid`);
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
        validate(name, args);
        super("cicd:registry:PrivateRegistry", name, {}, opts);

        const pushUsername = args.pushUsername ?? "ci-push";
        const pullUsername = args.pullUsername ?? "cluster-pull";
        const cost = args.bcryptCost ?? DEFAULT_BCRYPT_COST;
        const servicePort = args.servicePort ?? 5000;
        const image = args.image ?? DEFAULT_REGISTRY_IMAGE;
        const tls = args.tlsSecretName !== undefined;
        const deleteUntagged = args.garbageCollectDeleteUntagged ?? false;

        const labels = commonLabels(name, "registry");
        const selector = { app: name, "app.kubernetes.io/component": "registry" };
        const podLabels = { ...labels, ...selector };

        this.pushUsername = pulumi.output(pushUsername);
        this.pullUsername = pulumi.output(pullUsername);
        this.pushPassword = pulumi.secret(args.pushPassword);
        this.pullPassword = pulumi.secret(args.pullPassword);

        const configs = renderRegistryConfigPair({
            rootDirectory: REGISTRY_PATHS.data,
            pushAddr: `:${REGISTRY_PUSH_PORT}`,
            pullAddr: `:${REGISTRY_PULL_PORT}`,
            pushHtpasswdPath: REGISTRY_PATHS.htpasswd,
            pullHtpasswdPath: REGISTRY_PATHS.htpasswd,
            deleteEnabled: args.deleteEnabled ?? false,
            garbageCollection: args.garbageCollectSchedule !== undefined,
            tlsCertificatePath: tls ? `${REGISTRY_PATHS.tlsDir}/tls.crt` : undefined,
            tlsKeyPath: tls ? `${REGISTRY_PATHS.tlsDir}/tls.key` : undefined,
        });
        this.pushConfig = configs.push;
        this.pullConfig = configs.pull;

        // No metadata.name: new config means a new ConfigMap, a new pod template and a restart.
        this.configMap = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { namespace: args.namespace, labels },
                data: { "config.yml": configs.push, "pull.yml": configs.pull },
            },
            { parent: this },
        );

        // Auto-named too: Distribution 2.8 reads htpasswd once at start, so a rotated password must
        // roll the pod; a changed Secret is replaced under a new name, which does exactly that.
        const pushHtpasswd = pulumi
            .all([args.pushPassword, args.httpSecret])
            .apply(([password, key]) => renderHtpasswd(pushUsername, password, key, cost));
        const pullHtpasswd = pulumi
            .all([args.pullPassword, args.httpSecret])
            .apply(([password, key]) => renderHtpasswd(pullUsername, password, key, cost));
        this.secret = new k8s.core.v1.Secret(
            `${name}-auth`,
            {
                metadata: { namespace: args.namespace, labels },
                type: "Opaque",
                stringData: {
                    "push.htpasswd": pulumi.secret(pushHtpasswd),
                    "pull.htpasswd": pulumi.secret(pullHtpasswd),
                    "http-secret": pulumi.secret(args.httpSecret),
                },
            },
            { parent: this },
        );

        const allowDataDeletion = args.allowDataDeletion ?? false;
        if (args.existingClaimName === undefined) {
            // A fixed name, unlike the ConfigMap: after a `destroy` kept it, an operator finds it
            // by name and passes it back as existingClaimName.
            this.claim = new k8s.core.v1.PersistentVolumeClaim(
                `${name}-data`,
                {
                    metadata: { name: `${name}-data`, namespace: args.namespace, labels },
                    spec: {
                        accessModes: ["ReadWriteOnce"],
                        storageClassName: args.storageClassName,
                        resources: { requests: { storage: args.storageSize ?? "20Gi" } },
                    },
                },
                { parent: this, retainOnDelete: !allowDataDeletion, protect: args.protectData ?? false },
            );
            this.claimName = this.claim.metadata.name;
        } else {
            this.claimName = pulumi.output(args.existingClaimName);
        }

        const configVolume: k8s.types.input.core.v1.Volume = {
            name: "config",
            configMap: { name: this.configMap.metadata.name },
        };
        const dataVolume: k8s.types.input.core.v1.Volume = {
            name: "data",
            persistentVolumeClaim: { claimName: this.claimName },
        };
        const tmpVolume: k8s.types.input.core.v1.Volume = { name: "tmp", emptyDir: { sizeLimit: "64Mi" } };
        // Each process sees only its own user's htpasswd, under the same path.
        const authVolume = (role: "push" | "pull"): k8s.types.input.core.v1.Volume => ({
            name: `auth-${role}`,
            secret: {
                secretName: this.secret.metadata.name,
                items: [{ key: `${role}.htpasswd`, path: "htpasswd" }],
                defaultMode: 0o440,
            },
        });
        const tlsVolumes: k8s.types.input.core.v1.Volume[] = tls
            ? [
                  {
                      name: "tls",
                      secret: {
                          secretName: args.tlsSecretName,
                          items: [
                              { key: "tls.crt", path: "tls.crt" },
                              { key: "tls.key", path: "tls.key" },
                          ],
                          defaultMode: 0o440,
                      },
                  },
              ]
            : [];

        const resources = resourceRequirements(
            args.resources ?? { cpuRequest: "100m", memoryRequest: "128Mi", cpuLimit: "1", memoryLimit: "512Mi" },
        );
        const container = (role: "push" | "pull"): k8s.types.input.core.v1.Container => {
            const port = role === "push" ? REGISTRY_PUSH_PORT : REGISTRY_PULL_PORT;
            // `/` answers 200 without credentials, and 503 while the storage health check fails.
            const probe = { httpGet: { path: "/", port, scheme: tls ? "HTTPS" : "HTTP" } };
            return {
                name: role,
                image,
                command: ["registry"],
                args: ["serve", role === "push" ? REGISTRY_PATHS.pushConfig : REGISTRY_PATHS.pullConfig],
                ports: [{ name: role, containerPort: port, protocol: "TCP" }],
                env: [
                    {
                        name: "REGISTRY_HTTP_SECRET",
                        valueFrom: { secretKeyRef: { name: this.secret.metadata.name, key: "http-secret" } },
                    },
                ],
                securityContext: restrictedContainerSecurityContext(),
                resources,
                readinessProbe: { ...probe, periodSeconds: 5, failureThreshold: 3 },
                livenessProbe: { ...probe, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 },
                volumeMounts: [
                    { name: "config", mountPath: REGISTRY_PATHS.configDir, readOnly: true },
                    { name: `auth-${role}`, mountPath: REGISTRY_PATHS.authDir, readOnly: true },
                    // The reader cannot write even if its read-only mode had a hole.
                    { name: "data", mountPath: REGISTRY_PATHS.data, readOnly: role === "pull" },
                    { name: "tmp", mountPath: "/tmp" },
                    ...(tls ? [{ name: "tls", mountPath: REGISTRY_PATHS.tlsDir, readOnly: true }] : []),
                ],
            };
        };

        const podSecurityContext = {
            ...restrictedPodSecurityContext(),
            // A large volume is chowned only when its root does not already match fsGroup.
            fsGroupChangePolicy: "OnRootMismatch",
        };

        this.deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: { namespace: args.namespace, labels },
                spec: {
                    replicas: 1,
                    selector: { matchLabels: selector },
                    strategy: { type: "Recreate" },
                    template: {
                        metadata: { labels: podLabels },
                        spec: {
                            automountServiceAccountToken: false,
                            // Service links inject REGISTRY_* variables, which Distribution reads as config.
                            enableServiceLinks: false,
                            securityContext: podSecurityContext,
                            imagePullSecrets: pullSecretRefs(args.imagePullSecrets),
                            terminationGracePeriodSeconds: 30,
                            containers: [container("push"), container("pull")],
                            volumes: [
                                configVolume,
                                authVolume("push"),
                                authVolume("pull"),
                                dataVolume,
                                tmpVolume,
                                ...tlsVolumes,
                            ],
                        },
                    },
                },
            },
            { parent: this },
        );

        const service = (childName: string, role: "push" | "pull"): k8s.core.v1.Service =>
            new k8s.core.v1.Service(
                childName,
                {
                    metadata: { name: childName, namespace: args.namespace, labels },
                    spec: {
                        type: "ClusterIP",
                        selector,
                        ports: [{ name: role, port: servicePort, targetPort: role, protocol: "TCP" }],
                    },
                },
                { parent: this },
            );
        this.pullService = service(name, "pull");
        this.pushService = service(`${name}-push`, "push");

        const clusterEndpoint = (svc: k8s.core.v1.Service): pulumi.Output<string> =>
            pulumi.interpolate`${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local:${servicePort}`;
        this.pullEndpoint =
            args.publicPullEndpoint !== undefined
                ? pulumi.output(args.publicPullEndpoint)
                : clusterEndpoint(this.pullService);
        this.pushEndpoint =
            args.publicPushEndpoint !== undefined
                ? pulumi.output(args.publicPushEndpoint)
                : clusterEndpoint(this.pushService);
        this.endpoint = this.pullEndpoint;

        const ingressNamespaces = args.ingressNamespaces ?? [];
        const pushPeers = [...args.pushNamespaces, ...ingressNamespaces];
        const pullPeers = [...args.pullNamespaces, ...args.pushNamespaces, ...ingressNamespaces];
        this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
            name,
            {
                metadata: { namespace: args.namespace, labels },
                spec: {
                    podSelector: { matchLabels: selector },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [namespacePeer(pushPeers)],
                            ports: [{ protocol: "TCP", port: REGISTRY_PUSH_PORT }],
                        },
                        {
                            from: [
                                namespacePeer(pullPeers),
                                ...(args.pullCidrs ?? []).map((cidr) => ({ ipBlock: { cidr } })),
                            ],
                            ports: [{ protocol: "TCP", port: REGISTRY_PULL_PORT }],
                        },
                    ],
                },
            },
            { parent: this },
        );

        if (args.garbageCollectSchedule !== undefined) {
            const gcLabels = { ...commonLabels(name, "registry-gc"), app: name };
            this.garbageCollection = new k8s.batch.v1.CronJob(
                `${name}-gc`,
                {
                    metadata: { namespace: args.namespace, labels: gcLabels },
                    spec: {
                        schedule: args.garbageCollectSchedule,
                        concurrencyPolicy: "Forbid",
                        startingDeadlineSeconds: 600,
                        successfulJobsHistoryLimit: 1,
                        failedJobsHistoryLimit: 3,
                        jobTemplate: {
                            spec: {
                                backoffLimit: 1,
                                activeDeadlineSeconds: 3600,
                                ttlSecondsAfterFinished: 86400,
                                template: {
                                    metadata: { labels: gcLabels },
                                    spec: {
                                        restartPolicy: "Never",
                                        automountServiceAccountToken: false,
                                        enableServiceLinks: false,
                                        securityContext: podSecurityContext,
                                        imagePullSecrets: pullSecretRefs(args.imagePullSecrets),
                                        // ReadWriteOnce: only pods on the node the registry runs on can mount the claim.
                                        affinity: {
                                            podAffinity: {
                                                requiredDuringSchedulingIgnoredDuringExecution: [
                                                    {
                                                        labelSelector: { matchLabels: selector },
                                                        topologyKey: "kubernetes.io/hostname",
                                                    },
                                                ],
                                            },
                                        },
                                        initContainers: [
                                            {
                                                name: "prepare",
                                                image,
                                                command: garbageCollectPrepareCommand(REGISTRY_PATHS.data),
                                                securityContext: restrictedContainerSecurityContext(),
                                                resources,
                                                volumeMounts: [{ name: "data", mountPath: REGISTRY_PATHS.data }],
                                            },
                                        ],
                                        containers: [
                                            {
                                                name: "garbage-collect",
                                                image,
                                                command: garbageCollectCommand(
                                                    "registry",
                                                    REGISTRY_PATHS.pushConfig,
                                                    deleteUntagged,
                                                ),
                                                securityContext: restrictedContainerSecurityContext(),
                                                resources,
                                                volumeMounts: [
                                                    {
                                                        name: "config",
                                                        mountPath: REGISTRY_PATHS.configDir,
                                                        readOnly: true,
                                                    },
                                                    // Read-write: the sweep deletes blobs.
                                                    { name: "data", mountPath: REGISTRY_PATHS.data },
                                                    { name: "tmp", mountPath: "/tmp" },
                                                ],
                                            },
                                        ],
                                        volumes: [configVolume, dataVolume, tmpVolume],
                                    },
                                },
                            },
                        },
                    },
                },
                { parent: this },
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
