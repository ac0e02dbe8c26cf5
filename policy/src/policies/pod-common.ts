import type { ResourceValidationPolicy } from "@pulumi/policy";

import { type ContainerRef, containersOf, type PodSpec, podSpecOf, type Subject } from "../lib/kube";
import { type Report, subjectOf } from "../lib/policy";
import { dict, type Dict, isUnknown, UNKNOWN } from "../lib/values";

/** Stands for a securityContext unknown during preview: every field reads as unknown, so checks skip it. */
const ALL_UNKNOWN: Dict = new Proxy({}, { get: () => UNKNOWN });

function securityContext(value: unknown): Dict {
    return isUnknown(value) ? ALL_UNKNOWN : (dict(value) ?? {});
}

export interface PodPolicyDefinition {
    readonly name: string;
    readonly description: string;
    readonly remediationSteps: string;
    /** Checks the pod as a whole (host namespaces, volumes). */
    readonly checkPod?: (pod: PodSpec, subject: Subject, report: Report) => void;
    /** Checks one container; `podSecurity` is the pod-level securityContext ({} when absent). */
    readonly checkContainer?: (ref: ContainerRef, podSecurity: Dict, subject: Subject, report: Report) => void;
}

/** A resource policy over the pods of every workload kind (Pod, Deployment, …, CronJob, PodTemplate). */
export function podPolicy(definition: PodPolicyDefinition): ResourceValidationPolicy {
    return {
        name: definition.name,
        description: definition.description,
        remediationSteps: definition.remediationSteps,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            const subject = subjectOf(args);
            const pod = podSpecOf(subject);
            if (!pod) {
                return;
            }
            const report: Report = (message) => {
                reportViolation(message);
            };
            definition.checkPod?.(pod, subject, report);
            if (definition.checkContainer) {
                const podSecurity = securityContext(pod.spec.securityContext);
                for (const ref of containersOf(pod)) {
                    definition.checkContainer(ref, podSecurity, subject, report);
                }
            }
        },
    };
}

/** The container's securityContext: {} when absent, every field unknown when it is unknown. */
export function securityContextOf(ref: ContainerRef): Dict {
    return securityContext(ref.container.securityContext);
}
