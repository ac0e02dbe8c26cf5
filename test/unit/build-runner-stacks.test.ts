/**
 * The build runner the committed stacks register, under Pulumi mocks: its baseline namespace, its
 * config.toml (build role, its own token, the SPO profile path, the build nodes), its outputs, the
 * template's default tags against the stacks' runner tags, and the config checks of runners.build.
 */
import { byName, isSecretValue, ofType, rawAt, reset, runProgram, settle, valueOf } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";

import { parsePlainConfig, requiredSecrets } from "../../config/schema";
import { runnerSecretProblems } from "../../config/runner-secrets";
import { committedStackConfig, fakeRunnerToken } from "../support/stack-secrets";

type Obj = Record<string, unknown>;
const SENTINEL = "sentinel8b";
const K8S = "kubernetes:core/v1";
const ROOT = join(__dirname, "..", "..");

/** The template's default tags of one input, as GitLab reads its spec. */
function templateDefaultTags(input: string): string[] {
    const text = readFileSync(join(ROOT, "templates", "gitlab", "container-app.yml"), "utf8");
    const spec = parseYaml(text.split(/^---$/m)[0] ?? "") as {
        spec: { inputs: Record<string, { default: string[] }> };
    };
    return spec.spec.inputs[input]?.default ?? [];
}

const subset = (job: readonly string[], runner: readonly string[]): boolean => job.every((tag) => runner.includes(tag));

describe("the stacks' build runner", { concurrency: 1 }, () => {
    beforeEach(async () => {
        await settle();
        reset();
    });

    for (const stack of ["staging", "production"]) {
        it(`${stack}: a baseline namespace, the build role's config.toml with its own token, the SPO profile`, async () => {
            const { values, secrets } = committedStackConfig(stack, SENTINEL);
            const outputs = runProgram(values, secrets);
            await settle();

            const ns = byName(`${K8S}:Namespace`, "build-runner-ns");
            const meta = ns.inputs.metadata as Obj;
            const labels = meta.labels as Obj;
            assert.equal(meta.name, `ci-build-${stack}`);
            assert.equal(labels["pod-security.kubernetes.io/enforce"], "baseline");
            assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted");
            assert.equal(labels["pod-security.kubernetes.io/audit"], "restricted");
            assert.equal(labels["cicd.platform/runner-role"], "build");
            // The general runner's namespace stays restricted.
            const general = byName(`${K8S}:Namespace`, "runners-ns").inputs.metadata as Obj;
            assert.equal((general.labels as Obj)["pod-security.kubernetes.io/enforce"], "restricted");

            const secret = byName(`${K8S}:Secret`, "build-runner-config");
            assert.ok(
                isSecretValue(rawAt(secret, "stringData")) || isSecretValue(rawAt(secret, "stringData", "config.toml")),
            );
            const toml = parseToml((secret.inputs.stringData as Obj)["config.toml"] as string) as Obj;
            const runner = (toml.runners as Obj[])[0] as Obj;
            assert.equal(runner.token, fakeRunnerToken("build", SENTINEL));
            const k = runner.kubernetes as Obj;
            assert.equal(k.namespace, `ci-build-${stack}`);
            assert.deepEqual({ ...(k.node_selector as Obj) }, { "cicd.platform/rootless-build": "true" });
            const patch = ((k.pod_spec as Obj[])[0] as Obj).patch as string;
            assert.match(patch, /localhostProfile: "operator\/cicd-rootless-buildah\.json"/);
            assert.match(patch, /^\s*hostUsers: false$/m);
            const build = (k.build_container_security_context as Obj).capabilities as Obj;
            assert.deepEqual([...(build.add as string[])], ["SETUID", "SETGID", "SETFCAP"]);

            // SPO delivery: the profile object, and no uid-0 installer or privileged namespace.
            assert.equal(ofType("kubernetes:security-profiles-operator.x-k8s.io/v1beta1:SeccompProfile").length, 1);
            assert.equal(ofType("kubernetes:apps/v1:DaemonSet").length, 0);
            const privileged = ofType(`${K8S}:Namespace`).filter(
                (n) =>
                    ((n.inputs.metadata as Obj).labels as Obj)["pod-security.kubernetes.io/enforce"] === "privileged",
            );
            assert.deepEqual(privileged, []);

            const outputsOfBuild = outputs.runners.build;
            assert.ok(outputsOfBuild);
            assert.deepEqual(outputsOfBuild.tags, [stack, "kubernetes", "rootless-build"]);
            assert.equal(await valueOf(outputsOfBuild.namespace), `ci-build-${stack}`);
            assert.equal(await valueOf(outputsOfBuild.seccompProfile), "operator/cicd-rootless-buildah.json");
        });
    }

    it("local: no build runner (the local control plane has no SPO and no node to install a profile on)", async () => {
        const { values, secrets } = committedStackConfig("local", SENTINEL);
        const outputs = runProgram(values, secrets);
        await settle();
        assert.equal(outputs.runners.build, undefined);
        assert.ok(!secrets.includes("buildRunnerToken"));
    });
});

