import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { EXECUTOR_RULES } from "../../components/runners/gitlab-runner";
import { renderKubernetesRunnerConfig, renderPodmanRunnerConfig } from "../../components/runners/runner-config";
import { runnerConfigProblems } from "../../policy/src/lib/runner-config";
import { checkResource, UNKNOWN_STRING } from "./harness";
import { configMap, secret } from "./objects";

const token = "glrt-" + "t1_" + "a1B2c3D4e5F6g7H8i9J0kLmN";
const common = { name: "ci", url: "https://gitlab.example.com", token, image: "quay.io/buildah/stable:v1.38.1" };
const kubernetesConfig = renderKubernetesRunnerConfig({ ...common, namespace: "ci" });
const podmanConfig = renderPodmanRunnerConfig(common);

describe("runner-config-unprivileged", () => {
    const check = (resource: Parameters<typeof checkResource>[1]): Promise<string[]> =>
        checkResource("runner-config-unprivileged", resource);

    it("GIVEN the config.toml the components render (kubernetes and Podman host) in a Secret THEN it passes", async () => {
        assert.deepEqual(await check(secret({ "config.toml": kubernetesConfig })), []);
        assert.deepEqual(await check(secret({ "config.toml": podmanConfig })), []);
        const data = {
            type: "kubernetes:core/v1:Secret",
            name: "cfg",
            props: { metadata: {}, data: { "config.toml": Buffer.from(kubernetesConfig).toString("base64") } },
        };
        assert.deepEqual(await check(data), []);
    });

    describe("the build runner's job pods", () => {
        const buildConfig = renderKubernetesRunnerConfig({ ...common, namespace: "ci-build", role: "build" });

        it("GIVEN the rendered build runner config THEN it passes", async () => {
            assert.deepEqual(await check(secret({ "config.toml": buildConfig })), []);
        });

        it("GIVEN a capability beyond SETUID, SETGID, SETFCAP THEN it is refused, naming it", () => {
            const more = buildConfig.replace(
                'add = ["SETUID", "SETGID", "SETFCAP"]',
                'add = ["SETUID", "SETGID", "SETFCAP", "SYS_ADMIN"]',
            );
            assert.notEqual(more, buildConfig);
            assert.match(runnerConfigProblems(more).join("\n"), /adds SYS_ADMIN to the build container/);
            const viaCapAdd = kubernetesConfig.replace(
                'cap_drop = ["ALL"]',
                'cap_drop = ["ALL"]\n    cap_add = ["NET_ADMIN"]',
            );
            assert.match(runnerConfigProblems(viaCapAdd).join("\n"), /adds NET_ADMIN to the build container/);
        });

        it("GIVEN capabilities on the helper container THEN it is refused", () => {
            const helper = buildConfig.replace(
                "[runners.kubernetes.helper_container_security_context.capabilities]",
                '[runners.kubernetes.helper_container_security_context.capabilities]\n        add = ["SETUID"]',
            );
            assert.match(
                runnerConfigProblems(helper).join("\n"),
                /helper_container_security_context; only the build container/,
            );
        });

        it("GIVEN an Unconfined profile, or the capabilities without a user namespace or seccomp profile THEN it is refused", () => {
            const unconfined = buildConfig.replace("type: Localhost", "type: Unconfined");
            assert.match(runnerConfigProblems(unconfined).join("\n"), /Unconfined/);
            assert.match(runnerConfigProblems(unconfined).join("\n"), /sets no seccomp profile/);
            const hostUsers = buildConfig.replace("hostUsers: false", "hostUsers: true");
            assert.match(runnerConfigProblems(hostUsers).join("\n"), /without a user namespace per job pod/);
        });

        it("GIVEN privileged = true on the build container THEN it is refused", () => {
            const privileged = buildConfig.replace(
                /(build_container_security_context\][^[]*?)privileged = false/,
                "$1privileged = true",
            );
            assert.notEqual(privileged, buildConfig);
            assert.match(
                runnerConfigProblems(privileged).join("\n"),
                /build_container_security_context\.privileged = true/,
            );
        });
    });

    it("GIVEN privileged = true in a Secret's stringData THEN it reports runner, key and fix", async () => {
        const messages = await check(
            secret({ "config.toml": kubernetesConfig.replace("privileged = false", "privileged = true") }),
        );
        assert.equal(messages.length, 1);
        assert.match(
            messages[0]!,
            /Secret ci\/<auto-named runner-config-…>: the runner config in stringData\["config\.toml"\]: runners\[0\] \("ci"\) sets runners\[0\]\.kubernetes\.privileged = true.*Fix: set privileged = false/,
        );
    });

    it("GIVEN privileged = true in base64 data or a ConfigMap THEN it finds it there too", async () => {
        const privileged = podmanConfig.replace("privileged = false", "privileged = true");
        const data = {
            type: "kubernetes:core/v1:Secret",
            name: "cfg",
            props: { metadata: {}, data: { "runner.toml": Buffer.from(privileged).toString("base64") } },
        };
        assert.match(
            (await check(data))[0]!,
            /data\["runner\.toml"\]: runners\[0\] \("ci"\) sets runners\[0\]\.docker\.privileged = true/,
        );
        assert.equal((await check(configMap({ "config.toml": privileged }))).length, 1);
    });

    it("GIVEN a docker or kubernetes runner without a privileged line THEN an absent flag is not accepted", () => {
        const problems = runnerConfigProblems(podmanConfig.replace("    privileged = false\n", ""));
        assert.deepEqual(problems.length, 1);
        assert.match(
            problems[0]!,
            /uses the docker executor but \[runners\.docker\] does not set privileged.*add privileged = false/,
        );
        assert.equal(runnerConfigProblems(kubernetesConfig.replace("    privileged = false\n", "")).length, 1);
        assert.deepEqual(runnerConfigProblems('[[runners]]\n  name = "sh"\n  executor = "shell"\n'), []);
    });

    it("GIVEN the Docker socket, added capabilities, hostPath volumes or services_privileged THEN it reports each", () => {
        const config = [
            "[[runners]]",
            '  name = "dind"',
            '  executor = "docker"',
            "  [runners.docker]",
            "    privileged = false",
            "    services_privileged = true",
            '    volumes = ["/cache", "/var/run/docker.sock:/var/run/docker.sock"]',
            '    cap_add = ["SYS_ADMIN"]',
            "[[runners]]",
            '  name = "k8s"',
            '  executor = "kubernetes"',
            "  [runners.kubernetes]",
            "    privileged = false",
            "    allow_privilege_escalation = true",
            "    [[runners.kubernetes.volumes.host_path]]",
            '      name = "docker"',
            '      mount_path = "/var/run/docker.sock"',
            "",
        ].join("\n");
        const problems = runnerConfigProblems(config);
        assert.equal(problems.length, 5, problems.join("\n"));
        assert.match(problems.join("\n"), /services_privileged = true/);
        assert.match(problems.join("\n"), /container engine socket/);
        assert.match(problems.join("\n"), /adds capabilities SYS_ADMIN/);
        assert.match(
            problems.join("\n"),
            /runners\[1\] \("k8s"\) sets runners\[1\]\.kubernetes\.allow_privilege_escalation = true/,
        );
        assert.match(problems.join("\n"), /hostPath volumes/);
    });

    it("GIVEN broken TOML THEN it says where without quoting the line (which may hold the token)", () => {
        const problems = runnerConfigProblems(`[[runners]]\n  token = "${token}\n`);
        assert.equal(problems.length, 1);
        assert.match(problems[0]!, /does not parse as TOML at line 2/);
        assert.ok(!problems[0]!.includes(token));
    });

    it("GIVEN a config.toml unknown during preview, or TOML that is no runner config THEN it skips it", async () => {
        assert.deepEqual(await check(secret({ "config.toml": UNKNOWN_STRING })), []);
        assert.deepEqual(await check(configMap({ "app.toml": "privileged = true" })), []);
    });
});

