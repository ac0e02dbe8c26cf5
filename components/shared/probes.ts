import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { PROBE_DEFAULTS } from "./defaults";

/** How often and how patiently the probes ask; the defaults are {@link PROBE_DEFAULTS}. */
export interface ProbeTuning {
    /** @default {@link PROBE_DEFAULTS}.readinessPeriodSeconds */
    readonly readinessPeriodSeconds?: number;
    /** Failed readiness checks before the pod leaves the Service's endpoints. @default {@link PROBE_DEFAULTS}.readinessFailureThreshold */
    readonly readinessFailureThreshold?: number;
    /** @default {@link PROBE_DEFAULTS}.livenessPeriodSeconds */
    readonly livenessPeriodSeconds?: number;
    /** Failed liveness checks before the container is restarted. @default {@link PROBE_DEFAULTS}.livenessFailureThreshold */
    readonly livenessFailureThreshold?: number;
    /** @default {@link PROBE_DEFAULTS}.livenessTimeoutSeconds */
    readonly livenessTimeoutSeconds?: number;
    /** @default {@link PROBE_DEFAULTS}.livenessInitialDelaySeconds */
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
