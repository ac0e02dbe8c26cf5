import type { StackValidationPolicy } from "@pulumi/policy";

import { describe, isKube } from "../lib/kube";
import { stackSubjects } from "../lib/policy";
import { at, dict, isUnknown, list, str } from "../lib/values";

function isEmptySelector(selector: unknown): boolean {
    const value = dict(selector);
    if (!value) {
        return selector === undefined || selector === null;
    }
    return Object.keys(dict(value.matchLabels) ?? {}).length === 0 && list(value.matchExpressions).length === 0;
}

/** A NetworkPolicy that selects every pod and allows nothing in or out. */
export function isDefaultDeny(props: Record<string, unknown>): boolean {
    const spec = dict(props.spec);
    if (!spec || !isEmptySelector(spec.podSelector)) {
        return false;
    }
    const types = list(spec.policyTypes);
    return (
        types.includes("Ingress") &&
        types.includes("Egress") &&
        list(spec.ingress).length === 0 &&
        list(spec.egress).length === 0
    );
}

/** Every Namespace the stack creates is closed by a default-deny NetworkPolicy the stack also creates. */
export const namespaceDefaultDeny: StackValidationPolicy = {
    name: "namespace-default-deny",
    description:
        "Every Namespace the stack creates has, in the same stack, a NetworkPolicy in it with podSelector {} and policyTypes [Ingress, Egress] and no rules: traffic is denied unless another policy opens it.",
    remediationSteps:
        "Create namespaces with EnvironmentNamespace (components/environment-namespace.ts), which adds the default-deny NetworkPolicy and the few openings the platform needs.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const subjects = stackSubjects(args);
        const closed = new Set<string>();
        for (const subject of subjects) {
            if (isKube(subject.type, "networking.k8s.io", "NetworkPolicy") && isDefaultDeny(subject.props)) {
                const namespace = str(at(subject.props, "metadata", "namespace"));
                if (namespace !== undefined) {
                    closed.add(namespace);
                }
            }
        }
        for (const subject of subjects) {
            if (!isKube(subject.type, "core", "Namespace")) {
                continue;
            }
            const name = at(subject.props, "metadata", "name");
            if (isUnknown(name) || typeof name !== "string") {
                continue;
            }
            if (!closed.has(name)) {
                reportViolation(
                    `${describe(subject)} has no default-deny NetworkPolicy in this stack (podSelector {}, policyTypes [Ingress, Egress], no ingress or egress rules), so every pod in it is reachable and can reach anything. ` +
                        "Fix: create it with EnvironmentNamespace, or add a NetworkPolicy named default-deny with that spec in the namespace.",
                    subject.urn,
                );
            }
        }
    },
};
