/**
 * Pod Security admission of the job pods, on the real local API server (a control plane of this
 * file's own): the namespaces are created with the labels RunnerNamespace renders for each role, and
 * the job pods are built from the RENDERED config.toml and its pod_spec patch, the way the
 * Kubernetes executor assembles them. The build pod is admitted in the build runner's baseline
 * namespace (with the restricted warning its labels ask for) and refused in the general runner's
 * restricted one; the general runner's job pod is admitted under restricted.
 */
import { byName, reset, settle } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";

import { renderKubernetesRunnerConfig, RunnerNamespace } from "../../components";
import { isolatedEnv, run } from "../support/engine";

type Obj = Record<string, unknown>;

// Ports of this file's own control plane (apiserver, +1 controller-manager, +2 scheduler; etcd, +1 peer).
const CONTROL_PLANE = { apiserver: 17443, etcd: 17379 };
const BUILD_NS = "ci-build";
const GENERAL_NS = "ci-runners";
const TOKEN = ["glrt", "admissionT0ken_1"].join("-");
const JOB_IMAGE = "registry.example.com/cicd-platform/tools:1";
const HELPER_IMAGE = "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v17.11.1";

/** A config.toml security-context table as the Pod API spells it. */
function securityContext(table: Obj | undefined, allowPrivilegeEscalation: unknown, privileged: unknown): Obj {
    const ctx = table ?? {};
    const caps = ctx.capabilities as Obj | undefined;
    return {
        ...(ctx.run_as_non_root === undefined ? {} : { runAsNonRoot: ctx.run_as_non_root }),
        ...(ctx.run_as_user === undefined ? {} : { runAsUser: ctx.run_as_user }),
        ...(ctx.run_as_group === undefined ? {} : { runAsGroup: ctx.run_as_group }),
        // The executor falls back to the runner-wide allow_privilege_escalation and privileged
        // settings for a container whose own table leaves them out.
        allowPrivilegeEscalation: ctx.allow_privilege_escalation ?? allowPrivilegeEscalation,
        privileged: ctx.privileged ?? privileged,
        ...(caps === undefined
            ? {}
            : {
                  capabilities: {
                      drop: [...((caps.drop as string[] | undefined) ?? [])],
                      add: [...((caps.add as string[] | undefined) ?? [])],
                  },
              }),
    };
}

/** Merges the pod_spec patch (strategic: maps merge key by key, scalars replace) into the pod spec. */
function mergePatch(target: Obj, patch: Obj): Obj {
    const out: Obj = { ...target };
    for (const [key, value] of Object.entries(patch)) {
        const current = out[key];
        out[key] =
            typeof value === "object" &&
            value !== null &&
            !Array.isArray(value) &&
            typeof current === "object" &&
            current !== null
                ? mergePatch(current as Obj, value as Obj)
                : value;
    }
    return out;
}

