import type * as pulumi from "@pulumi/pulumi";

import type { PRIVATE_REGISTRY_DEFAULTS } from "../../shared/defaults";
import type { ContainerResources } from "../../shared/workload";

/** The inputs of a PrivateRegistry; the defaults are `PRIVATE_REGISTRY_DEFAULTS`. */
export interface PrivateRegistryArgs {
    /** Namespace of every object the registry creates. */
    readonly namespace: pulumi.Input<string>;
    /** User CI pushes (and pulls) with, on the push endpoint only. @default {@link PRIVATE_REGISTRY_DEFAULTS}.pushUsername */
    readonly pushUsername?: string;
    /** Password of the push user: 16 random characters or more, at most 72 bytes (bcrypt); only ever handled as a secret. */
    readonly pushPassword: pulumi.Input<string>;
    /** User the cluster pulls with, on the read-only pull endpoint only. @default {@link PRIVATE_REGISTRY_DEFAULTS}.pullUsername */
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
    /** The CNCF Distribution image. @default {@link PRIVATE_REGISTRY_DEFAULTS}.image */
    readonly image?: pulumi.Input<string>;
    /** Size of the PersistentVolumeClaim. @default {@link PRIVATE_REGISTRY_DEFAULTS}.storageSize */
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
     * @default {@link PRIVATE_REGISTRY_DEFAULTS}.allowDataDeletion: the claim is created with `retainOnDelete` and outlives the stack
     */
    readonly allowDataDeletion?: boolean;
    /**
     * Also set Pulumi's `protect` on the claim, so no operation can delete it.
     * @default {@link PRIVATE_REGISTRY_DEFAULTS}.protectData
     */
    readonly protectData?: boolean;
    /**
     * `storage.delete.enabled`: the push user may delete manifests through the API.
     * @default {@link PRIVATE_REGISTRY_DEFAULTS}.deleteEnabled
     */
    readonly deleteEnabled?: boolean;
    /**
     * Cron schedule of `registry garbage-collect`, in the cluster's time zone, e.g. "0 3 * * 0".
     * Pushes during a run are refused (405) and succeed when retried after it: see the class
     * documentation. @default undefined: no garbage collection
     */
    readonly garbageCollectSchedule?: string;
    /**
     * Add `--delete-untagged`: also remove manifests no tag points at. Distribution 2.8 counts the
     * children of a multi-arch index as untagged, so leave it off for multi-arch images.
     * @default {@link PRIVATE_REGISTRY_DEFAULTS}.garbageCollectDeleteUntagged
     */
    readonly garbageCollectDeleteUntagged?: boolean;
    /**
     * Name of a `kubernetes.io/tls` Secret in the namespace: the registry then serves HTTPS with its
     * `tls.crt` and `tls.key`. @default undefined: plain HTTP, for TLS at the platform's ingress
     */
    readonly tlsSecretName?: pulumi.Input<string>;
    /** Port of both Services. @default {@link PRIVATE_REGISTRY_DEFAULTS}.servicePort */
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
     * so each step doubles the CPU of every pull. @default {@link PRIVATE_REGISTRY_DEFAULTS}.bcryptCost
     */
    readonly bcryptCost?: number;
    /** Resources of each registry container. @default {@link PRIVATE_REGISTRY_DEFAULTS}.resources */
    readonly resources?: ContainerResources;
    /** Names of `kubernetes.io/dockerconfigjson` Secrets for pulling the registry image itself. */
    readonly imagePullSecrets?: pulumi.Input<pulumi.Input<string>[]>;
}
