import { byName, ofType, reset, settle, valueOf } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";

import { BuildSeccompDelivery, GitLabRunner, renderKubernetesRunnerConfig, RunnerNamespace } from "../../components";
import {
    BUILD_EXTRA_SYSCALLS,
    buildSeccompProfile,
    renderBuildSeccompProfile,
    runtimeDefaultProfile,
} from "../../components/runners/build-seccomp-profile";

type Obj = Record<string, unknown>;
const TOKEN = ["glrt", "buildRunnerT0ken_42"].join("-");
const base = { name: "ci", url: "https://gitlab.example.com", token: TOKEN, image: "quay.io/buildah/stable:v1.38.1" };

function kubernetesSection(text: string): Obj {
    return ((parseToml(text) as Obj).runners as Obj[])[0]?.kubernetes as Obj;
}

describe("the build runner's config.toml", () => {
    it("runs the build container as uid 0 of the pod's user namespace with the three capabilities only", () => {
        const k = kubernetesSection(renderKubernetesRunnerConfig({ ...base, namespace: "ci-build", role: "build" }));
        const build = k.build_container_security_context as Obj;
        assert.equal(build.run_as_user, 0);
        assert.equal(build.run_as_non_root, false);
        assert.equal(build.allow_privilege_escalation, false);
        assert.equal(build.privileged, false);
        assert.deepEqual({ ...(build.capabilities as Obj) }, { drop: ["ALL"], add: ["SETUID", "SETGID", "SETFCAP"] });
        for (const section of ["init_permissions", "helper", "service"]) {
            const ctx = k[`${section}_container_security_context`] as Obj;
            assert.equal(ctx.run_as_non_root, true, section);
            assert.deepEqual({ ...(ctx.capabilities as Obj) }, { drop: ["ALL"] }, section);
        }
        assert.equal((k.pod_security_context as Obj).run_as_non_root, undefined);
        assert.equal((k.pod_security_context as Obj).fs_group, 1000);
        assert.deepEqual({ ...(k.node_selector as Obj) }, { "cicd.platform/rootless-build": "true" });
        const patch = parseYaml((k.pod_spec as Obj[])[0]?.patch as string) as Obj;
        assert.deepEqual(patch, {
            hostUsers: false,
            automountServiceAccountToken: false,
            securityContext: {
                seccompProfile: { type: "Localhost", localhostProfile: "cicd-platform/rootless-buildah.json" },
            },
        });
    });

    it("names an AppArmor profile only when given one, and refuses bad profile paths and roles", () => {
        const withAppArmor = kubernetesSection(
            renderKubernetesRunnerConfig({
                ...base,
                namespace: "ci-build",
                role: "build",
                appArmorLocalhostProfile: "cicd-rootless-buildah",
            }),
        );
        const patch = parseYaml((withAppArmor.pod_spec as Obj[])[0]?.patch as string) as Obj;
        assert.deepEqual((patch.securityContext as Obj).appArmorProfile, {
            type: "Localhost",
            localhostProfile: "cicd-rootless-buildah",
        });
        assert.throws(
            () =>
                renderKubernetesRunnerConfig({
                    ...base,
                    namespace: "ci-build",
                    role: "build",
                    seccompLocalhostProfile: "../etc/x.json",
                }),
            /seccompLocalhostProfile: "\.\.\/etc\/x\.json" must be a relative path/,
        );
        assert.throws(
            () => renderKubernetesRunnerConfig({ ...base, namespace: "ci", role: "root" as "build" }),
            /role: "root" must be "general" or "build"/,
        );
    });

    it("leaves the general runner's pods restricted", () => {
        const k = kubernetesSection(renderKubernetesRunnerConfig({ ...base, namespace: "ci" }));
        assert.deepEqual({ ...((k.build_container_security_context as Obj).capabilities as Obj) }, { drop: ["ALL"] });
        assert.equal(k.node_selector, undefined);
        assert.match((k.pod_spec as Obj[])[0]?.patch as string, /type: RuntimeDefault/);
    });
});

