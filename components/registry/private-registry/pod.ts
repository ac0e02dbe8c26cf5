import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { renderHtpasswd } from "../htpasswd";
import { renderRegistryConfigPair } from "../registry-config";
import {
    pullSecretRefs,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../../shared/workload";
import { pullPolicyFor } from "../../shared/placement";
import { livenessProbe, readinessTiming } from "../../shared/probes";

type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/**
 * Container ports: the writer and the read-only reader of the same storage.
 * @internal
 */
export const REGISTRY_PUSH_PORT = 5000;
/** @internal */
export const REGISTRY_PULL_PORT = 5001;

/**
 * Paths inside the registry containers.
 * @internal
 */
export const REGISTRY_PATHS = {
    configDir: "/etc/docker/registry",
    /** The writer's config, also the one garbage collection reads. */
    pushConfig: "/etc/docker/registry/config.yml",
    pullConfig: "/etc/docker/registry/pull.yml",
    /** The writer's config in read-only maintenance mode, served while garbage collection runs. */
    pushReadOnlyConfig: "/etc/docker/registry/push-read-only.yml",
    data: "/var/lib/registry",
    authDir: "/auth",
    htpasswd: "/auth/htpasswd",
    tlsDir: "/certs",
} as const;

/**
 * The writer (`push`) or the read-only reader (`pull`).
 * @internal
 */
export type RegistryRole = "push" | "pull";

/**
 * What the pod, network and garbage-collection builders share, resolved once from the Args.
 * @internal
 */
export interface RegistrySpecContext {
    readonly name: string;
    readonly namespace: pulumi.Input<string>;
    readonly image: pulumi.Input<string>;
    /** Labels of every object the registry creates. */
    readonly labels: Record<string, string>;
    /** What the Services, the NetworkPolicy and the collector's affinity find the registry pod by. */
    readonly selector: Record<string, string>;
    readonly resources: k8s.types.input.core.v1.ResourceRequirements;
    readonly imagePullSecrets?: pulumi.Input<pulumi.Input<string>[]>;
    /** The `kubernetes.io/tls` Secret; unset for plain HTTP. */
    readonly tlsSecretName?: pulumi.Input<string>;
    readonly configMapName: pulumi.Input<string>;
    readonly authSecretName: pulumi.Input<string>;
    readonly claimName: pulumi.Input<string>;
    /** Garbage collection is on: the writer runs under its supervisor (`gc.ts`). */
    readonly garbageCollection: boolean;
    /** The writer's command when garbage collection is on. */
    readonly writerCommand?: string[];
}

/**
 * Both processes' `config.yml`; they hold no secret, since `http.secret` comes from the environment.
 * @internal
 */
export function registryConfigs(options: { deleteEnabled: boolean; garbageCollection: boolean; tls: boolean }): {
    push: string;
    pull: string;
    pushReadOnly: string;
} {
    return renderRegistryConfigPair({
        rootDirectory: REGISTRY_PATHS.data,
        pushAddr: `:${REGISTRY_PUSH_PORT}`,
        pullAddr: `:${REGISTRY_PULL_PORT}`,
        pushHtpasswdPath: REGISTRY_PATHS.htpasswd,
        pullHtpasswdPath: REGISTRY_PATHS.htpasswd,
        deleteEnabled: options.deleteEnabled,
        garbageCollection: options.garbageCollection,
        tlsCertificatePath: options.tls ? `${REGISTRY_PATHS.tlsDir}/tls.crt` : undefined,
        tlsKeyPath: options.tls ? `${REGISTRY_PATHS.tlsDir}/tls.key` : undefined,
    });
}

/**
 * One user's htpasswd file; always a secret, since the hash stands in for the password.
 * @internal
 */
export function htpasswdFile(
    username: string,
    password: pulumi.Input<string>,
    saltKey: pulumi.Input<string>,
    cost: number,
): pulumi.Output<string> {
    return pulumi.secret(
        pulumi.all([password, saltKey]).apply(([plain, key]) => renderHtpasswd(username, plain, key, cost)),
    );
}

/** @internal */
export function configVolume(ctx: RegistrySpecContext): Volume {
    return { name: "config", configMap: { name: ctx.configMapName } };
}

/** @internal */
export function dataVolume(ctx: RegistrySpecContext): Volume {
    return { name: "data", persistentVolumeClaim: { claimName: ctx.claimName } };
}

/** @internal */
export function tmpVolume(): Volume {
    return { name: "tmp", emptyDir: { sizeLimit: "64Mi" } };
}

/** Each process sees only its own user's htpasswd, under the same path. */
function authVolume(ctx: RegistrySpecContext, role: RegistryRole): Volume {
    return {
        name: `auth-${role}`,
        secret: {
            secretName: ctx.authSecretName,
            items: [{ key: `${role}.htpasswd`, path: "htpasswd" }],
            defaultMode: 0o440,
        },
    };
}

function tlsVolumes(ctx: RegistrySpecContext): Volume[] {
    if (ctx.tlsSecretName === undefined) {
        return [];
    }
    const items = ["tls.crt", "tls.key"].map((key) => ({ key, path: key }));
    return [{ name: "tls", secret: { secretName: ctx.tlsSecretName, items, defaultMode: 0o440 } }];
}

function registryMounts(ctx: RegistrySpecContext, role: RegistryRole): VolumeMount[] {
    return [
        { name: "config", mountPath: REGISTRY_PATHS.configDir, readOnly: true },
        { name: `auth-${role}`, mountPath: REGISTRY_PATHS.authDir, readOnly: true },
        // The reader cannot write even if its read-only mode had a hole.
        { name: "data", mountPath: REGISTRY_PATHS.data, readOnly: role === "pull" },
        { name: "tmp", mountPath: "/tmp" },
        ...(ctx.tlsSecretName !== undefined ? [{ name: "tls", mountPath: REGISTRY_PATHS.tlsDir, readOnly: true }] : []),
    ];
}

function registryProbes(
    port: number,
    tls: boolean,
): Pick<k8s.types.input.core.v1.Container, "readinessProbe" | "livenessProbe"> {
    // `/` answers 200 without credentials, and 503 while the storage health check fails: a storage
    // problem takes the endpoint out of the Service; only a process that stopped listening is restarted.
    return {
        readinessProbe: { httpGet: { path: "/", port, scheme: tls ? "HTTPS" : "HTTP" }, ...readinessTiming() },
        livenessProbe: livenessProbe(port),
    };
}

function registryContainer(ctx: RegistrySpecContext, role: RegistryRole): k8s.types.input.core.v1.Container {
    const port = role === "push" ? REGISTRY_PUSH_PORT : REGISTRY_PULL_PORT;
    const httpSecret = { secretKeyRef: { name: ctx.authSecretName, key: "http-secret" } };
    const serve =
        role === "push" && ctx.writerCommand !== undefined
            ? { command: ctx.writerCommand }
            : {
                  command: ["registry"],
                  args: ["serve", role === "push" ? REGISTRY_PATHS.pushConfig : REGISTRY_PATHS.pullConfig],
              };
    return {
        name: role,
        image: ctx.image,
        imagePullPolicy: pullPolicyFor(ctx.image),
        ...serve,
        ports: [{ name: role, containerPort: port, protocol: "TCP" }],
        env: [{ name: "REGISTRY_HTTP_SECRET", valueFrom: httpSecret }],
        securityContext: restrictedContainerSecurityContext(),
        resources: ctx.resources,
        ...registryProbes(port, ctx.tlsSecretName !== undefined),
        volumeMounts: registryMounts(ctx, role),
    };
}

/**
 * The restricted pod profile, shared with the collector's pod.
 * @internal
 */
export function registryPodSecurityContext(): k8s.types.input.core.v1.PodSecurityContext {
    return {
        ...restrictedPodSecurityContext(),
        // A large volume is chowned only when its root does not already match fsGroup.
        fsGroupChangePolicy: "OnRootMismatch",
    };
}

function registryPodSpec(ctx: RegistrySpecContext): k8s.types.input.core.v1.PodSpec {
    return {
        automountServiceAccountToken: false,
        // Service links inject REGISTRY_* variables, which Distribution reads as config.
        enableServiceLinks: false,
        securityContext: registryPodSecurityContext(),
        imagePullSecrets: pullSecretRefs(ctx.imagePullSecrets),
        terminationGracePeriodSeconds: 30,
        containers: [registryContainer(ctx, "push"), registryContainer(ctx, "pull")],
        volumes: [
            configVolume(ctx),
            authVolume(ctx, "push"),
            authVolume(ctx, "pull"),
            dataVolume(ctx),
            tmpVolume(),
            ...tlsVolumes(ctx),
        ],
    };
}

/**
 * One pod running both processes. ReadWriteOnce storage: one replica, and `Recreate`, since a
 * surge pod on another node could not attach the volume.
 * @internal
 */
export function registryDeploymentArgs(ctx: RegistrySpecContext): k8s.apps.v1.DeploymentArgs {
    return {
        metadata: { namespace: ctx.namespace, labels: ctx.labels },
        spec: {
            replicas: 1,
            selector: { matchLabels: ctx.selector },
            strategy: { type: "Recreate" },
            template: {
                metadata: { labels: { ...ctx.labels, ...ctx.selector } },
                spec: registryPodSpec(ctx),
            },
        },
    };
}
