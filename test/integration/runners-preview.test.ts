/**
 * `pulumi preview` of the staging and production stacks through the real engine registers their CI
 * runners (the Kubernetes-executor runner, the build runner, the Jenkins agents' access and the
 * Podman runner hosts' remote commands), each in its own namespace with its tags and token, the
 * config Secret's data shown only as a secret. The committed stack files with made-up secrets; no
 * cluster (an offline kubeconfig); GitHub answered by the stand-in.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { isolatedEnv, OFFLINE_KUBECONFIG, policyFlags, ROOT, run, stripSecure } from "../support/engine";
import { type GitHubApiStandIn, startGitHubApiStandIn } from "../support/github-api-standin";
import {
    linkedProject,
    previewDiagnostics,
    type PreviewStep,
    stackDemoSecrets,
    stackInitCommands,
    typeAndName,
} from "../support/stack-project";
import { type Obj, table } from "./runner-executor";

/** No control plane starts here (previews only); the ports are this file's all the same. */
const CONTROL_PLANE = { apiserver: 19443, etcd: 19379 };

describe(
    "pulumi preview of staging and production registers their runners, the Podman runner hosts' remote commands included",
    { timeout: 600_000 },
    () => {
        const STACKS = ["staging", "production"] as const;
        let env: NodeJS.ProcessEnv = {};
        let dir = "";
        let project = "";
        let api: GitHubApiStandIn | undefined;
        const secretsOf: Record<string, Record<string, string>> = {};

        before(async () => {
            // No control plane here: previews run against a kubeconfig whose server does not answer.
            ({ env, dir } = await isolatedEnv(CONTROL_PLANE));
            writeFileSync(join(dir, "kubeconfig"), OFFLINE_KUBECONFIG);
            api = await startGitHubApiStandIn("example-org");
            env = {
                ...env,
                KUBECONFIG: join(dir, "kubeconfig"),
                PULUMI_CONFIG_PASSPHRASE: "runners-preview-test",
                GITHUB_BASE_URL: api.baseUrl,
                GITHUB_TOKEN: "stand-in-token",
            };
            const committed = Object.fromEntries(
                STACKS.map((stack) => [stack, readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")]),
            );
            const files = Object.fromEntries(STACKS.map((stack) => [stack, stripSecure(committed[stack] ?? "")]));
            project = linkedProject(dir, files);
            for (const stack of STACKS) {
                // A short tag: the registry passwords it makes must stay within bcrypt's 72 bytes.
                const secrets = stackDemoSecrets(committed[stack] ?? "", files[stack] ?? "", `rp-${stack}`);
                secretsOf[stack] = secrets;
                for (const args of stackInitCommands(stack, secrets)) {
                    const result = await run("pulumi", args, env, { cwd: project });
                    assert.equal(result.code, 0, `pulumi ${args.slice(0, 3).join(" ")}: ${result.stderr}`);
                }
            }
        });

        after(async () => {
            await api?.close();
            if (dir) {
                rmSync(dir, { recursive: true, force: true });
            }
        });

        for (const stack of STACKS) {
            it(`${stack}: its own runner namespace, tags and token; the config Secret's data secret`, async () => {
                const flags = await policyFlags(stack, env);
                const preview = await run(
                    "pulumi",
                    ["preview", "--json", "--stack", stack, "--non-interactive", ...flags],
                    env,
                    { cwd: project },
                );
                assert.equal(preview.code, 0, previewDiagnostics(preview));
                const steps = (JSON.parse(preview.stdout) as { steps: PreviewStep[] }).steps;
                const runnerSteps = steps.filter((s) => /cicd:runners:/.test(s.urn));
                const byName = new Map(runnerSteps.map((s) => [typeAndName(s.urn), s]));
                const podmanHost = `podman-build-${stack}-1`;
                assert.deepEqual(
                    [...byName.keys()].sort(),
                    [
                        `cicd:runners:PodmanRunnerHost::${podmanHost}`,
                        "cicd:runners:GitLabRunner::gitlab-runner",
                        "cicd:runners:RunnerNamespace::runners-ns",
                        "kubernetes:apps/v1:Deployment::gitlab-runner",
                        "kubernetes:core/v1:LimitRange::runners-ns",
                        "kubernetes:core/v1:Namespace::runners-ns",
                        "kubernetes:core/v1:ResourceQuota::runners-ns",
                        "kubernetes:core/v1:Secret::gitlab-runner-config",
                        "kubernetes:core/v1:ServiceAccount::gitlab-runner",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::runners-ns-allow-cache",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::runners-ns-allow-dns",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::runners-ns-allow-gitlab",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::runners-ns-allow-registry",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::runners-ns-allow-runner-to-apiserver",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::runners-ns-default-deny",
                        "kubernetes:rbac.authorization.k8s.io/v1:Role::gitlab-runner",
                        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::gitlab-runner",
                        `command:remote:Command::${podmanHost}-config`,
                        `command:remote:Command::${podmanHost}-podman-socket`,
                        // The build runner: its baseline namespace, its runner, its profile through SPO.
                        "cicd:runners:BuildSeccompDelivery::build-seccomp",
                        "cicd:runners:GitLabRunner::build-runner",
                        "cicd:runners:RunnerNamespace::build-runner-ns",
                        "kubernetes:security-profiles-operator.x-k8s.io/v1beta1:SeccompProfile::build-seccomp-profile",
                        "kubernetes:apps/v1:Deployment::build-runner",
                        "kubernetes:core/v1:LimitRange::build-runner-ns",
                        "kubernetes:core/v1:Namespace::build-runner-ns",
                        "kubernetes:core/v1:ResourceQuota::build-runner-ns",
                        "kubernetes:core/v1:Secret::build-runner-config",
                        "kubernetes:core/v1:ServiceAccount::build-runner",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::build-runner-ns-allow-dns",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::build-runner-ns-allow-gitlab",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::build-runner-ns-allow-registry",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::build-runner-ns-allow-runner-to-apiserver",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::build-runner-ns-default-deny",
                        "kubernetes:rbac.authorization.k8s.io/v1:Role::build-runner",
                        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::build-runner",
                        // The Jenkins agents' access in the build runner's namespace (runners.build.jenkinsAgents).
                        "cicd:runners:JenkinsAgentAccess::jenkins-agents",
                        "kubernetes:core/v1:ServiceAccount::jenkins-agents",
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy::jenkins-agents-to-controller",
                        "kubernetes:rbac.authorization.k8s.io/v1:Role::jenkins-agents",
                        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::jenkins-agents",
                    ].sort(),
                );
                assert.ok(
                    runnerSteps.every((s) => s.op === "create"),
                    "a new stack creates its runners",
                );
                const inputs = (key: string): Obj => byName.get(key)?.newState?.inputs ?? {};

                const namespace = table(inputs("kubernetes:core/v1:Namespace::runners-ns").metadata);
                assert.equal(namespace.name, `ci-runners-${stack}`);
                assert.equal(table(namespace.labels)["pod-security.kubernetes.io/enforce"], "restricted");
                assert.equal(table(namespace.labels)["cicd.platform/environment"], stack);

                const deployment = inputs("kubernetes:apps/v1:Deployment::gitlab-runner");
                const spec = table(deployment.spec);
                assert.equal(spec.replicas, 1);
                assert.deepEqual(spec.strategy, { type: "Recreate" });
                assert.equal(
                    table(table(deployment.metadata).annotations)["cicd.platform/runner-tags"],
                    `${stack},kubernetes,rootless-buildah`,
                );
                assert.equal(table(deployment.metadata).namespace, `ci-runners-${stack}`);
                const buildNamespace = table(inputs("kubernetes:core/v1:Namespace::build-runner-ns").metadata);
                assert.equal(buildNamespace.name, `ci-build-${stack}`);
                assert.equal(table(buildNamespace.labels)["pod-security.kubernetes.io/enforce"], "baseline");
                assert.equal(
                    table(table(inputs("kubernetes:apps/v1:Deployment::build-runner").metadata).annotations)[
                        "cicd.platform/runner-tags"
                    ],
                    `${stack},kubernetes,rootless-build`,
                );

                const secret = inputs("kubernetes:core/v1:Secret::gitlab-runner-config");
                // The provider's check folds stringData into data; the engine shows it only as a secret.
                assert.equal(secret.data, "[secret]", JSON.stringify(secret));
                assert.equal(secret.stringData, undefined);

                const text = preview.stdout + preview.stderr;
                for (const [key, value] of Object.entries(secretsOf[stack] ?? {})) {
                    assert.ok(!text.includes(value), `the preview shows ${key}`);
                }
                assert.ok(
                    api?.calls.some((c) => c.endsWith("/orgs/example-org")),
                    "GitHub stayed on: its provider asked the stand-in for the owner",
                );
            });
        }
    },
);
