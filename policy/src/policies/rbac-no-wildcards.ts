import type { ResourceValidationPolicy } from "@pulumi/policy";

import { describe, isKube } from "../lib/kube";
import { subjectOf } from "../lib/policy";
import { dict, list } from "../lib/values";

const RBAC = "rbac.authorization.k8s.io";

/** No Role or ClusterRole grants `*` verbs, resources or API groups. */
export const rbacNoWildcards: ResourceValidationPolicy = {
    name: "rbac-no-wildcards",
    description:
        'No Role or ClusterRole rule uses "*" in verbs, resources or apiGroups: a wildcard also grants whatever the API server adds later.',
    remediationSteps:
        "List the verbs, resources and API groups the workload needs, e.g. pods: get/list/watch/create/delete.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isKube(args.type, RBAC, "Role") && !isKube(args.type, RBAC, "ClusterRole")) {
            return;
        }
        const subject = subjectOf(args);
        list(subject.props.rules).forEach((entry, index) => {
            const rule = dict(entry) ?? {};
            const wild = (["verbs", "resources", "apiGroups"] as const).filter((field) =>
                list(rule[field]).includes("*"),
            );
            if (wild.length > 0) {
                reportViolation(
                    `${describe(subject)}: rules[${index}] uses "*" in ${wild.join(", ")}. ` +
                        "Fix: name the exact verbs, resources and API groups needed.",
                );
            }
        });
    },
};
