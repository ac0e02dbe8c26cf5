import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { APP_RESOURCES } from "./defaults";

/**
 * Building blocks shared by every workload the components create: the restricted Pod Security
 * profile, probes and resources. Kept in one place so a tightening reaches every pod at once.
 */

/** CPU and memory for one container, in Kubernetes quantity notation. */
export interface ContainerResources {
    /** @default "100m" */
    readonly cpuRequest?: string;
    /** @default "128Mi" */
    readonly memoryRequest?: string;
    /** @default "500m" */
    readonly cpuLimit?: string;
    /** @default "256Mi" */
    readonly memoryLimit?: string;
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
        },
        limits: {
            cpu: resources?.cpuLimit ?? APP_RESOURCES.cpuLimit,
            memory: resources?.memoryLimit ?? APP_RESOURCES.memoryLimit,
        },
    };
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
 * Readiness gates traffic, liveness restarts a hung process; both on the same HTTP path.
 * @internal
 */
export function httpProbes(
    port: pulumi.Input<number>,
    path: pulumi.Input<string>,
): Pick<k8s.types.input.core.v1.Container, "readinessProbe" | "livenessProbe"> {
    return {
        readinessProbe: {
            httpGet: { path, port },
            periodSeconds: 5,
            failureThreshold: 3,
        },
        livenessProbe: {
            httpGet: { path, port },
            initialDelaySeconds: 10,
            periodSeconds: 10,
            failureThreshold: 3,
        },
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
