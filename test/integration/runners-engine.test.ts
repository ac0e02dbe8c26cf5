/**
 * The stacks' CI runners through the real engine and a real API server:
 *
 * - the local stack's Kubernetes-executor runner on the local control plane: the Deployment becomes
 *   available (kwok), its service account may do exactly what the executor does in its namespace
 *   and nothing elsewhere, a job pod built from the config.toml the runner reads is admitted under
 *   that account and a privileged one is refused by Pod Security admission;
 * - sentinel tokens reach the cluster's Secret and nothing else: not the state, the outputs, the
 *   preview JSON or the engine's output;
 * - a token change replaces the config Secret and rolls the runner with never two runner pods;
 * - `pulumi preview` of staging and production registers their runners.
 *
 * One control plane and one local stack for the first describe, shared on purpose (bringing them up
 * is most of the cost): its cases run in the order written, each from what the one before left.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml, parseDocument } from "yaml";

import { EXECUTOR_RULES } from "../../components/runners/gitlab-runner";
import { startGitHubApiStandIn, type GitHubApiStandIn } from "../support/github-api-standin";
import { demoSecrets, fakeRunnerToken } from "../support/stack-secrets";
import {
    isolatedEnv,
    kubectlJson,
    OFFLINE_KUBECONFIG,
    policyFlags,
    ROOT,
    run,
    type Run,
    secureKeys,
    stripSecure,
} from "../support/engine";

const RUNNER_NS = "ci-runners-local";
const OTHER_NS = "platform-local";
const RUNNER_SELECTOR = "app.kubernetes.io/component=gitlab-runner";

type Obj = Record<string, unknown>;
interface K8sList<T> {
    items: T[];
}
interface Meta {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
}
interface PreviewStep {
    op: string;
    urn: string;
    newState?: { inputs?: Obj };
}

/**
 * A project directory of its own: every entry of the repository linked in, except the stack files,
 * which the test writes. `stack init` and `config set` then write only there.
 */
function tempProject(dir: string, stackFiles: Record<string, string>): string {
    const project = join(dir, "project");
    mkdirSync(project, { recursive: true });
    for (const entry of readdirSync(ROOT)) {
        if (entry === ".git" || /^Pulumi\..+\.yaml$/.test(entry)) {
            continue;
        }
        symlinkSync(join(ROOT, entry), join(project, entry));
    }
    for (const [stack, text] of Object.entries(stackFiles)) {
        writeFileSync(join(project, `Pulumi.${stack}.yaml`), text);
    }
    return project;
}

/** Every file under `dir`, as text (the file:// backend: checkpoints, history, backups). */
function filesUnder(dir: string): { path: string; text: string }[] {
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
        .map((entry) => join(dir, entry))
        .filter((path) => statSync(path).isFile())
        .map((path) => ({ path, text: readFileSync(path, "latin1") }));
}

function typeAndName(urn: string): string {
    // urn:pulumi:<stack>::<project>::<parent types joined by $>$<type>::<name>
    const [, , types = "", name = ""] = urn.split("::");
    return `${types.split("$").at(-1) ?? ""}::${name}`;
}

// ----------------------------------------------------------------------------------------------
// The job pod gitlab-runner's Kubernetes executor (v17, the version of the runner image) creates
// from a config.toml: the fields that decide admission, built the way the executor builds them.

/** The tables and keys of `[runners.kubernetes]` the builder below knows how to turn into a pod. */
const MODELLED_KEYS = new Set([
    "namespace",
    "image",
    "helper_image",
    "privileged",
    "allow_privilege_escalation",
    "cap_add",
    "cap_drop",
    "service_account",
    "automount_service_account_token",
    "cpu_request",
    "cpu_limit",
    "memory_request",
    "memory_limit",
    "helper_cpu_request",
    "helper_cpu_limit",
    "helper_memory_request",
    "helper_memory_limit",
    "poll_timeout",
    "pod_security_context",
    "init_permissions_container_security_context",
    "build_container_security_context",
    "helper_container_security_context",
    "service_container_security_context",
    "pod_spec",
]);

