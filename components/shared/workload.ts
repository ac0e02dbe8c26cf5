import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { APP_RESOURCES, PROBE_DEFAULTS, SPREAD_DEFAULTS } from "./defaults";

/**
 * Building blocks shared by every workload the components create: the restricted Pod Security
 * profile, probes, resources, spreading and pull policy. Kept in one place so a tightening reaches
 * every pod at once.
 */

/** CPU, memory and ephemeral storage for one container, in Kubernetes quantity notation. */
export interface ContainerResources {
    /** @default "100m" */
    readonly cpuRequest?: string;
    /** @default "128Mi" */
    readonly memoryRequest?: string;
    /** @default "500m" */
    readonly cpuLimit?: string;
    /** @default "256Mi" */
    readonly memoryLimit?: string;
    /** Local disk the scheduler reserves: `/tmp` and logs. @default "64Mi" */
    readonly ephemeralStorageRequest?: string;
    /** Local disk above which the kubelet evicts the pod; holds `/tmp` and the logs. @default "512Mi" */
    readonly ephemeralStorageLimit?: string;
    /** `sizeLimit` of the `/tmp` emptyDir (the root filesystem is read-only). @default "64Mi" */
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

/** How often and how patiently the probes ask; the defaults are `PROBE_DEFAULTS`. */
export interface ProbeTuning {
    /** @default 5 */
    readonly readinessPeriodSeconds?: number;
    /** Failed readiness checks before the pod leaves the Service's endpoints. @default 3 */
    readonly readinessFailureThreshold?: number;
    /** @default 10 */
    readonly livenessPeriodSeconds?: number;
    /** Failed liveness checks before the container is restarted. @default 6 */
    readonly livenessFailureThreshold?: number;
    /** @default 5 */
    readonly livenessTimeoutSeconds?: number;
    /** @default 10 */
    readonly livenessInitialDelaySeconds?: number;
}

type Probes = Pick<k8s.types.input.core.v1.Container, "readinessProbe" | "livenessProbe">;

/**
 * Liveness only asks whether the process still accepts connections: cheaper than the readiness
 * request (no handler runs, nothing downstream is asked) and more tolerant (a minute of failures
 * by default), so a pod that is merely overloaded and not ready is not also restarted.
 * @internal
 */
export function livenessProbe(
    port: pulumi.Input<number | string>,
    tuning?: ProbeTuning,
): k8s.types.input.core.v1.Probe {
    return {
        tcpSocket: { port },
        initialDelaySeconds: tuning?.livenessInitialDelaySeconds ?? PROBE_DEFAULTS.livenessInitialDelaySeconds,
        periodSeconds: tuning?.livenessPeriodSeconds ?? PROBE_DEFAULTS.livenessPeriodSeconds,
        timeoutSeconds: tuning?.livenessTimeoutSeconds ?? PROBE_DEFAULTS.livenessTimeoutSeconds,
        failureThreshold: tuning?.livenessFailureThreshold ?? PROBE_DEFAULTS.livenessFailureThreshold,
    };
}

/** @internal */
export function readinessTiming(
    tuning?: ProbeTuning,
): Pick<k8s.types.input.core.v1.Probe, "periodSeconds" | "failureThreshold"> {
    return {
        periodSeconds: tuning?.readinessPeriodSeconds ?? PROBE_DEFAULTS.readinessPeriodSeconds,
        failureThreshold: tuning?.readinessFailureThreshold ?? PROBE_DEFAULTS.readinessFailureThreshold,
    };
}

/**
 * Readiness gates traffic on the application's health path; liveness is a TCP check of the port.
 * @internal
 */
export function httpProbes(port: pulumi.Input<number>, path: pulumi.Input<string>, tuning?: ProbeTuning): Probes {
    return {
        readinessProbe: { httpGet: { path, port }, ...readinessTiming(tuning) },
        livenessProbe: livenessProbe(port, tuning),
    };
}

/** How a workload's replicas are spread over the cluster; the defaults are `SPREAD_DEFAULTS`. */
export interface SpreadSettings {
    /** Node label whose values are the domains to spread over. @default "kubernetes.io/hostname" */
    readonly topologyKey?: string;
    /** Most pods one domain may hold above another. @default 1 */
    readonly maxSkew?: number;
    /**
     * `ScheduleAnyway` prefers spreading but still schedules on a cluster with fewer domains than
     * replicas (and during a surge); `DoNotSchedule` leaves such pods pending. @default "ScheduleAnyway"
     */
    readonly whenUnsatisfiable?: "ScheduleAnyway" | "DoNotSchedule";
}

/**
 * A topology spread constraint over the workload's own pods when it has two replicas or more;
 * `pod-template-hash` keeps the old and the new ReplicaSet of a rollout from counting together.
 * @internal
 */
export function replicaSpread(
    selector: Record<string, string>,
    replicas: pulumi.Input<number>,
    spread?: SpreadSettings,
): Pick<k8s.types.input.core.v1.PodSpec, "topologySpreadConstraints"> {
    const constraint: k8s.types.input.core.v1.TopologySpreadConstraint = {
        topologyKey: spread?.topologyKey ?? SPREAD_DEFAULTS.topologyKey,
        maxSkew: spread?.maxSkew ?? SPREAD_DEFAULTS.maxSkew,
        whenUnsatisfiable: spread?.whenUnsatisfiable ?? SPREAD_DEFAULTS.whenUnsatisfiable,
        labelSelector: { matchLabels: selector },
        matchLabelKeys: ["pod-template-hash"],
    };
    // Undefined leaves the field out: one replica has nothing to spread.
    const constraints = pulumi.output(replicas).apply((count) => (count >= 2 ? [constraint] : undefined));
    return {
        topologySpreadConstraints: constraints as pulumi.Output<k8s.types.input.core.v1.TopologySpreadConstraint[]>,
    };
}

/** When the kubelet pulls an image. */
export type ImagePullPolicy = "Always" | "IfNotPresent" | "Never";

/**
 * A digest names one image forever, so a cached copy is that image: `IfNotPresent`. A tag can be
 * moved to another image, so `Always`: the kubelet asks the registry which image the tag names now
 * (a manifest request; unchanged layers are not downloaded again) and checks the pull credential
 * on every start. The cost is that a pod cannot start while the registry is unreachable; pin
 * digests (production does) or pass `IfNotPresent` explicitly where that matters more.
 * @internal
 */
export function pullPolicyFor(image: pulumi.Input<string>, override?: ImagePullPolicy): pulumi.Output<ImagePullPolicy> {
    return pulumi
        .output(image)
        .apply((ref): ImagePullPolicy => override ?? (/@sha256:[a-f0-9]{64}$/.test(ref) ? "IfNotPresent" : "Always"));
}

/**
 * Annotations that waive a check of the manifest linter (kube-score) on one object, each with the
 * reason; the lint test fails on any finding without one.
 * @internal
 */
export const LINT_WAIVER_PREFIX = "lint.cicd.platform/waive.";

/** @internal */
export function lintWaivers(reasons: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(
        Object.entries(reasons).map(([check, reason]) => [`${LINT_WAIVER_PREFIX}${check}`, reason]),
    );
}

/**
 * kube-score 1.20 counts only a podAntiAffinity as spreading replicas; the components spread them
 * with a topology spread constraint (`replicaSpread`), which bounds the skew instead of merely
 * preferring other nodes.
 * @internal
 */
export const SPREAD_WAIVER = lintWaivers({
    "deployment-has-host-podantiaffinity":
        "replicas are spread over nodes by topologySpreadConstraints (maxSkew 1 on kubernetes.io/hostname), which this check does not read",
});

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
