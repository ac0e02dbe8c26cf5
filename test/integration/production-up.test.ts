/**
 * A production-shaped stack applied to a real API server: the committed production config with
 * GitHub off (there is no GitHub API here), the blue-green gate (a command:local:Command) checking
 * the local control plane, no Podman hosts (their SSH hosts are not reachable from here;
 * podman-host-sshd.test.ts applies the component against a real sshd), and the private registry's
 * claim bound to a PersistentVolume this file provides.
 * Everything else is production's: replicas, PDBs, the router, the registry's GC CronJob, the
 * NetworkPolicies, the runners (the build runner's SeccompProfile against the operator's API, see
 * test/support/seccomp-profile-crd.ts). The first `up` creates it, the second must change nothing, so every
 * object comes back from the server as the program sent it.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseDocument } from "yaml";

import { seccompProfileCrdCommands } from "../support/seccomp-profile-crd";
import { demoSecrets } from "../support/stack-secrets";
import { isolatedEnv, kubectlJson, policyFlags, ROOT, run, type Run, secureKeys, stripSecure } from "../support/engine";

const STACK = "production";
/** Marks every made-up secret value, so state and output can be searched for them. */
const TAG = "prod-up-demo";
/** The class the provided volume and the registry's claim share; no provisioner serves it. */
const STORAGE_CLASS = "cicd-test-hostpath";
const UP_TIMEOUT_MS = 900_000;

interface K8sList<T> {
    items: T[];
}
interface Named {
    metadata: { name: string; namespace?: string };
}

/** The production stack file as this test applies it: the overrides above, nothing else. */
function productionShaped(): { file: string; secrets: Record<string, string> } {
    const committed = readFileSync(join(ROOT, `Pulumi.${STACK}.yaml`), "utf8");
    const doc = parseDocument(stripSecure(committed));
    doc.setIn(["config", "cicd-platform:github", "enabled"], false);
    // The committed gate curls the release's own endpoints, which kwok's pods do not serve; the
    // local stack's gate asks the API server instead.
    doc.setIn(
        ["config", "cicd-platform:blueGreen", "healthCheck"],
        'kubectl --namespace "$TARGET_NAMESPACE" rollout status "deployment/$TARGET_DEPLOYMENT" --timeout=60s',
    );
    doc.setIn(
        ["config", "cicd-platform:blueGreen", "smokeTest"],
        `kubectl --namespace "$TARGET_NAMESPACE" get endpointslices -l "kubernetes.io/service-name=$TARGET_SERVICE" -o jsonpath='{.items[*].endpoints[*].conditions.ready}' | grep -q true`,
    );
    doc.deleteIn(["config", "cicd-platform:runners", "podmanHosts"]);
    doc.setIn(["config", "cicd-platform:privateRegistry", "storageClassName"], STORAGE_CLASS);
    const plain = Object.fromEntries(
        Object.entries((doc.toJS() as { config: Record<string, unknown> }).config).map(([k, v]) => [
            k.replace(/^cicd-platform:/, ""),
            v,
        ]),
    );
    const encrypted = secureKeys(committed).map((key) => key.replace(/^cicd-platform:/, ""));
    return { file: doc.toString(), secrets: demoSecrets(plain, encrypted, TAG) };
}

