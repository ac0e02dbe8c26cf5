import type { ResourceValidationPolicy } from "@pulumi/policy";

import { describe, isKube } from "../lib/kube";
import { subjectOf } from "../lib/policy";
import { at, isUnknown, shown } from "../lib/values";

const ENFORCE = "pod-security.kubernetes.io/enforce";
const LABEL = "pod-security.kubernetes.io/";

/**
 * The two namespaces that cannot be restricted, each named by its role label and still auditing
 * and warning on restricted: the build runner's (its build containers add SETUID, SETGID and
 * SETFCAP, allowed by baseline) and the seccomp profile's node installer (hostPath needs privileged).
 */
const EXCEPTIONS: readonly { label: string; value: string; enforce: string }[] = [
    { label: "cicd.platform/runner-role", value: "build", enforce: "baseline" },
    { label: "cicd.platform/role", value: "seccomp-installer", enforce: "privileged" },
];

/** Every Namespace the stack creates enforces the restricted Pod Security Standard. */
export const namespacePodSecurityRestricted: ResourceValidationPolicy = {
    name: "namespace-pod-security-restricted",
    description:
        "Every Namespace the stack creates carries the label pod-security.kubernetes.io/enforce=restricted, so the API server itself refuses pods outside the restricted profile. Two exceptions, both still auditing and warning on restricted: the build runner's namespace (cicd.platform/runner-role=build) enforces baseline, the seccomp node installer's (cicd.platform/role=seccomp-installer) privileged.",
    remediationSteps:
        "Create namespaces with EnvironmentNamespace (components/environment-namespace.ts), which sets the enforce, audit and warn labels to restricted.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isKube(args.type, "core", "Namespace")) {
            return;
        }
        const subject = subjectOf(args);
        const enforce = at(subject.props, "metadata", "labels", ENFORCE);
        const label = (key: string): unknown => at(subject.props, "metadata", "labels", key);
        const excepted = EXCEPTIONS.some(
            (e) =>
                label(e.label) === e.value &&
                enforce === e.enforce &&
                label(`${LABEL}audit`) === "restricted" &&
                label(`${LABEL}warn`) === "restricted",
        );
        if (enforce !== "restricted" && !isUnknown(enforce) && !excepted) {
            reportViolation(
                `${describe(subject)} ${enforce === undefined ? `has no ${ENFORCE} label` : `has ${ENFORCE}=${shown(enforce)}`}, so pods outside the restricted profile are admitted. ` +
                    `Fix: label it ${ENFORCE}: restricted (and audit/warn likewise), as EnvironmentNamespace does.`,
            );
        }
    },
};
