/**
 * The local stack's Kubernetes-executor runner through the real engine on the local control plane:
 *
 * - the Deployment becomes available (kwok), its service account may do exactly what the executor
 *   does in its namespace and nothing elsewhere, a job pod built from the config.toml the runner
 *   reads is admitted under that account and a privileged one is refused by Pod Security admission;
 * - sentinel tokens reach the cluster's Secret and nothing else: not the state, the outputs, the
 *   preview JSON or the engine's output;
 * - a token change replaces the config Secret and rolls the runner with never two runner pods.
 *
 * One control plane and one local stack, shared on purpose (bringing them up is most of the cost):
 * the cases run in the order written, each from what the one before left. The staging and
 * production previews of the runners are in runners-preview.test.ts.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { EXECUTOR_RULES } from "../../components/runners/gitlab-runner";
import { isolatedEnv, kubectlJson, policyFlags, ROOT, run, type Run } from "../support/engine";
import { filesUnder } from "../support/file-backend";
import { kubectlWatch, kubectlWithInput } from "../support/kubectl";
import { linkedProject, type PreviewStep, typeAndName } from "../support/stack-project";
import { fakeRunnerToken } from "../support/stack-secrets";
import { jobPod, type Obj, rulesReview } from "./runner-executor";

const RUNNER_NS = "ci-runners-local";
const OTHER_NS = "platform-local";
const RUNNER_SELECTOR = "app.kubernetes.io/component=gitlab-runner";
/** This file's control plane: ports no other test file uses. */
const CONTROL_PLANE = { apiserver: 28443, etcd: 24379 };

interface K8sList<T> {
    items: T[];
}
interface Meta {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
}

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
        ({ env, dir } = await isolatedEnv(CONTROL_PLANE));
        project = linkedProject(dir, { local: readFileSync(join(ROOT, "Pulumi.local.yaml"), "utf8") });
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
        const watch = (resource: string, template: string): { lines: string[]; stop: () => void } =>
            kubectlWatch(env, resource, RUNNER_NS, RUNNER_SELECTOR, template);
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