describe("the build seccomp profile", () => {
    it("is containerd's default plus unshare, mount, umount2 and chroot, each with its reason", () => {
        const allowed = (profile: ReturnType<typeof buildSeccompProfile>): Set<string> =>
            new Set(
                profile.syscalls
                    .filter((r) => r.action === "SCMP_ACT_ALLOW" && r.args === undefined)
                    .flatMap((r) => r.names),
            );
        const extra = [...allowed(buildSeccompProfile())].filter((n) => !allowed(runtimeDefaultProfile()).has(n));
        assert.deepEqual(extra.sort(), ["chroot", "mount", "umount2", "unshare"]);
        for (const name of extra) {
            assert.ok((BUILD_EXTRA_SYSCALLS[name] ?? "").length > 40, name);
        }
        // What the default refuses without CAP_SYS_ADMIN stays refused.
        for (const name of ["ptrace", "bpf", "kexec_load", "open_by_handle_at", "setns", "pivot_root", "init_module"]) {
            assert.ok(!allowed(buildSeccompProfile()).has(name), name);
        }
        const clone = buildSeccompProfile().syscalls.find((r) => r.names.includes("clone"));
        assert.equal(clone?.args?.[0]?.op, "SCMP_CMP_MASKED_EQ");
        assert.equal((JSON.parse(renderBuildSeccompProfile()) as Obj).defaultAction, "SCMP_ACT_ERRNO");
    });
});

describe("BuildSeccompDelivery and the build namespace", () => {
    beforeEach(reset);

    it("node installer: a privileged namespace of its own, the rendered profile, the build nodes only", async () => {
        const delivery = new BuildSeccompDelivery("seccomp", { environment: "staging" });
        await settle();
        const ns = byName("kubernetes:core/v1:Namespace", "seccomp-ns");
        const labels = (ns.inputs.metadata as Obj).labels as Obj;
        assert.equal(labels["pod-security.kubernetes.io/enforce"], "privileged");
        assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted");
        assert.equal(labels["cicd.platform/role"], "seccomp-installer");
        const config = byName("kubernetes:core/v1:ConfigMap", "seccomp-profile");
        assert.equal((config.inputs.data as Obj)["rootless-buildah.json"], renderBuildSeccompProfile());
        const ds = byName("kubernetes:apps/v1:DaemonSet", "seccomp");
        const pod = ((ds.inputs.spec as Obj).template as Obj).spec as Obj;
        assert.deepEqual(pod.nodeSelector, { "cicd.platform/rootless-build": "true" });
        const container = (pod.containers as Obj[])[0] as Obj;
        assert.deepEqual(container.securityContext, {
            runAsUser: 0,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        });
        assert.equal(await valueOf(delivery.localhostProfile), "cicd-platform/rootless-buildah.json");
    });

    it("Security Profiles Operator: one cluster-scoped SeccompProfile, no installer", async () => {
        new BuildSeccompDelivery("seccomp", { environment: "staging", delivery: "security-profiles-operator" });
        await settle();
        const profile = byName(
            "kubernetes:security-profiles-operator.x-k8s.io/v1beta1:SeccompProfile",
            "seccomp-profile",
        );
        assert.equal((profile.inputs.metadata as Obj).namespace, undefined);
        assert.deepEqual((profile.inputs.spec as Obj).syscalls, buildSeccompProfile().syscalls);
        assert.equal(ofType("kubernetes:apps/v1:DaemonSet").length, 0);
    });

    it("the build runner's namespace enforces baseline and audits and warns restricted", async () => {
        new RunnerNamespace("build-ns", {
            namespace: "ci-build",
            environment: "staging",
            gitlabPort: 443,
            registryPort: 5000,
            role: "build",
        });
        new GitLabRunner("build-runner", {
            namespace: "ci-build",
            gitlabUrl: "https://gitlab.example.com",
            runnerToken: TOKEN,
            role: "build",
        });
        await settle();
        const labels = (byName("kubernetes:core/v1:Namespace", "build-ns").inputs.metadata as Obj).labels as Obj;
        assert.equal(labels["pod-security.kubernetes.io/enforce"], "baseline");
        assert.equal(labels["pod-security.kubernetes.io/audit"], "restricted");
        assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted");
        assert.equal(labels["cicd.platform/runner-role"], "build");
        const toml = (byName("kubernetes:core/v1:Secret", "build-runner-config").inputs.stringData as Obj)[
            "config.toml"
        ] as string;
        assert.match(toml, /add = \["SETUID", "SETGID", "SETFCAP"\]/);
    });
});
