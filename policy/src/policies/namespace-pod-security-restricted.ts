import type { ResourceValidationPolicy } from "@pulumi/policy";

import { describe, isKube } from "../lib/kube";
import { subjectOf } from "../lib/policy";
import { at, isUnknown } from "../lib/values";

const ENFORCE = "pod-security.kubernetes.io/enforce";

/** Every Namespace the stack creates enforces the restricted Pod Security Standard. */
export const namespacePodSecurityRestricted: ResourceValidationPolicy = {
    name: "namespace-pod-security-restricted",
    description:
        "Every Namespace the stack creates carries the label pod-security.kubernetes.io/enforce=restricted, so the API server itself refuses pods outside the restricted profile.",
    remediationSteps:
        "Create namespaces with EnvironmentNamespace (components/environment-namespace.ts), which sets the enforce, audit and warn labels to restricted.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isKube(args.type, "core", "Namespace")) {
            return;
        }
        const subject = subjectOf(args);
        const enforce = at(subject.props, "metadata", "labels", ENFORCE);
        if (enforce !== "restricted" && !isUnknown(enforce)) {
            reportViolation(
                `${describe(subject)} ${enforce === undefined ? `has no ${ENFORCE} label` : `has ${ENFORCE}=${String(enforce)}`}, so pods outside the restricted profile are admitted. ` +
                    `Fix: label it ${ENFORCE}: restricted (and audit/warn likewise), as EnvironmentNamespace does.`,
            );
        }
    },
};
