/**
 * The pack judges what the stacks' runners create: every resource of local, staging and production
 * (registered under Pulumi mocks with made-up secrets), the build runner's included, goes through every policy with the stack's own
 * policy config, and none of the runner resources may violate a policy the stack enforces (advisory
 * ones, like staging's digest advice, only warn). The misuse fixture
 * (./fixture/index.ts) proves the other direction: a privileged runner and a cluster-wide runner Role fail.
 */
import { ofType, registered, reset, runProgram, settle } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import { policies } from "../../policy/src/pack";
import { committedStackConfig } from "../support/stack-secrets";
import { checkResource, checkStack, type StackInput } from "./harness";

/** A stack's policy config: per policy an object of settings, or an enforcement level. */
function policyConfig(stack: string): Record<string, unknown> {
    return JSON.parse(readFileSync(join(__dirname, "..", "..", "policy", "config", `${stack}.json`), "utf8")) as Record<
        string,
        unknown
    >;
}

const isRunnerResource = (name: string): boolean =>
    name === "gitlab-runner" ||
    name.startsWith("gitlab-runner-") ||
    name.startsWith("runners-ns") ||
    name === "build-runner" ||
    name.startsWith("build-runner-") ||
    name.startsWith("build-seccomp") ||
    name.startsWith("podman-");

describe("the pack on the stacks' runners", { concurrency: 1 }, () => {
    for (const stack of ["local", "staging", "production"]) {
        it(`${stack}: the runner namespace, RBAC, config Secret and Deployment pass every policy`, async () => {
            await settle();
            reset();
            const { values, secrets } = committedStackConfig(stack);
            runProgram(values, secrets);
            await settle();
            const runnerResources = registered.filter((r) => isRunnerResource(r.name) && !r.type.startsWith("cicd:"));
            // What the runners add: namespace, 5-6 policies, quota, limits, SA, Role, binding, Secret, Deployment.
            assert.ok(runnerResources.length >= 13, runnerResources.map((r) => r.name).join(", "));
            assert.ok(ofType("kubernetes:rbac.authorization.k8s.io/v1:Role").some((r) => r.name === "gitlab-runner"));
            // staging and production also run the build runner (baseline namespace, SPO profile).
            assert.equal(
                ofType("kubernetes:rbac.authorization.k8s.io/v1:Role").some((r) => r.name === "build-runner"),
                stack !== "local",
            );

            const config = policyConfig(stack);
            const settings = (name: string): Record<string, unknown> | undefined => {
                const entry = config[name];
                return entry === "disabled" || entry === "advisory"
                    ? undefined
                    : typeof entry === "object" && entry !== null
                      ? (entry as Record<string, unknown>)
                      : {};
            };
            const findings: string[] = [];
            const all: StackInput[] = registered
                .filter((r) => !r.type.startsWith("cicd:"))
                .map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
            for (const p of policies) {
                const policySettings = settings(p.name);
                if (policySettings === undefined) {
                    continue;
                }
                if ("validateResource" in p) {
                    for (const resource of runnerResources) {
                        const messages = await checkResource(
                            p.name,
                            { type: resource.type, name: resource.name, props: resource.inputs },
                            policySettings,
                        );
                        findings.push(...messages.map((m) => `${p.name}: ${m}`));
                    }
                } else {
                    const violations = await checkStack(p.name, all, policySettings);
                    findings.push(
                        ...violations
                            .filter((v) => v.urn === undefined || isRunnerResource(v.urn.split("::").at(-1) ?? ""))
                            .filter((v) => v.urn !== undefined || /runner/i.test(v.message))
                            .map((v) => `${p.name}: ${v.message}`),
                    );
                }
            }
            assert.deepEqual(findings, []);
        });
    }
});

describe("the pack on the node-installer delivery", () => {
    // The committed stacks deliver the build profile through the Security Profiles Operator. The
    // installer DaemonSet writes into the kubelet's directory as uid 0 through a hostPath: the pack
    // has no exception for it, so a stack that chooses `installer` must waive these policies itself.
    it("refuses the installer DaemonSet for its uid 0, its hostPath and its image tag, and nothing else", async () => {
        await settle();
        reset();
        const { values, secrets } = committedStackConfig("staging");
        const runners = values.runners as Record<string, Record<string, unknown>>;
        runProgram(
            { ...values, runners: { ...runners, build: { ...runners.build, seccompDelivery: "installer" } } },
            secrets,
        );
        await settle();
        const daemonSets = ofType("kubernetes:apps/v1:DaemonSet");
        assert.equal(daemonSets.length, 1);
        const installer = daemonSets[0];
        assert.ok(installer);
        const failed: string[] = [];
        for (const p of policies.filter((q) => "validateResource" in q)) {
            const messages = await checkResource(p.name, {
                type: installer.type,
                name: installer.name,
                props: installer.inputs,
            });
            if (messages.length > 0) {
                failed.push(p.name);
            }
        }
        // The image finding is the pack's default enforcement; the default installer image is a tag.
        assert.deepEqual(failed.sort(), [
            "image-pinned-by-digest",
            "pod-no-host-namespaces-or-paths",
            "pod-run-as-non-root",
        ]);
    });
});