function table(value: unknown): Obj {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Obj) : {};
}
function strings(value: unknown): string[] | undefined {
    return Array.isArray(value) ? value.map(String) : undefined;
}

/**
 * The executor's container security context: the section's own values, else the executor-wide
 * `privileged` / `allow_privilege_escalation`; capabilities are the executor's default drop
 * (NET_RAW) with `cap_add`/`cap_drop`, replaced by the section's lists where it has them.
 */
function containerSecurityContext(k: Obj, sectionName: string): Obj {
    const section = table(k[sectionName]);
    const enabled = new Map<string, boolean>([["NET_RAW", false]]);
    for (const cap of strings(k.cap_add) ?? []) {
        enabled.set(cap, true);
    }
    for (const cap of strings(k.cap_drop) ?? []) {
        enabled.set(cap, false);
    }
    const own = table(section.capabilities);
    const add = strings(own.add) ?? [...enabled].filter(([, on]) => on).map(([cap]) => cap);
    const drop = strings(own.drop) ?? [...enabled].filter(([, on]) => !on).map(([cap]) => cap);
    const context: Obj = {
        capabilities: { ...(add.length > 0 ? { add } : {}), ...(drop.length > 0 ? { drop } : {}) },
        privileged: section.privileged ?? k.privileged,
        allowPrivilegeEscalation: section.allow_privilege_escalation ?? k.allow_privilege_escalation,
        runAsNonRoot: section.run_as_non_root,
        runAsUser: section.run_as_user,
        runAsGroup: section.run_as_group,
        readOnlyRootFilesystem: section.read_only_root_filesystem,
    };
    return Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined));
}

/** A strategic merge of a patch made of maps and scalars (a list would need merge keys: refused). */
function mergePatch(target: Obj, patch: Obj): Obj {
    const out: Obj = { ...target };
    for (const [key, value] of Object.entries(patch)) {
        if (Array.isArray(value)) {
            throw new Error(`pod_spec patch sets the list ${key}: model its merge key before relying on it`);
        }
        out[key] = value !== null && typeof value === "object" ? mergePatch(table(target[key]), value as Obj) : value;
    }
    return out;
}

