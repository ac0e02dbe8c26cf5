/**
 * The local stack on a real API server, read by an independent manifest linter (kube-score), then
 * the longest names the schema accepts, and the preview that stops a job before a refused object
 * is created, reporting its error once.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { DERIVED_NAMES, nameBound, type NamedComponent } from "../../components/shared/names";
import { LINT_WAIVER_PREFIX } from "../../components/shared/lint-waivers";

import { drift, exportState, keyOf, ownedObjects, serverObjects, stackNamespaces } from "./cluster-state";
import { isolatedEnv, policyFlags, ROOT, run, type Run } from "../support/engine";
import { addEnvironmentReleases } from "./environment-releases";

const STACK = "local";
const NS = "platform-local";
const TIMEOUT_MS = 240_000;

interface ScoredCheck {
    readonly check: { readonly id: string; readonly name: string };
    readonly grade: number;
    readonly skipped: boolean;
    readonly comments?: { readonly path?: string; readonly summary: string; readonly description?: string }[] | null;
}
interface ScoredObject {
    readonly object_name: string;
    readonly object_meta: { readonly annotations?: Record<string, string> };
    readonly checks: readonly ScoredCheck[];
}
/** kube-score's grade of a check that found nothing. */
const GRADE_ALL_OK = 10;

const say = (text: string): void => {
    process.stdout.write(`[lint] ${text}\n`);
};

/** The longest base name a component accepts: its `name` and its `app` are one value here. */
const longest = (component: NamedComponent): number =>
    Math.min(
        nameBound(DERIVED_NAMES[component], "name").maxLength,
        nameBound(DERIVED_NAMES[component], "app").maxLength,
    );

/** A DNS-1035 label of exactly `length` characters. */
const nameOf = (prefix: string, length: number): string => `${prefix}-`.padEnd(length - 1, "x") + "z";

