import type { ResourceValidationPolicy } from "@pulumi/policy";

import { describe, isKube } from "../lib/kube";
import { subjectOf } from "../lib/policy";
import { isRunnerConfig, runnerConfigProblems } from "../lib/runner-config";
import { fromBase64, stringEntries } from "../lib/values";

/** Every GitLab runner config.toml the stack ships keeps job containers unprivileged. */
export const runnerConfigUnprivileged: ResourceValidationPolicy = {
    name: "runner-config-unprivileged",
    description:
        "A GitLab Runner config.toml (any key ending in .toml with a [[runners]] table, in a Secret's data/stringData or a ConfigMap's data/binaryData) sets privileged = false explicitly for every docker/kubernetes runner, never sets privileged, services_privileged or allow_privilege_escalation to true, and mounts no container engine socket or hostPath into jobs; a Kubernetes runner's job pods are never Unconfined, add no capability beyond SETUID, SETGID and SETFCAP (on the build container only), and add those only with a user namespace per pod (hostUsers: false) and a RuntimeDefault or Localhost seccomp profile.",
    remediationSteps:
        "Render the config with components/runner-config.ts (renderKubernetesRunnerConfig / renderPodmanRunnerConfig), which writes privileged = false; build images rootless with Buildah instead of Docker-in-Docker.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const isSecret = isKube(args.type, "core", "Secret");
        const isConfigMap = isKube(args.type, "core", "ConfigMap");
        if (!isSecret && !isConfigMap) {
            return;
        }
        const subject = subjectOf(args);
        const documents: [string, string][] = [];
        for (const [key, value] of stringEntries(subject.props.stringData)) {
            documents.push([`stringData["${key}"]`, value]);
        }
        for (const field of [isSecret ? "data" : "binaryData"]) {
            for (const [key, value] of stringEntries(subject.props[field])) {
                const decoded = fromBase64(value);
                if (decoded !== undefined && isRunnerConfig(key, decoded)) {
                    documents.push([`${field}["${key}"]`, decoded]);
                }
            }
        }
        if (isConfigMap) {
            for (const [key, value] of stringEntries(subject.props.data)) {
                documents.push([`data["${key}"]`, value]);
            }
        }
        for (const [where, text] of documents) {
            const key = /\["(.*)"\]$/.exec(where)?.[1] ?? "";
            if (!isRunnerConfig(key, text)) {
                continue;
            }
            for (const problem of runnerConfigProblems(text)) {
                reportViolation(`${describe(subject)}: the runner config in ${where}: ${problem}`);
            }
        }
    },
};