function jobPod(configToml: string, runnerImage: string, overrides: Obj = {}): Obj {
    const doc = parseToml(configToml) as Obj;
    const runner = table((doc.runners as unknown[] | undefined)?.[0]);
    assert.equal(runner.executor, "kubernetes");
    const k = { ...table(runner.kubernetes), ...overrides };
    const unknown = Object.keys(k).filter((key) => !MODELLED_KEYS.has(key));
    assert.deepEqual(unknown, [], "config.toml sets [runners.kubernetes] keys this pod builder does not model");
    assert.equal(table(runner.feature_flags).FF_USE_LEGACY_KUBERNETES_EXECUTION_STRATEGY, undefined);

    // The executor's default helper image follows the runner's version.
    const version = /v\d+\.\d+\.\d+/.exec(runnerImage)?.[0];
    assert.ok(version !== undefined, `no version in the runner image ${runnerImage}`);
    const helperImage =
        (k.helper_image as string | undefined) ??
        `registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-${version}`;
    const quantities = (entries: Record<string, unknown>): Obj | undefined => {
        const set = Object.entries(entries).filter(([, v]) => v !== undefined);
        return set.length > 0 ? Object.fromEntries(set) : undefined;
    };
    const resources = (prefix: string): Obj => {
        const requests = quantities({ cpu: k[`${prefix}cpu_request`], memory: k[`${prefix}memory_request`] });
        const limits = quantities({ cpu: k[`${prefix}cpu_limit`], memory: k[`${prefix}memory_limit`] });
        return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
    };
    const mounts = [
        { name: "scripts", mountPath: "/scripts-1-1" },
        { name: "logs", mountPath: "/logs-1-1" },
        { name: "repo", mountPath: "/builds" },
    ];
    const podContext = table(k.pod_security_context);
    let spec: Obj = {
        restartPolicy: "Never",
        serviceAccountName: k.service_account,
        ...(k.automount_service_account_token === undefined
            ? {}
            : { automountServiceAccountToken: k.automount_service_account_token }),
        securityContext: Object.fromEntries(
            Object.entries({
                runAsNonRoot: podContext.run_as_non_root,
                runAsUser: podContext.run_as_user,
                runAsGroup: podContext.run_as_group,
                fsGroup: podContext.fs_group,
            }).filter(([, v]) => v !== undefined),
        ),
        volumes: ["repo", "scripts", "logs"].map((name) => ({ name, emptyDir: {} })),
        // Not under the legacy execution strategy (the default): the log file is prepared by this one.
        initContainers: [
            {
                name: "init-permissions",
                image: helperImage,
                command: ["sh", "-c", "touch /logs-1-1/output.log && (chmod 777 /logs-1-1/output.log || exit 0)"],
                resources: resources("helper_"),
                securityContext: containerSecurityContext(k, "init_permissions_container_security_context"),
                volumeMounts: mounts,
            },
        ],
        containers: [
            {
                name: "build",
                image: k.image,
                command: ["sh", "-c", "sleep 3600"],
                stdin: true,
                resources: resources(""),
                securityContext: containerSecurityContext(k, "build_container_security_context"),
                volumeMounts: mounts,
            },
            {
                name: "helper",
                image: helperImage,
                command: ["sh", "-c", "sleep 3600"],
                stdin: true,
                resources: resources("helper_"),
                securityContext: containerSecurityContext(k, "helper_container_security_context"),
                volumeMounts: mounts,
            },
        ],
    };
    // The pod_spec patches apply only with FF_USE_ADVANCED_POD_SPEC_CONFIGURATION, which the
    // feature_flags table sets beyond a job's reach (the environment would leave it to the job).
    if (table(runner.feature_flags).FF_USE_ADVANCED_POD_SPEC_CONFIGURATION === true) {
        for (const entry of (k.pod_spec as unknown[] | undefined) ?? []) {
            const patch = table(entry);
            assert.equal(patch.patch_type, "strategic", `pod_spec ${String(patch.name)}`);
            spec = mergePatch(spec, table(parseYaml(String(patch.patch))));
        }
    }
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            generateName: "runner-job-",
            namespace: k.namespace,
            labels: { "job.runner.gitlab.com/pod": "runner-job" },
        },
        spec,
    };
}

// ----------------------------------------------------------------------------------------------

