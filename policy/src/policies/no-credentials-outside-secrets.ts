import type { ResourceValidationPolicy } from "@pulumi/policy";

import { findCredential, isCredentialName } from "../lib/credentials";
import { containerLabel, containersOf, describe, isKube, kubeType, podSpecOf, type Subject } from "../lib/kube";
import { type Report, subjectOf } from "../lib/policy";
import { at, dict, fromBase64, list, str, stringEntries } from "../lib/values";

/** GitHub Actions variables are plain text, readable by anyone who can read the repository settings. */
const GITHUB_VARIABLE_TYPES = new Set([
    "github:index/actionsVariable:ActionsVariable",
    "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
    "github:index/actionsOrganizationVariable:ActionsOrganizationVariable",
]);

function isReferenceValue(value: string): boolean {
    return value === "" || /^(\$|\{\{|<)/.test(value);
}

function checkMetadata(where: string, metadata: unknown, subject: Subject, report: Report): void {
    for (const field of ["labels", "annotations"] as const) {
        for (const [key, value] of stringEntries(at(metadata, field))) {
            const kind = findCredential(value);
            if (kind) {
                report(
                    `${describe(subject)}: ${where}${field}["${key}"] holds ${kind}; labels and annotations are readable by anyone who can list the object. ` +
                        "Fix: remove it and keep the credential in a Secret.",
                );
            }
        }
    }
}

function checkConfigMap(subject: Subject, report: Report): void {
    for (const [key, value] of stringEntries(subject.props.data)) {
        const kind = findCredential(value);
        if (kind) {
            report(
                `${describe(subject)}: data["${key}"] holds ${kind}. ConfigMaps are not secret (no encryption at rest by default, readable with plain get rights). ` +
                    "Fix: move the credential to a Secret (stringData) and mount or reference it from there.",
            );
        } else if (isCredentialName(key) && !isReferenceValue(value)) {
            report(
                `${describe(subject)}: data["${key}"] is named like a credential and holds a literal value. ` +
                    "Fix: move it to a Secret (stringData) and reference it with secretKeyRef or a secret volume.",
            );
        }
    }
    for (const [key, value] of stringEntries(subject.props.binaryData)) {
        const decoded = fromBase64(value);
        const kind = decoded === undefined ? undefined : findCredential(decoded);
        if (kind) {
            report(
                `${describe(subject)}: binaryData["${key}"] holds ${kind}. ` +
                    "Fix: move the credential to a Secret and mount or reference it from there.",
            );
        }
    }
}

function checkWorkload(subject: Subject, report: Report): void {
    const pod = podSpecOf(subject);
    if (!pod) {
        return;
    }
    checkMetadata(`pod template ${pod.path.replace(/\.spec$/, ".metadata")}.`, pod.metadata, subject, report);
    for (const ref of containersOf(pod)) {
        list(ref.container.env).forEach((entry, index) => {
            const env = dict(entry);
            const name = str(env?.name) ?? `#${index}`;
            const value = str(env?.value);
            if (value === undefined) {
                return;
            }
            const kind = findCredential(value);
            if (kind) {
                report(
                    `${describe(subject)}: ${containerLabel(ref)} env ${name} (env[${index}].value) holds ${kind} as a literal in the pod spec. ` +
                        `Fix: put it in a Secret and use env[${index}].valueFrom.secretKeyRef.`,
                );
            } else if (isCredentialName(name) && !isReferenceValue(value)) {
                report(
                    `${describe(subject)}: ${containerLabel(ref)} env ${name} (env[${index}].value) is named like a credential and set to a literal in the pod spec. ` +
                        `Fix: put the value in a Secret and use env[${index}].valueFrom.secretKeyRef.`,
                );
            }
        });
        for (const field of ["command", "args"] as const) {
            list(ref.container[field]).forEach((entry, index) => {
                const kind = typeof entry === "string" ? findCredential(entry) : undefined;
                if (kind) {
                    report(
                        `${describe(subject)}: ${containerLabel(ref)} ${field}[${index}] holds ${kind} on the command line (visible in the pod spec and the process list). ` +
                            "Fix: read it from a Secret (env valueFrom.secretKeyRef or a mounted file).",
                    );
                }
            });
        }
    }
}

function checkGitHubVariable(subject: Subject, report: Report): void {
    const name = str(subject.props.variableName) ?? subject.name;
    const value = str(subject.props.value);
    const kind = value === undefined ? undefined : findCredential(value);
    if (kind || isCredentialName(name)) {
        const secretType = subject.type.includes("Organization")
            ? "github.ActionsOrganizationSecret"
            : subject.type.includes("Environment")
              ? "github.ActionsEnvironmentSecret"
              : "github.ActionsSecret (or an environment secret)";
        report(
            `GitHub Actions variable ${name} (${subject.type.split(":").pop() ?? subject.type} "${subject.name}") ${kind ? `holds ${kind}` : "is named like a credential"}; Actions variables are plain text and shown in logs. ` +
                `Fix: store it as a ${secretType} with a pulumi.secret value.`,
        );
    }
}

/** Credentials live in Secrets only: not in ConfigMaps, env literals, command lines, labels, annotations or CI variables. */
export const noCredentialsOutsideSecrets: ResourceValidationPolicy = {
    name: "no-credentials-outside-secrets",
    description:
        "No credential-looking value (GitLab/GitHub/AWS/Slack tokens, password=/token= assignments, URLs with passwords, private key blocks, dockerconfig JSON with auths) in ConfigMaps, container env literals, command lines, labels, annotations or GitHub Actions variables; registry and deploy credentials belong in Secrets.",
    remediationSteps:
        "Move the value into a Kubernetes Secret (stringData, from a pulumi.secret) and reference it with secretKeyRef or a secret volume; in GitHub use Actions (environment) secrets, not variables. Messages name the field, never the value.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const subject = subjectOf(args);
        const report: Report = (message) => {
            reportViolation(message);
        };
        if (GITHUB_VARIABLE_TYPES.has(args.type)) {
            checkGitHubVariable(subject, report);
            return;
        }
        const kube = kubeType(args.type);
        if (!kube || (kube.group === "core" && kube.kind.startsWith("Secret"))) {
            return;
        }
        checkMetadata("metadata.", subject.props.metadata, subject, report);
        if (isKube(args.type, "core", "ConfigMap") || isKube(args.type, "core", "ConfigMapPatch")) {
            checkConfigMap(subject, report);
        }
        checkWorkload(subject, report);
    },
};
