import type { StackValidationPolicy } from "@pulumi/policy";

import { describe, isKube } from "../lib/kube";
import { environmentOf, environmentProperty, stackSubjects, type StackSubject, stringList } from "../lib/policy";
import { at, dict, type Dict, isUnknown, list, str } from "../lib/values";
import { CANARY_RELEASE_TYPE } from "./canary-percent-in-range";

export const BLUE_GREEN_RELEASE_TYPE = "cicd:release:BlueGreenRelease";

function matchesExpression(expression: Dict, labels: Dict): boolean {
    const key = str(expression.key) ?? "";
    const values = list(expression.values);
    switch (expression.operator) {
        case "In":
            return key in labels && values.includes(labels[key]);
        case "NotIn":
            return !(key in labels) || !values.includes(labels[key]);
        case "Exists":
            return key in labels;
        case "DoesNotExist":
            return !(key in labels);
        default:
            return false;
    }
}

/** True when a label selector is non-empty and selects pods with `labels`. */
export function selects(selector: unknown, labels: Dict): boolean {
    const value = dict(selector);
    if (!value) {
        return false;
    }
    const matchLabels = Object.entries(dict(value.matchLabels) ?? {});
    const expressions = list(value.matchExpressions).map((e) => dict(e) ?? {});
    if (matchLabels.length === 0 && expressions.length === 0) {
        return false; // an empty PDB selector matches nothing in policy/v1
    }
    return matchLabels.every(([k, v]) => labels[k] === v) && expressions.every((e) => matchesExpression(e, labels));
}

interface DeploymentView {
    readonly subject: StackSubject;
    readonly namespace: string;
    readonly replicas: number | undefined;
    readonly podLabels: Dict;
    readonly component: unknown;
}

function viewOf(subject: StackSubject): DeploymentView | undefined {
    const replicas = at(subject.props, "spec", "replicas");
    const podLabels = at(subject.props, "spec", "template", "metadata", "labels");
    if (isUnknown(replicas) || isUnknown(podLabels)) {
        return undefined;
    }
    return {
        subject,
        namespace: str(at(subject.props, "metadata", "namespace")) ?? "default",
        replicas: typeof replicas === "number" ? replicas : replicas === undefined ? 1 : undefined,
        podLabels: dict(podLabels) ?? {},
        component:
            at(subject.props, "metadata", "labels", "app.kubernetes.io/component") ??
            dict(podLabels)?.["app.kubernetes.io/component"],
    };
}

/** Production Deployments survive a node drain: at least minReplicas pods and a PodDisruptionBudget. */
export const productionReplicasAndPdb: StackValidationPolicy = {
    name: "production-replicas-and-pdb",
    description:
        "Production only (pack config environment: production): every Deployment runs at least minReplicas (2) pods and a PodDisruptionBudget in its namespace selects its pods. The canary track of a CanaryRelease may run fewer while its stable track meets the minimum; an idle blue-green colour may be scaled to 0; components listed in singletonComponents are exempt.",
    remediationSteps:
        "Set replicas >= 2 in the stack config and give every Deployment a PodDisruptionBudget (maxUnavailable: 1) selecting its pod labels, as createAppTrack() in components/app-track.ts does.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            environment: environmentProperty,
            minReplicas: {
                type: "integer",
                minimum: 1,
                default: 2,
                description: "Fewest pods a production Deployment may run.",
            },
            singletonComponents: {
                type: "array",
                items: { type: "string" },
                default: [],
                description:
                    "Values of the app.kubernetes.io/component label whose Deployments are singletons by design (e.g. gitlab-runner: two managers would both poll one token) and are exempt.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const config = args.getConfig<Record<string, unknown>>();
        if (environmentOf(config) !== "production") {
            return;
        }
        const minReplicas = typeof config.minReplicas === "number" ? config.minReplicas : 2;
        const singletons = new Set(stringList(config, "singletonComponents"));
        const subjects = stackSubjects(args);
        const deployments = subjects
            .filter((s) => isKube(s.type, "apps", "Deployment"))
            .map(viewOf)
            .filter((d): d is DeploymentView => d !== undefined);
        const budgets = subjects.filter((s) => isKube(s.type, "policy", "PodDisruptionBudget"));

        for (const deployment of deployments) {
            const { subject } = deployment;
            if (typeof deployment.component === "string" && singletons.has(deployment.component)) {
                continue;
            }
            const parentUrn = subject.resource.parent?.urn;
            const isCanaryTrack =
                deployment.podLabels.track === "canary" && subject.ancestors[0] === CANARY_RELEASE_TYPE;
            const stableSibling = deployments.find(
                (d) =>
                    d.podLabels.track === "stable" &&
                    d.subject.resource.parent?.urn === parentUrn &&
                    (d.replicas ?? 0) >= minReplicas,
            );
            const isIdleColour = deployment.replicas === 0 && subject.ancestors[0] === BLUE_GREEN_RELEASE_TYPE;
            const replicas = deployment.replicas;
            if (
                replicas !== undefined &&
                replicas < minReplicas &&
                !(isCanaryTrack && stableSibling) &&
                !isIdleColour
            ) {
                reportViolation(
                    `${describe(subject)} runs ${replicas} replica${replicas === 1 ? "" : "s"} (spec.replicas${at(subject.props, "spec", "replicas") === undefined ? " unset, default 1" : ""}); production needs at least ${minReplicas} so a node drain or a crash does not take it down. ` +
                        `Fix: set replicas to ${minReplicas} or more in the stack config.`,
                    subject.urn,
                );
            }
            const covered = budgets.some(
                (pdb) =>
                    (str(at(pdb.props, "metadata", "namespace")) ?? "default") === deployment.namespace &&
                    selects(at(pdb.props, "spec", "selector"), deployment.podLabels),
            );
            if (!covered && !isIdleColour) {
                reportViolation(
                    `${describe(subject)} has no PodDisruptionBudget selecting its pods (labels ${JSON.stringify(deployment.podLabels)}) in namespace ${deployment.namespace}, so a node drain may evict all of them at once. ` +
                        "Fix: add a policy/v1 PodDisruptionBudget with maxUnavailable: 1 and spec.selector.matchLabels equal to the Deployment's selector.",
                    subject.urn,
                );
            }
        }
    },
};