describe("the local stack's runner on the real engine and a real API server", { timeout: 900_000 }, () => {
    let env: NodeJS.ProcessEnv = {};
    let dir = "";
    let project = "";
    /** Everything the engine printed at its default verbosity, as CI runs it. */
    const printed: string[] = [];
    /** The engine's own log (-v=9 with --logflow, so the plugins' too). */
    const engineLogs: string[] = [];
    const sentinel = (): string => randomBytes(12).toString("hex");
    const tokens = { first: fakeRunnerToken("kubernetes", `sentinel-${sentinel()}`), second: "" };
    tokens.second = fakeRunnerToken("kubernetes", `sentinel-${sentinel()}`);

    /** `record: false` for the commands that show secrets on purpose (the searches' controls). */
    const pulumi = async (
        args: string[],
        options: { policy?: boolean; log?: boolean; record?: boolean } = {},
    ): Promise<Run> => {
        const flags = options.policy === false ? [] : await policyFlags("local", env);
        const logging = options.log === true ? ["--logtostderr", "-v=9", "--logflow"] : [];
        const result = await run(
            "pulumi",
            [...args, "--stack", "local", "--non-interactive", ...flags, ...logging],
            env,
            {
                cwd: project,
            },
        );
        if (options.record !== false) {
            (options.log === true ? engineLogs : printed).push(result.stdout + result.stderr);
        }
        return result;
    };
    const setToken = async (token: string): Promise<void> => {
        const set = await pulumi(["config", "set", "--secret", "cicd-platform:runnerToken", token], { policy: false });
        assert.equal(set.code, 0, set.stderr);
    };
    const runnerDeployment = async (): Promise<Obj & { metadata: Meta; spec: Obj; status: Obj }> => {
        const list = await kubectlJson<K8sList<Obj & { metadata: Meta; spec: Obj; status: Obj }>>(
            env,
            "get",
            "deployments",
            "-n",
            RUNNER_NS,
            "-l",
            RUNNER_SELECTOR,
        );
        assert.equal(list.items.length, 1, "one runner Deployment");
        return list.items[0] as Obj & { metadata: Meta; spec: Obj; status: Obj };
    };
    const configSecret = async (): Promise<{ name: string; data: string; toml: string }> => {
        const list = await kubectlJson<K8sList<{ metadata: Meta; data: Record<string, string> }>>(
            env,
            "get",
            "secrets",
            "-n",
            RUNNER_NS,
            "-l",
            RUNNER_SELECTOR,
        );
        assert.equal(list.items.length, 1, "one runner config Secret");
        const secret = list.items[0];
        const data = secret?.data["config.toml"] ?? "";
        return { name: secret?.metadata.name ?? "", data, toml: Buffer.from(data, "base64").toString("utf8") };
    };
    let serviceAccount = "";
    const asRunner = (): string => `--as=system:serviceaccount:${RUNNER_NS}:${serviceAccount}`;

    before(async () => {
        ({ env, dir } = await isolatedEnv({ apiserver: 28443, etcd: 24379 }));
        mkdirSync(join(dir, "state", "backend"), { recursive: true });
        project = tempProject(dir, { local: readFileSync(join(ROOT, "Pulumi.local.yaml"), "utf8") });
        const cp = await run("bash", ["scripts/control-plane/cp", "start"], env, { timeoutMs: 300_000 });
        assert.equal(cp.code, 0, cp.stderr.slice(-3000));
        const init = await run("pulumi", ["stack", "init", "local", "--non-interactive"], env, { cwd: project });
        assert.equal(init.code, 0, init.stderr);
        await setToken(tokens.first);
    });

    after(async () => {
        if (dir) {
            const stop = await run("bash", ["scripts/control-plane/cp", "stop"], env);
            rmSync(dir, { recursive: true, force: true });
            assert.equal(stop.code, 0, stop.stderr);
        }
    });

    it("up deploys the runner: one replica, Recreate, available on kwok's nodes", async () => {
        const up = await pulumi(["up", "--yes", "--skip-preview"]);
        assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr.slice(-3000));
        const deployment = await runnerDeployment();
        assert.equal(deployment.spec.replicas, 1);
        assert.deepEqual(deployment.spec.strategy, { type: "Recreate" });
        assert.equal(deployment.status.availableReplicas, 1, JSON.stringify(deployment.status));
        assert.equal(
            deployment.metadata.annotations?.["cicd.platform/runner-tags"],
            "local,kubernetes,rootless-buildah",
        );
        const outputs = JSON.parse((await pulumi(["stack", "output", "--json"], { policy: false })).stdout) as {
            runners: { kubernetes: { serviceAccount: string; deployment: string } };
        };
        serviceAccount = outputs.runners.kubernetes.serviceAccount;
        assert.equal(outputs.runners.kubernetes.deployment, deployment.metadata.name);
        const { toml } = await configSecret();
        assert.ok(toml.includes(tokens.first), "the runner reads the token that was set");
    });

    it("as the runner's service account: exactly the executor's rules in its namespace, none elsewhere", async (t) => {
        // `pods/exec` as a TYPE/NAME argument would mean the pod named "exec": subresources go apart.
        const canI = async (verb: string, resource: string, ...scope: string[]): Promise<string> => {
            const [type = "", sub] = resource.split("/");
            const subresource = sub === undefined ? [] : [`--subresource=${sub}`];
            const out = await run("kubectl", ["auth", "can-i", verb, type, ...subresource, ...scope, asRunner()], env);
            return out.stdout.trim();
        };
        const pairs = EXECUTOR_RULES.flatMap((rule) =>
            (rule.resources as string[]).flatMap((resource) =>
                (rule.verbs as string[]).map((verb) => [verb, resource]),
            ),
        );
        const matrix: string[] = [];
        for (const [verb = "", resource = ""] of pairs) {
            const [own, other, cluster] = await Promise.all([
                canI(verb, resource, "-n", RUNNER_NS),
                canI(verb, resource, "-n", OTHER_NS),
                canI(verb, resource, "--all-namespaces"),
            ]);
            matrix.push(`${verb} ${resource}: ${RUNNER_NS}=${own} ${OTHER_NS}=${other} cluster=${cluster}`);
        }
        t.diagnostic(matrix.join("\n"));
        assert.deepEqual(
            matrix,
            pairs.map(([verb, resource]) => `${verb} ${resource}: ${RUNNER_NS}=yes ${OTHER_NS}=no cluster=no`),
        );
        // What the executor never does is refused in its own namespace too.
        for (const [verb, resource] of [
            ["list", "secrets"],
            ["update", "pods"],
            ["create", "deployments"],
            ["create", "roles"],
            ["create", "rolebindings"],
            ["create", "serviceaccounts"],
            ["create", "pods/portforward"],
            ["create", "namespaces"],
        ] as const) {
            assert.equal(await canI(verb, resource, "-n", RUNNER_NS), "no", `${verb} ${resource}`);
        }

        // Exactly: the server's own account of the rules, minus what every authenticated user has.
        const rules = await rulesReview(env, asRunner(), RUNNER_NS);
        const expected = EXECUTOR_RULES.flatMap((rule) =>
            (rule.resources as string[]).flatMap((r) => (rule.verbs as string[]).map((v) => `${r}:${v}`)),
        ).sort();
        assert.deepEqual(rules, expected);
    });

    it("a job pod built from the runner's config.toml is admitted under its account; a privileged one is refused", async (t) => {
        const { toml } = await configSecret();
        const image = (await runnerDeployment()).spec as { template: { spec: { containers: { image: string }[] } } };
        const runnerImage = image.template.spec.containers[0]?.image ?? "";
        const create = (pod: Obj): Promise<Run> =>
            kubectlWithInput(env, ["create", "-f", "-", "-o", "json", asRunner()], JSON.stringify(pod));

        const admitted = await create(jobPod(toml, runnerImage));
        assert.equal(admitted.code, 0, admitted.stderr);
        assert.doesNotMatch(admitted.stderr, /warning/i);
        const pod = JSON.parse(admitted.stdout) as { metadata: Meta; spec: Obj & { securityContext: Obj } };
        // Stored as sent: a server without user namespaces would drop hostUsers silently.
        assert.equal(pod.spec.hostUsers, false);
        assert.equal(pod.spec.automountServiceAccountToken, false);
        assert.deepEqual(pod.spec.securityContext.seccompProfile, { type: "RuntimeDefault" });
        const wait = await run(
            "kubectl",
            ["wait", "--for=condition=Ready", `pod/${pod.metadata.name}`, "-n", RUNNER_NS, "--timeout=60s"],
            env,
        );
        assert.equal(wait.code, 0, wait.stderr);
        const removed = await run("kubectl", ["delete", "pod", pod.metadata.name, "-n", RUNNER_NS, asRunner()], env);
        assert.equal(removed.code, 0, removed.stderr);

        // What `privileged = true` in config.toml would make of every job pod.
        const privileged = await create(
            jobPod(toml, runnerImage, { privileged: true, allow_privilege_escalation: true }),
        );
        t.diagnostic(`admitted: pod/${pod.metadata.name}; privileged: ${privileged.stderr.trim()}`);
        assert.notEqual(privileged.code, 0, "a privileged job pod was admitted");
        assert.match(
            privileged.stderr,
            /violates PodSecurity "restricted:latest": privileged \(containers? [^)]*"build"[^)]*must not set securityContext\.privileged=true\)/,
        );
        // The same pod in another namespace is not even the runner's to create.
        const elsewhere = await create({
            ...jobPod(toml, runnerImage),
            metadata: { generateName: "runner-job-", namespace: OTHER_NS },
        });
        assert.match(
            elsewhere.stderr,
            /cannot create resource "pods" in API group "" in the namespace "platform-local"/,
        );
    });

    it("a token change replaces the config Secret and rolls the runner: the old pod is gone before the new one exists", async (t) => {
        const before = await configSecret();
        const oldReplicaSets = await kubectlJson<K8sList<{ metadata: Meta }>>(
            env,
            "get",
            "replicasets",
            "-n",
            RUNNER_NS,
            "-l",
            RUNNER_SELECTOR,
        );
        await setToken(tokens.second);
        const preview = await pulumi(["preview", "--json"]);
        assert.equal(preview.code, 0, preview.stderr);
        const changed = (JSON.parse(preview.stdout) as { steps: PreviewStep[] }).steps
            .filter((s) => s.op !== "same")
            .map((s) => `${s.op} ${typeAndName(s.urn)}`)
            .sort();
        assert.deepEqual(changed, [
            "replace kubernetes:core/v1:Secret::gitlab-runner-config",
            "update kubernetes:apps/v1:Deployment::gitlab-runner",
        ]);

        // Both watches stream from the one etcd: resourceVersions order their events against each other.
        const watch = (resource: string, template: string): { lines: string[]; stop: () => void } => {
            const lines: string[] = [];
            const child = spawn(
                "kubectl",
                [
                    "get",
                    resource,
                    "-n",
                    RUNNER_NS,
                    "-l",
                    RUNNER_SELECTOR,
                    "--watch",
                    "--output-watch-events",
                    "-o",
                    `jsonpath=${template}`,
                ],
                { env },
            );
            let buffer = "";
            child.stdout.on("data", (chunk: Buffer) => {
                buffer += chunk.toString();
                const parts = buffer.split("\n");
                buffer = parts.pop() ?? "";
                lines.push(...parts.filter((l) => l.trim() !== ""));
            });
            return { lines, stop: () => child.kill("SIGTERM") };
        };
        const rsWatch = watch(
            "replicasets",
            '{.type} {.object.metadata.resourceVersion} {.object.metadata.name} {.object.spec.replicas} {.object.status.replicas}{"\\n"}',
        );
        const podWatch = watch(
            "pods",
            '{.type} {.object.metadata.resourceVersion} {.object.metadata.name} {.object.metadata.labels.pod-template-hash}{"\\n"}',
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const up = await pulumi(["up", "--yes", "--skip-preview"], { log: true });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        rsWatch.stop();
        podWatch.stop();
        assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr.slice(-3000));

        const after = await configSecret();
        assert.notEqual(after.name, before.name, "a new auto-named Secret");
        assert.ok(after.toml.includes(tokens.second) && !after.toml.includes(tokens.first));
        const deployment = await runnerDeployment();
        assert.equal(deployment.status.availableReplicas, 1);
        const volumes = (deployment.spec as { template: { spec: { volumes: { secret?: { secretName: string } }[] } } })
            .template.spec.volumes;
        assert.ok(
            volumes.some((v) => v.secret?.secretName === after.name),
            "the pod template mounts the new Secret",
        );

        const oldRs = oldReplicaSets.items.map((r) => r.metadata.name);
        assert.equal(oldRs.length, 1);
        const events = [
            ...rsWatch.lines.map((l) => ({ kind: "rs", f: l.split(" ") })),
            ...podWatch.lines.map((l) => ({ kind: "pod", f: l.split(" ") })),
        ].sort((a, b) => Number(a.f[1]) - Number(b.f[1]));
        const trace = events.map((e) => `${e.kind} ${e.f.join(" ")}`).join("\n");
        t.diagnostic(`watch events by resourceVersion:\n${trace}`);
        const oldHash = (oldRs[0] ?? "").split("-").at(-1) ?? "";
        const rvOf = (pred: (e: { kind: string; f: string[] }) => boolean): number =>
            Number(events.find(pred)?.f[1] ?? NaN);
        const oldScaledDown = rvOf((e) => e.kind === "rs" && e.f[2] === oldRs[0] && e.f[3] === "0" && e.f[4] === "0");
        const oldPodGone = rvOf((e) => e.kind === "pod" && e.f[0] === "DELETED" && e.f[3] === oldHash);
        const newPodAdded = rvOf((e) => e.kind === "pod" && e.f[0] === "ADDED" && e.f[3] !== oldHash);
        assert.ok(oldScaledDown < newPodAdded, `old ReplicaSet at 0 before the new pod exists:\n${trace}`);
        assert.ok(oldPodGone < newPodAdded, `old pod deleted before the new pod exists:\n${trace}`);
        // Never two runner pods, at any point of the roll.
        const alive = new Set<string>();
        let most = 0;
        for (const e of events.filter((x) => x.kind === "pod")) {
            if (e.f[0] === "DELETED") {
                alive.delete(e.f[2] ?? "");
            } else {
                alive.add(e.f[2] ?? "");
            }
            most = Math.max(most, alive.size);
        }
        assert.equal(most, 1, trace);
    });

    it("the sentinel tokens reach the cluster's Secret and nowhere else: state, outputs, preview JSON, the engine's output", async () => {
        const { data } = await configSecret();
        const needles = [tokens.first, tokens.second].flatMap((t) => [
            t,
            t.replace(/^glrt-t1_/, ""),
            Buffer.from(t).toString("base64"),
        ]);
        const exported = await pulumi(["stack", "export"], { policy: false });
        const shown = await pulumi(["stack", "export", "--show-secrets"], { policy: false, record: false });
        const outputs = await pulumi(["stack", "output", "--json", "--show-secrets=false"], { policy: false });
        const outputsShown = await pulumi(["stack", "output", "--json", "--show-secrets"], {
            policy: false,
            record: false,
        });
        const preview = await pulumi(["preview", "--json"]);
        assert.equal(preview.code, 0, preview.stderr);
        // The needles are findable: the decrypted state holds the current token, in the clear or inside
        // the config Secret's data (the provider keeps a Secret's stringData as base64 data).
        assert.ok(Buffer.from(data, "base64").toString().includes(tokens.second), "the Secret's data lacks the token");
        assert.ok(
            shown.stdout.includes(tokens.second) || shown.stdout.includes(data),
            "export --show-secrets lacks the token: the search proves nothing",
        );

        const places: [string, string][] = [
            ...filesUnder(join(dir, "state")).map((f): [string, string] => [f.path, f.text]),
            ["pulumi stack export", exported.stdout],
            ["pulumi stack output --json --show-secrets=false", outputs.stdout],
            ["pulumi stack output --json --show-secrets", outputsShown.stdout],
            ["pulumi preview --json", preview.stdout + preview.stderr],
            ...printed.map((text, i): [string, string] => [`engine output #${i}`, text]),
        ];
        for (const [where, text] of places) {
            for (const needle of [...needles, data]) {
                assert.ok(!text.includes(needle), `${where} contains ${needle.slice(0, 24)}…`);
            }
        }
        // The engine's -v=9 log masks the token itself. Not an encoding of it: at that level each
        // plugin traces every property it marshals (the next case stays below it).
        assert.ok(engineLogs.length > 0 && engineLogs.every((l) => l.length > 1_000_000), "no verbose engine log");
        for (const [i, text] of engineLogs.entries()) {
            for (const needle of [tokens.first, tokens.second]) {
                assert.ok(!text.includes(needle), `engine log #${i} contains the token`);
            }
        }
    });

    it("debug output and the engine log up to -v=8 do not carry the config Secret's data", async () => {
        const { data } = await configSecret();
        // -v=8 is the most the engine logs before the plugins' property tracing at 9.
        const debug = await pulumi(["preview", "--debug", "--logtostderr", "-v=8"]);
        assert.equal(debug.code, 0, debug.stderr);
        const text = debug.stdout + debug.stderr;
        // The SDK's RPC messages are there, without their payloads: the search ran over them.
        assert.match(text, /RegisterResource RPC finished: .*resp: <not logged/, "no SDK debug message in the output");
        assert.ok(!text.includes(data), "preview --debug -v=8 prints the config Secret's data");
    });
});