/** The job pod the Kubernetes executor creates from a rendered config.toml. */
function jobPod(configToml: string, name: string): Obj {
    const runner = ((parseToml(configToml) as Obj).runners as Obj[])[0] as Obj;
    const k = runner.kubernetes as Obj;
    const pod = k.pod_security_context as Obj;
    const ape = k.allow_privilege_escalation;
    const priv = k.privileged;
    const resources = {
        requests: { cpu: k.cpu_request, memory: k.memory_request },
        limits: { cpu: k.cpu_limit, memory: k.memory_limit },
    };
    const helperResources = { limits: { cpu: k.helper_cpu_limit, memory: k.helper_memory_limit } };
    const mounts = [
        { name: "repo", mountPath: "/builds" },
        { name: "scripts", mountPath: "/scripts-1-1" },
        { name: "logs", mountPath: "/logs-1-1" },
    ];
    let spec: Obj = {
        serviceAccountName: k.service_account,
        restartPolicy: "Never",
        ...(k.node_selector === undefined ? {} : { nodeSelector: { ...(k.node_selector as Obj) } }),
        securityContext: {
            ...(pod.run_as_non_root === undefined ? {} : { runAsNonRoot: pod.run_as_non_root }),
            runAsUser: pod.run_as_user,
            runAsGroup: pod.run_as_group,
            fsGroup: pod.fs_group,
        },
        initContainers: [
            {
                name: "init-permissions",
                image: HELPER_IMAGE,
                command: ["sh", "-c", "true"],
                securityContext: securityContext(k.init_permissions_container_security_context as Obj, ape, priv),
                volumeMounts: mounts,
                resources: helperResources,
            },
        ],
        containers: [
            {
                name: "build",
                image: k.image,
                command: ["sh", "-c", "sleep 1"],
                env: ((runner.environment as string[] | undefined) ?? []).map((entry) => {
                    const [key = "", ...rest] = entry.split("=");
                    return { name: key, value: rest.join("=") };
                }),
                securityContext: securityContext(k.build_container_security_context as Obj, ape, priv),
                volumeMounts: mounts,
                resources,
            },
            {
                name: "helper",
                image: HELPER_IMAGE,
                command: ["sh", "-c", "sleep 1"],
                securityContext: securityContext(k.helper_container_security_context as Obj, ape, priv),
                volumeMounts: mounts,
                resources: helperResources,
            },
        ],
        volumes: [
            { name: "repo", emptyDir: {} },
            { name: "scripts", emptyDir: {} },
            { name: "logs", emptyDir: {} },
        ],
    };
    for (const entry of (k.pod_spec as Obj[] | undefined) ?? []) {
        assert.equal(entry.patch_type, "strategic");
        spec = mergePatch(spec, parseYaml(entry.patch as string) as Obj);
    }
    // hostUsers and automountServiceAccountToken are pod fields the patch sets at the top of the spec.
    return { apiVersion: "v1", kind: "Pod", metadata: { name }, spec };
}

/** The Namespace RunnerNamespace renders for a role, as the API takes it. */
async function renderedNamespace(name: string, role: "general" | "build"): Promise<Obj> {
    reset();
    new RunnerNamespace(`${role}-ns`, {
        namespace: name,
        role,
        environment: "local",
        gitlabPort: 443,
        registryPort: 5000,
    });
    await settle();
    const meta = byName("kubernetes:core/v1:Namespace", `${role}-ns`).inputs.metadata as Obj;
    return { apiVersion: "v1", kind: "Namespace", metadata: { name: meta.name, labels: { ...(meta.labels as Obj) } } };
}