const RBAC = "kubernetes:rbac.authorization.k8s.io/v1";

describe("runner-rbac-namespaced", () => {
    const check = (resource: Parameters<typeof checkResource>[1]): Promise<string[]> =>
        checkResource("runner-rbac-namespaced", resource);
    const runnerLabels = { "app.kubernetes.io/component": "gitlab-runner" };

    it("GIVEN the runner's namespaced Role and RoleBinding as GitLabRunner builds them THEN it passes", async () => {
        assert.deepEqual(
            await check({
                type: `${RBAC}:Role`,
                name: "ci",
                props: { metadata: { namespace: "ci", labels: runnerLabels }, rules: EXECUTOR_RULES },
            }),
            [],
        );
        const binding = {
            type: `${RBAC}:RoleBinding`,
            name: "ci",
            props: {
                metadata: { namespace: "ci", labels: runnerLabels },
                roleRef: { kind: "Role", name: "ci-1234" },
                subjects: [{ kind: "ServiceAccount", name: "ci-5678", namespace: "ci" }],
            },
        };
        assert.deepEqual(await check(binding), []);
    });

    it("GIVEN a ClusterRole labelled as the runner's, or a ClusterRoleBinding named like a runner THEN it reports cluster scope", async () => {
        const role = await check({
            type: `${RBAC}:ClusterRole`,
            name: "ci",
            props: { metadata: { labels: runnerLabels }, rules: [] },
        });
        assert.match(
            role[0]!,
            /ClusterRole <auto-named ci-…> belongs to a GitLab runner .* cluster-scoped.*Fix: use a Role and RoleBinding/,
        );
        assert.equal(
            (
                await check({
                    type: `${RBAC}:ClusterRoleBinding`,
                    name: "x",
                    props: {
                        metadata: { name: "gitlab-runner-admin" },
                        roleRef: { kind: "ClusterRole", name: "view" },
                    },
                })
            ).length,
            1,
        );
        const bound = await check({
            type: `${RBAC}:ClusterRoleBinding`,
            name: "ops",
            props: {
                metadata: { name: "ops" },
                subjects: [{ kind: "ServiceAccount", name: "runner", namespace: "ci" }],
            },
        });
        assert.match(bound[0]!, /binds the runner identity ServiceAccount ci\/runner cluster-wide/);
    });

    it("GIVEN a runner RoleBinding to cluster-admin THEN it reports it; other ClusterRoles and non-runners pass", async () => {
        const admin = {
            type: `${RBAC}:RoleBinding`,
            name: "ci",
            props: {
                metadata: { namespace: "ci", labels: runnerLabels },
                roleRef: { kind: "ClusterRole", name: "cluster-admin" },
            },
        };
        assert.match((await check(admin))[0]!, /built-in ClusterRole "cluster-admin"/);
        assert.deepEqual(
            await check({
                type: `${RBAC}:ClusterRole`,
                name: "prometheus",
                props: { metadata: { name: "prometheus" }, rules: [] },
            }),
            [],
        );
        assert.deepEqual(
            await check({
                type: `${RBAC}:ClusterRole`,
                name: "x",
                props: { metadata: { name: "rerunner-view" }, rules: [] },
            }),
            [],
        );
    });
});

describe("rbac-no-wildcards", () => {
    it("GIVEN explicit rules THEN it passes; * in verbs, resources or apiGroups fails with the rule index", async () => {
        assert.deepEqual(
            await checkResource("rbac-no-wildcards", {
                type: `${RBAC}:Role`,
                name: "ci",
                props: { metadata: { namespace: "ci" }, rules: EXECUTOR_RULES },
            }),
            [],
        );
        const wild = {
            type: `${RBAC}:Role`,
            name: "ci",
            props: {
                metadata: { name: "ci", namespace: "ci" },
                rules: [EXECUTOR_RULES[0], { apiGroups: ["*"], resources: ["*"], verbs: ["get"] }],
            },
        };
        const messages = await checkResource("rbac-no-wildcards", wild);
        assert.equal(messages.length, 1);
        assert.match(messages[0]!, /Role ci\/ci: rules\[1\] uses "\*" in resources, apiGroups/);
        assert.equal(
            (
                await checkResource("rbac-no-wildcards", {
                    type: `${RBAC}:ClusterRole`,
                    name: "all",
                    props: {
                        metadata: { name: "all" },
                        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["*"] }],
                    },
                })
            ).length,
            1,
        );
    });
});