describe("a production-shaped stack on a real API server", { timeout: 2 * UP_TIMEOUT_MS + 300_000 }, () => {
    // One stack on one control plane, on purpose: the cases run in the order written.
    let env: NodeJS.ProcessEnv = {};
    let dir = "";
    /** A copy of the project: the engine writes the stack's salt beside the program. */
    let project = "";
    let secrets: Record<string, string> = {};
    const outputs: string[] = [];

    const pulumi = async (args: string[]): Promise<Run> => {
        const result = await run(
            "pulumi",
            [...args, "--stack", STACK, "--non-interactive", ...(await policyFlags(STACK, env))],
            env,
            { cwd: project, timeoutMs: UP_TIMEOUT_MS },
        );
        outputs.push(result.stdout + result.stderr);
        return result;
    };
    const must = async (command: string, args: string[], cwd = ROOT): Promise<string> => {
        const result = await run(command, args, env, { cwd });
        assert.equal(result.code, 0, `${command} ${args.join(" ")}:\n${result.stdout}${result.stderr}`);
        return result.stdout;
    };

    before(async () => {
        ({ env, dir } = await isolatedEnv({ apiserver: 25443, etcd: 21379 }));
        await must("bash", ["scripts/control-plane/cp", "start"]);
        // Production delivers the build runner's seccomp profile through the Security Profiles Operator.
        for (const args of seccompProfileCrdCommands(dir)) {
            await must("kubectl", args);
        }
        mkdirSync(join(dir, "state", "backend"), { recursive: true });
        project = join(dir, "project");
        const entries = ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", "tsconfig.program.json"];
        for (const entry of [...entries, "components", "config", "platform"]) {
            cpSync(join(ROOT, entry), join(project, entry), { recursive: true });
        }
        symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"), "dir");
        const shaped = productionShaped();
        writeFileSync(join(project, `Pulumi.${STACK}.yaml`), shaped.file);
        secrets = shaped.secrets;
        await must("pulumi", ["stack", "init", STACK, "--non-interactive"], project);
        for (const [key, value] of Object.entries(secrets)) {
            await must(
                "pulumi",
                ["config", "set", "--secret", "--stack", STACK, `cicd-platform:${key}`, "--", value],
                project,
            );
        }
        const size = (shaped.file.match(/storageSize: (\S+)/) ?? [])[1] ?? "1Gi";
        const volume = {
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name: "registry-test-volume" },
            spec: {
                capacity: { storage: size },
                accessModes: ["ReadWriteOnce"],
                persistentVolumeReclaimPolicy: "Retain",
                storageClassName: STORAGE_CLASS,
                hostPath: { path: join(dir, "registry-volume"), type: "DirectoryOrCreate" },
            },
        };
        const manifest = join(dir, "volume.json");
        writeFileSync(manifest, JSON.stringify(volume));
        await must("kubectl", ["apply", "-f", manifest]);
    });

    after(async () => {
        if (dir) {
            const stop = await run("bash", ["scripts/control-plane/cp", "stop"], env);
            assert.equal(stop.code, 0, stop.stdout + stop.stderr);
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("previews with the policy pack and comes up", async () => {
        const preview = await pulumi(["preview"]);
        assert.equal(preview.code, 0, preview.stdout.slice(-4000) + preview.stderr.slice(-4000));
        const up = await pulumi(["up", "--yes", "--skip-preview"]);
        assert.equal(up.code, 0, up.stdout.slice(-6000) + up.stderr.slice(-4000));
    });

    it("reaches no changes on the second up", async () => {
        const preview = await pulumi(["preview", "--expect-no-changes", "--diff"]);
        assert.equal(preview.code, 0, preview.stdout.slice(-6000) + preview.stderr.slice(-2000));
        const again = await pulumi(["up", "--yes", "--skip-preview"]);
        assert.equal(again.code, 0, again.stdout.slice(-3000) + again.stderr.slice(-2000));
        assert.doesNotMatch(again.stdout, /\d+ (created|updated|deleted|replaced)/);
        assert.match(again.stdout, /\d+ unchanged/);
    });

    it("holds what production needs: PDBs, the bound claim, the GC CronJob, NetworkPolicies, an available router", async () => {
        const pdbs = await kubectlJson<K8sList<Named>>(env, "get", "poddisruptionbudgets", "-A");
        const names = pdbs.items.map((p) => p.metadata.name);
        assert.ok(names.length >= 4, `PDBs: ${names.join(", ")}`);
        const claims = await kubectlJson<K8sList<Named & { spec: { volumeName?: string }; status: { phase: string } }>>(
            env,
            "get",
            "persistentvolumeclaims",
            "-A",
        );
        assert.equal(claims.items.length, 1, claims.items.map((c) => c.metadata.name).join(", "));
        assert.equal(claims.items[0]?.status.phase, "Bound");
        assert.equal(claims.items[0].spec.volumeName, "registry-test-volume");
        const cronJobs = await kubectlJson<K8sList<Named & { spec: { schedule: string } }>>(
            env,
            "get",
            "cronjobs",
            "-A",
        );
        assert.deepEqual(
            cronJobs.items.map((c) => c.spec.schedule),
            ["30 3 * * 0"],
        );
        const policies = await kubectlJson<K8sList<Named>>(env, "get", "networkpolicies", "-A");
        assert.ok(policies.items.length >= 15, `NetworkPolicies: ${policies.items.length}`);
        const deployments = await kubectlJson<
            K8sList<Named & { spec: { replicas: number }; status: { availableReplicas?: number } }>
        >(env, "get", "deployments", "-A");
        const router = deployments.items.find((d) => d.metadata.name.startsWith("storefront-router"));
        assert.equal(router?.spec.replicas, 3, "production's router replicas");
        for (const d of deployments.items) {
            assert.equal(d.status.availableReplicas, d.spec.replicas, `${d.metadata.namespace}/${d.metadata.name}`);
        }
    });

    it("was accepted as sent, and no secret reached the backend", () => {
        for (const text of outputs) {
            assert.doesNotMatch(text, /unknown field|would violate PodSecurity|duplicate field/i);
            assert.ok(!text.includes(TAG), "a secret of the stack config appears in the engine's output");
        }
        const walk = (path: string): string[] =>
            readdirSync(path).flatMap((entry) => {
                const full = join(path, entry);
                return statSync(full).isDirectory() ? walk(full) : [full];
            });
        const files = walk(join(dir, "state", "backend"));
        assert.ok(
            files.some((f) => f.endsWith(`${STACK}.json`)),
            files.join(", "),
        );
        for (const file of files) {
            const text = readFileSync(file, "utf8");
            for (const value of Object.values(secrets)) {
                assert.ok(!text.includes(value), `${file} holds a secret of the stack config`);
            }
        }
    });
});
