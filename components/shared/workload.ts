import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { APP_RESOURCES } from "./defaults";

/**
 * Building blocks shared by every workload the components create: the restricted Pod Security
 * profile and resources (probes, placement and lint waivers have modules of their own beside this
 * one). Kept in one place so a tightening reaches every pod at once.
 */

/** CPU, memory and ephemeral storage for one container, in Kubernetes quantity notation. */
export interface ContainerResources {
    /** @default {@link APP_RESOURCES}.cpuRequest */
    readonly cpuRequest?: string;
    /** @default {@link APP_RESOURCES}.memoryRequest */
    readonly memoryRequest?: string;
    /** @default {@link APP_RESOURCES}.cpuLimit */
    readonly cpuLimit?: string;
    /** @default {@link APP_RESOURCES}.memoryLimit */
    readonly memoryLimit?: string;
    /** Local disk the scheduler reserves: `/tmp` and logs. @default {@link APP_RESOURCES}.ephemeralStorageRequest */
    readonly ephemeralStorageRequest?: string;
    /** Local disk above which the kubelet evicts the pod; holds `/tmp` and the logs. @default {@link APP_RESOURCES}.ephemeralStorageLimit */
    readonly ephemeralStorageLimit?: string;
    /** `sizeLimit` of the `/tmp` emptyDir (the root filesystem is read-only). @default {@link APP_RESOURCES}.tmpSizeLimit */
    readonly tmpSizeLimit?: string;
}

/** The user every container runs as unless told otherwise; any non-zero id satisfies `restricted`. */
export const DEFAULT_UID = 10001;

/** @internal */
export function resourceRequirements(
    resources: ContainerResources | undefined,
): k8s.types.input.core.v1.ResourceRequirements {
    return {
        requests: {
            cpu: resources?.cpuRequest ?? APP_RESOURCES.cpuRequest,
            memory: resources?.memoryRequest ?? APP_RESOURCES.memoryRequest,
            "ephemeral-storage": resources?.ephemeralStorageRequest ?? APP_RESOURCES.ephemeralStorageRequest,
        },
        limits: {
            cpu: resources?.cpuLimit ?? APP_RESOURCES.cpuLimit,
            memory: resources?.memoryLimit ?? APP_RESOURCES.memoryLimit,
            "ephemeral-storage": resources?.ephemeralStorageLimit ?? APP_RESOURCES.ephemeralStorageLimit,
        },
    };
}

/**
 * The writable `/tmp` of a read-only root filesystem, bounded so that it cannot fill the node's disk.
 * @internal
 */
export function tmpVolume(resources: ContainerResources | undefined): k8s.types.input.core.v1.Volume {
    return { name: "tmp", emptyDir: { sizeLimit: resources?.tmpSizeLimit ?? APP_RESOURCES.tmpSizeLimit } };
}

/** Pod-level half of the `restricted` Pod Security Standard. */
export function restrictedPodSecurityContext(uid: number = DEFAULT_UID): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container-level half of the `restricted` Pod Security Standard, plus a read-only root. */
export function restrictedContainerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
    return {
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/**
 * Annotations the Prometheus Kubernetes service discovery convention reads.
 * @internal
 */
export function prometheusScrapeAnnotations(
    port: pulumi.Input<number>,
    path: pulumi.Input<string>,
): pulumi.Input<Record<string, pulumi.Input<string>>> {
    return {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": pulumi.output(port).apply(String),
        "prometheus.io/path": path,
    };
}

/**
 * `imagePullSecrets` entries from Secret names.
 * @internal
 */
export function pullSecretRefs(
    names: pulumi.Input<pulumi.Input<string>[]> | undefined,
): pulumi.Input<k8s.types.input.core.v1.LocalObjectReference[]> | undefined {
    if (names === undefined) {
        return undefined;
    }
    return pulumi.output(names).apply((list) => list.map((name) => ({ name })));
}

/**
 * A label value may be at most 63 characters of `[A-Za-z0-9_.-]`; image tags can be longer.
 * @internal
 */
export function versionLabel(version: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.output(version).apply((v) => {
        const cleaned = v.replace(/^sha256:/, "sha256-").replace(/[^A-Za-z0-9_.-]/g, "-");
        return cleaned.slice(0, 63).replace(/[^A-Za-z0-9]+$/, "");
    });
}

/**
 * `repository:tag`, or `repository@sha256:…` when the version is a digest.
 * @internal
 */
export function imageRef(repository: pulumi.Input<string>, version: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi
        .all([repository, version])
        .apply(([repo, v]) => (v.startsWith("sha256:") ? `${repo}@${v}` : `${repo}:${v}`));
}

/**
 * Labels every object of the platform carries.
 * @internal
 */
export function commonLabels(app: string, component: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "cicd-platform",
        "app.kubernetes.io/managed-by": "pulumi",
    };
}