/** What a failed `preview --json` said: its error diagnostics and the end of its stderr. */
function diagnostics(result: Run): string {
    let messages: string[] = [];
    try {
        const doc = JSON.parse(result.stdout) as { diagnostics?: { severity: string; message: string }[] };
        messages = (doc.diagnostics ?? []).filter((d) => d.severity !== "info").map((d) => d.message);
    } catch {
        messages = [result.stdout.slice(-3000)];
    }
    return [...messages, result.stderr.slice(-3000)].join("\n");
}

/** kubectl with `input` on its stdin. */
function kubectlWithInput(env: NodeJS.ProcessEnv, args: string[], input: string): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn("kubectl", args, { env });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
            resolve({ code: code ?? -1, stdout, stderr });
        });
        child.stdin.end(input);
    });
}

/** The SelfSubjectRulesReview of `as` in `namespace`: `resource:verb`, without what every user may do. */
async function rulesReview(env: NodeJS.ProcessEnv, as: string, namespace: string): Promise<string[]> {
    const body = JSON.stringify({
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectRulesReview",
        spec: { namespace },
    });
    // Client-side validation would list CRDs cluster-wide, which this account may not.
    const out = await kubectlWithInput(env, ["create", "--validate=false", "-f", "-", "-o", "json", as], body);
    assert.equal(out.code, 0, out.stderr);
    const status = (JSON.parse(out.stdout) as { status: { resourceRules: { resources: string[]; verbs: string[] }[] } })
        .status;
    return status.resourceRules
        .flatMap((rule) => rule.resources.flatMap((r) => rule.verbs.map((v) => `${r}:${v}`)))
        .filter((rule) => !/^selfsubject\w+(\.[\w.]+)?:create$/.test(rule))
        .sort();
}

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
            ({ env, dir } = await isolatedEnv({ apiserver: 28443, etcd: 24379 }));
            mkdirSync(join(dir, "state", "backend"), { recursive: true });
            writeFileSync(join(dir, "kubeconfig"), OFFLINE_KUBECONFIG);
            api = await startGitHubApiStandIn("example-org");
            env = {
                ...env,
                KUBECONFIG: join(dir, "kubeconfig"),
                PULUMI_CONFIG_PASSPHRASE: "runners-preview-test",
                GITHUB_BASE_URL: api.baseUrl,
                GITHUB_TOKEN: "stand-in-token",
            };
            const files: Record<string, string> = {};
            const encrypted: Record<string, string[]> = {};
            for (const stack of STACKS) {
                const text = readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
                encrypted[stack] = secureKeys(text).map((key) => key.replace(/^cicd-platform:/, ""));
                const doc = parseDocument(stripSecure(text));
                files[stack] = String(doc);
            }
            project = tempProject(dir, files);
            for (const stack of STACKS) {
                const config = (parseYaml(files[stack] ?? "") as { config: Obj }).config;
                const plain = Object.fromEntries(
                    Object.entries(config).map(([key, value]) => [key.replace(/^cicd-platform:/, ""), value]),
                );
                // A short tag: the registry passwords it makes must stay within bcrypt's 72 bytes.
                const secrets = demoSecrets(plain, encrypted[stack] ?? [], `rp-${stack}`);
                secretsOf[stack] = secrets;
                const commands = [
                    ["stack", "init", stack, "--non-interactive"],
                    ...Object.entries(secrets).map(([key, value]) => [
                        "config",
                        "set",
                        "--secret",
                        "--stack",
                        stack,
                        `cicd-platform:${key}`,
                        // A value may start with "-" (a private key block): no flag parsing past here.
                        "--",
                        value,
                    ]),
                ];
                for (const args of commands) {
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
                assert.equal(preview.code, 0, diagnostics(preview));
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