describe(
    "the local stack read by kube-score, its longest names, and the preview before apply",
    { timeout: 900_000 },
    () => {
        // One control plane and one stack for every case, on purpose: each case starts from what the
        // case before left (the lint reads the committed config's objects, before the renames).
        let env: NodeJS.ProcessEnv = {};
        let dir = "";
        let configFile = "";
        let policy: string[] = [];

        const flags = (): string[] => ["--stack", STACK, "--non-interactive", "--config-file", configFile];
        const pulumi = (args: string[]): Promise<Run> =>
            run("pulumi", [...args, ...flags()], env, { timeoutMs: TIMEOUT_MS });
        const up = (): Promise<Run> => pulumi(["up", "--yes", "--skip-preview", ...policy]);
        const setConfig = async (path: string, value: string): Promise<void> => {
            const set = await run(
                "pulumi",
                ["config", "set", "--path", `cicd-platform:${path}`, value, ...flags()],
                env,
            );
            assert.equal(set.code, 0, set.stderr);
        };

        before(async () => {
            ({ env, dir } = await isolatedEnv({ apiserver: 32443, etcd: 32379 }));
            configFile = join(dir, "Pulumi.local.yaml");
            copyFileSync(join(ROOT, "Pulumi.local.yaml"), configFile);
            addEnvironmentReleases(configFile);
            mkdirSync(join(dir, "state", "backend"), { recursive: true });
            const start = await run("bash", ["scripts/control-plane/cp", "start"], env, { timeoutMs: 600_000 });
            assert.equal(start.code, 0, start.stderr);
            const select = await run("pulumi", ["stack", "select", "--create", STACK, "--non-interactive"], env);
            assert.equal(select.code, 0, select.stderr);
            policy = await policyFlags(STACK, env);
            const first = await up();
            assert.equal(first.code, 0, first.stdout.slice(-4000) + first.stderr);
        });

        after(async () => {
            if (dir) {
                const stop = await run("bash", ["scripts/control-plane/cp", "stop"], env);
                assert.equal(stop.code, 0, stop.stderr);
                rmSync(dir, { recursive: true, force: true });
            }
        });

        it("kube-score finds nothing in what the stack created that is not waived with a reason", async () => {
            const tools = await run("bash", ["scripts/ci/install-tools", "--check", "--only", "kube-score"], env);
            assert.equal(
                tools.code,
                0,
                `kube-score is not built: bash scripts/ci/install-tools --only kube-score\n${tools.stdout}${tools.stderr}`,
            );
            const kubeScore = tools.stdout.trim().split(" ")[1] ?? "";

            const state = await exportState(env, STACK);
            const owned = new Set(ownedObjects(state));
            const objects = (await serverObjects(env, stackNamespaces(state))).filter((o) => owned.has(keyOf(o)));
            const manifests = join(dir, "objects.yaml");
            writeFileSync(manifests, objects.map((o) => `---\n${JSON.stringify(o)}\n`).join(""));
            const out = await run(
                kubeScore,
                ["score", "--kubernetes-version", "v1.36", "--output-format", "json", manifests],
                env,
            );
            assert.ok(out.stdout.startsWith("["), `kube-score failed (exit ${out.code}): ${out.stderr}`);
            const scored = JSON.parse(out.stdout) as ScoredObject[];
            // It scores workloads, Services, NetworkPolicies and PDBs; Secrets, ConfigMaps, RBAC and the
            // like it reads past. Every object of a kind it scores must have been scored.
            const scoredNames = new Set(scored.map((o) => o.object_name));
            const SCORED_KINDS = new Set(["Deployment", "Service", "NetworkPolicy", "PodDisruptionBudget", "CronJob"]);
            for (const o of objects.filter((x) => SCORED_KINDS.has(x.kind))) {
                assert.ok(
                    [...scoredNames].some(
                        (n) =>
                            n.startsWith(`${o.kind}/`) &&
                            n.endsWith(`/${o.metadata.namespace ?? ""}/${o.metadata.name}`),
                    ),
                    `kube-score did not score ${keyOf(o)}`,
                );
            }

            const waived = new Map<string, { reason: string; objects: string[] }>();
            const unwaived: string[] = [];
            // kube-score matches a NetworkPolicy against the workloads in its input. A tenant namespace
            // holds none of this stack's: its team's release stacks bring the pods its policies select.
            const withWorkloads = new Set(
                objects.filter((o) => o.kind === "Deployment" || o.kind === "CronJob").map((o) => o.metadata.namespace),
            );
            const awaitingReleases = (objectName: string, check: string): boolean =>
                check === "networkpolicy-targets-pod" && !withWorkloads.has(objectName.split("/").at(-2));
            let checks = 0;
            for (const object of scored) {
                for (const c of object.checks) {
                    if (c.skipped) {
                        continue;
                    }
                    checks++;
                    if (c.grade >= GRADE_ALL_OK) {
                        continue;
                    }
                    const reason = awaitingReleases(object.object_name, c.check.id)
                        ? "a tenant namespace's policies wait for the pods its release stacks create"
                        : (object.object_meta.annotations?.[`${LINT_WAIVER_PREFIX}${c.check.id}`]?.trim() ?? "");
                    if (reason.length < 20) {
                        const why = (c.comments ?? []).map((m) => `${m.path ?? ""} ${m.summary}`.trim()).join("; ");
                        unwaived.push(`${object.object_name}: ${c.check.id} (grade ${c.grade}): ${why}`);
                        continue;
                    }
                    const entry = waived.get(c.check.id) ?? { reason, objects: [] };
                    entry.objects.push(object.object_name);
                    waived.set(c.check.id, entry);
                }
            }
            say(
                `kube-score v1.20.0 over ${scored.length} objects of namespaces ${stackNamespaces(state).join(", ")}: ${checks} checks run`,
            );
            say(
                `findings: ${unwaived.length} unwaived, ${[...waived.values()].reduce((n, w) => n + w.objects.length, 0)} waived`,
            );
            for (const [id, w] of waived) {
                say(`  waived ${id} on ${w.objects.length}: ${w.objects.join(", ")}`);
                say(`    reason: ${w.reason}`);
            }
            for (const line of unwaived) {
                say(`  UNWAIVED ${line}`);
            }
            assert.deepEqual(unwaived, [], "findings without a waiver and its reason");

            // A waiver's reason must be true of the object it is on.
            for (const object of objects.filter((o) => o.kind === "Deployment")) {
                const annotations = object.metadata.annotations ?? {};
                const spec = (
                    object as unknown as { spec: { replicas: number; template: { spec: Record<string, unknown> } } }
                ).spec;
                if (`${LINT_WAIVER_PREFIX}deployment-has-host-podantiaffinity` in annotations && spec.replicas >= 2) {
                    assert.match(
                        JSON.stringify(spec.template.spec.topologySpreadConstraints ?? []),
                        /kubernetes\.io\/hostname/,
                        `${keyOf(object)}: waived for its spread, but has no spread over hosts`,
                    );
                }
                if (`${LINT_WAIVER_PREFIX}deployment-replicas` in annotations) {
                    assert.match(
                        object.metadata.name,
                        /-canary$/,
                        `${keyOf(object)}: the replica waiver is a canary's`,
                    );
                }
            }
        });

        it("the longest names the schema accepts (canary app 47, blue-green 57) go through up", async () => {
            assert.equal(longest("canaryRelease"), 47);
            assert.equal(longest("blueGreenRelease"), 57);
            const canary = nameOf("canary", 47);
            const blueGreen = nameOf("bluegreen", 57);

            await setConfig("apps[0].name", `${canary}x`);
            const tooLong = await pulumi(["preview", ...policy]);
            assert.notEqual(tooLong.code, 0, "a name one longer than the bound is refused");
            assert.match(tooLong.stdout + tooLong.stderr, /apps\[0\]\.name: .*at most 47/);

            await setConfig("apps[0].name", canary);
            await setConfig("blueGreen.name", blueGreen);
            const renamed = await up();
            assert.equal(renamed.code, 0, renamed.stdout.slice(-4000) + renamed.stderr);
            say(`up with the longest names: ${canary.length} and ${blueGreen.length} characters: exit 0`);
            const services = new Set(
                (await serverObjects(env, [NS])).filter((o) => o.kind === "Service").map((o) => o.metadata.name),
            );
            for (const name of [
                `${canary}-stable`,
                `${canary}-canary`,
                `${blueGreen}-blue`,
                `${blueGreen}-green`,
                blueGreen,
            ]) {
                assert.ok(services.has(name), `Service ${name} (${name.length} characters) exists`);
            }
            const d = await drift(env, STACK);
            assert.deepEqual([d.orphaned, d.missing, d.pending], [[], [], []], "the renames left nothing behind");
        });

        it("scripts/ci/up: a request above its limit is refused before anything is applied, its error reported once", async () => {
            // The schema compares each request with its limit (the API server would refuse the pod
            // only in the preview's dry run, or at up without one).
            const app = "refused";
            await setConfig("apps[1].name", app);
            await setConfig("apps[1].image", `registry.platform-local.svc:5000/shop/${app}`);
            await setConfig("apps[1].stableVersion", "1.0.0");
            await setConfig("apps[1].canaryVersion", "1.1.0");
            await setConfig("apps[1].resources.cpuRequest", "1500m");
            await setConfig("apps[1].resources.cpuLimit", "500m");
            const ownedBefore = ownedObjects(await exportState(env, STACK)).sort();

            const job = await run("bash", ["scripts/ci/up", "--stack", STACK, "--", "--config-file", configFile], env, {
                timeoutMs: TIMEOUT_MS,
            });
            const text = job.stdout + job.stderr;
            assert.notEqual(job.code, 0, "the job fails");
            assert.match(job.stderr, /preview failed: nothing was applied/);
            // The diagnostics name the refused field once, with both values.
            const refusals = [
                ...text.matchAll(
                    /^ *- (apps\[1\]\.resources\.cpuRequest): cpuRequest "1500m" exceeds cpuLimit "500m"/gm,
                ),
            ].map((m) => m[1]);
            say(`scripts/ci/up with ${app}: exit ${job.code}; refused in the preview: ${refusals.join(", ")}`);
            assert.ok(refusals.length > 0, text.slice(-4000));
            assert.equal(new Set(refusals).size, refusals.length, `an object reported twice: ${refusals.join(", ")}`);
            assert.doesNotMatch(
                text,
                /failed to run (policy|remediation): context canceled/,
                "no analyzer cancellations after the real error",
            );
            say(
                `output filter: ${/left out \d+ "context canceled" error\(s\)/.exec(text)?.[0] ?? "nothing to leave out"}`,
            );
            assert.doesNotMatch(text, /Updating \(local\)|pulumi up --stack/, "the up never started");

            const after = await exportState(env, STACK);
            assert.deepEqual(ownedObjects(after).sort(), ownedBefore, "the state did not change");
            const created = (await serverObjects(env, [NS])).filter((o) => o.metadata.name.startsWith(`${app}-`));
            assert.deepEqual(created.map(keyOf), [], "nothing of the refused app exists on the server");
        });
    },
);