describe("the template's default tags against the stacks' runners", () => {
    const build = templateDefaultTags("build-runner-tags");
    const general = templateDefaultTags("runner-tags");
    for (const stack of ["staging", "production"]) {
        it(`${stack}: build jobs reach only the build runner, the other jobs the general runner`, () => {
            const { values } = committedStackConfig(stack);
            const parsed = parsePlainConfig(values);
            assert.ok(parsed.ok);
            const { kubernetes, build: buildRunner, podmanHosts } = parsed.config.runners;
            assert.ok(build.length > 0 && general.length > 0);
            assert.ok(subset(build, buildRunner.tags), `[${build.join(", ")}] ⊄ [${buildRunner.tags.join(", ")}]`);
            assert.ok(!subset(build, kubernetes.tags), "the restricted runner would take build jobs it cannot run");
            for (const host of podmanHosts) {
                assert.ok(!subset(build, host.tags), `${host.name} would take build jobs`);
            }
            assert.ok(subset(general, kubernetes.tags), `[${general.join(", ")}] ⊄ [${kubernetes.tags.join(", ")}]`);
        });
    }
});

describe("the build runner's config checks", () => {
    const stagingPlain = (): Record<string, unknown> => {
        const { values, secrets } = committedStackConfig("staging");
        return Object.fromEntries(Object.entries(values).filter(([key]) => !secrets.includes(key)));
    };
    const withBuild = (build: Obj): Record<string, unknown> => {
        const values = stagingPlain();
        const runners = values.runners as Obj;
        return { ...values, runners: { ...runners, build: { ...(runners.build as Obj), ...build } } };
    };
    const problems = (values: Record<string, unknown>) => {
        const result = parsePlainConfig(values);
        assert.ok(!result.ok);
        return result.problems;
    };

    it("needs buildRunnerToken when enabled, and not otherwise", () => {
        const on = parsePlainConfig(stagingPlain());
        assert.ok(on.ok);
        assert.ok(requiredSecrets(on.config).includes("buildRunnerToken"));
        const off = parsePlainConfig(withBuild({ enabled: false, jenkinsAgents: undefined }));
        assert.ok(off.ok);
        assert.ok(!requiredSecrets(off.config).includes("buildRunnerToken"));
    });

    it("names the field: delivery mode, tags, namespace clashes, push namespaces, node selector, quota", () => {
        assert.deepEqual(problems(withBuild({ seccompDelivery: "hostpath" })), [
            { path: "runners.build.seccompDelivery", message: '"hostpath" is not "spo" or "installer"' },
        ]);
        assert.deepEqual(
            problems(withBuild({ tags: ["production", "rootless-build"] })).map((p) => p.path),
            ["runners.build.tags"],
        );
        const clash = problems(withBuild({ namespace: "ci-runners-staging" }));
        assert.equal(clash[0]?.path, "runners.build.namespace");
        assert.match(clash[0].message, /is already runners\.kubernetes\.namespace/);
        const push = problems(withBuild({ namespace: "ci-build-other" }));
        assert.deepEqual(push, [
            {
                path: "runners.build.namespace",
                message:
                    '"ci-build-other" is not in privateRegistry.pushNamespaces, so its build jobs could not push to the platform registry',
            },
        ]);
        const selector = problems(withBuild({ nodeSelector: {} }));
        assert.equal(selector[0]?.path, "runners.build.nodeSelector");
        assert.match(selector[0].message, /at least one label/);
        assert.equal(problems(withBuild({ quota: { pods: 2 } }))[0]?.path, "runners.build.quota.pods");
    });

    it("refuses a registration token and a token shared with the general runner", () => {
        const parsed = parsePlainConfig(stagingPlain());
        assert.ok(parsed.ok);
        const shared = fakeRunnerToken("same");
        const found = runnerSecretProblems(parsed.config, {
            runnerToken: shared,
            buildRunnerToken: shared,
            podmanRunnerTokens: JSON.stringify({ "build-staging-1": fakeRunnerToken("podman") }),
        });
        assert.deepEqual(found, [
            {
                path: "buildRunnerToken",
                message:
                    "holds the same token as runnerToken: every runner needs a token of its own (create one runner in GitLab per host)",
            },
        ]);
        const registration = ["GR1348941", "aBcDeFgHiJkLmNoPqRsT"].join("");
        const bad = runnerSecretProblems(parsed.config, { buildRunnerToken: registration });
        assert.equal(bad[0]?.path, "buildRunnerToken");
        assert.ok(bad.every((p) => !p.message.includes(registration)));
    });
});