describe("job pods against Pod Security admission on the local API server", { concurrency: 1 }, () => {
    let env: NodeJS.ProcessEnv = {};
    let dir = "";
    let started = false;
    let skip: string | undefined;
    const buildToml = renderKubernetesRunnerConfig({
        name: "build",
        url: "https://gitlab.example.com",
        token: TOKEN,
        image: JOB_IMAGE,
        namespace: BUILD_NS,
        role: "build",
    });
    const generalToml = renderKubernetesRunnerConfig({
        name: "general",
        url: "https://gitlab.example.com",
        token: TOKEN,
        image: JOB_IMAGE,
        namespace: GENERAL_NS,
    });

    const kubectl = (args: string[]) => run("kubectl", ["--request-timeout=30s", ...args], env, { timeoutMs: 60_000 });
    const submit = async (manifest: Obj, namespace: string, file: string) => {
        const path = join(dir, file);
        writeFileSync(path, JSON.stringify(manifest));
        return kubectl(["create", "--dry-run=server", "-n", namespace, "-f", path, "-o", "name"]);
    };

    before(async () => {
        const which = await run("bash", ["-c", "command -v kubectl"], process.env);
        if (which.code !== 0) {
            skip = "kubectl is not installed (bash scripts/setup installs it)";
            return;
        }
        ({ env, dir } = await isolatedEnv(CONTROL_PLANE));
        const cp = await run("bash", ["scripts/control-plane/cp", "start"], env, { timeoutMs: 300_000 });
        started = true;
        assert.equal(cp.code, 0, cp.stderr.slice(-3000));
        for (const [name, role] of [
            [BUILD_NS, "build"],
            [GENERAL_NS, "general"],
        ] as const) {
            const namespace = await renderedNamespace(name, role);
            const path = join(dir, `${name}.json`);
            writeFileSync(path, JSON.stringify(namespace));
            const created = await kubectl(["create", "-f", path]);
            assert.equal(created.code, 0, created.stderr);
        }
    });

    after(async () => {
        if (started) {
            // cp stop ends the processes cp start recorded, by their pids.
            const stop = await run("bash", ["scripts/control-plane/cp", "stop"], env);
            assert.equal(stop.code, 0, stop.stderr);
        }
        if (dir) {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the rendered namespaces: build enforces baseline, general restricted, both warn and audit restricted", async (t) => {
        if (skip !== undefined) {
            t.skip(skip);
            return;
        }
        for (const [name, enforce] of [
            [BUILD_NS, "baseline"],
            [GENERAL_NS, "restricted"],
        ] as const) {
            const out = await kubectl(["get", "namespace", name, "-o", "json"]);
            assert.equal(out.code, 0, out.stderr);
            const labels = ((JSON.parse(out.stdout) as Obj).metadata as Obj).labels as Obj;
            assert.equal(labels["pod-security.kubernetes.io/enforce"], enforce, name);
            assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted", name);
            assert.equal(labels["pod-security.kubernetes.io/audit"], "restricted", name);
        }
    });

    it("the build pod is admitted in the build namespace, with the restricted warning naming the capabilities", async (t) => {
        if (skip !== undefined) {
            t.skip(skip);
            return;
        }
        const pod = jobPod(buildToml, "runner-build-job");
        const spec = pod.spec as Obj;
        // What is submitted is the build shape: its own user namespace, the three capabilities, Localhost seccomp.
        assert.equal(spec.hostUsers, false);
        assert.equal(((spec.securityContext as Obj).seccompProfile as Obj).type, "Localhost");
        const out = await submit(pod, BUILD_NS, "build-pod.json");
        assert.equal(out.code, 0, out.stderr);
        assert.equal(out.stdout.trim(), "pod/runner-build-job");
        assert.match(out.stderr, /would violate PodSecurity "restricted:[^"]+": unrestricted capabilities/);
        assert.match(out.stderr, /container "build" must not include "SETFCAP", "SETGID", "SETUID"/);
    });

    it("the build pod is refused in the general runner's restricted namespace, for the added capabilities", async (t) => {
        if (skip !== undefined) {
            t.skip(skip);
            return;
        }
        const out = await submit(jobPod(buildToml, "runner-build-job"), GENERAL_NS, "build-pod-restricted.json");
        assert.notEqual(out.code, 0, out.stdout);
        assert.match(out.stderr, /is forbidden: violates PodSecurity "restricted:[^"]+": unrestricted capabilities/);
        assert.match(
            out.stderr,
            /container "build" must not include "SETFCAP", "SETGID", "SETUID" in securityContext\.capabilities\.add/,
        );
        // Only the build container breaks restricted: helper and init containers stay within it.
        assert.doesNotMatch(out.stderr, /container "(helper|init-permissions)"/);
        assert.doesNotMatch(out.stderr, /seccompProfile|allowPrivilegeEscalation|privileged/);
    });

    it("the general runner's job pod is admitted under restricted, without a warning", async (t) => {
        if (skip !== undefined) {
            t.skip(skip);
            return;
        }
        const pod = jobPod(generalToml, "runner-general-job");
        assert.equal((pod.spec as Obj).hostUsers, false);
        const out = await submit(pod, GENERAL_NS, "general-pod.json");
        assert.equal(out.code, 0, out.stderr);
        assert.equal(out.stdout.trim(), "pod/runner-general-job");
        assert.doesNotMatch(out.stderr, /PodSecurity/);
    });
});
