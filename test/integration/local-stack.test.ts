/**
 * The embedded default end to end: the README's main job (`scripts/local up`: the local stack, then
 * the demo releases as release stacks of tenant shop) on a real API server with the real engine,
 * then changes a user makes, checked against what the server holds.
 */
import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { isolatedEnv, kubectlJson, policyFlags, ROOT, run, type Run } from "../support/engine";

const NS = "platform-local";
const SECRET = "demo-local-registry-pw-90b2";

interface K8sList<T> {
    items: T[];
}
interface Deployment {
    metadata: { name: string };
    spec: { replicas: number };
    status: { availableReplicas?: number; updatedReplicas?: number };
}
interface EndpointSlice {
    metadata: { labels: Record<string, string> };
    endpoints?: { conditions: { ready?: boolean } }[];
}
interface Pod {
    metadata: { name: string };
    spec: {
        securityContext: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
        containers: {
            name: string;
            securityContext?: {
                allowPrivilegeEscalation?: boolean;
                readOnlyRootFilesystem?: boolean;
                capabilities?: { drop?: string[] };
            };
        }[];
    };
}

describe("the local stack on a real API server", { timeout: 1_800_000 }, () => {
    // The cases are one user's session on one stack and one control plane, on purpose (bringing the
    // stack up takes minutes): each starts from what the case before left, in the order written.
    let env: NodeJS.ProcessEnv = {};
    let dir = "";
    let configFile = "";
    const outputs: string[] = [];
    // Tenant shop, whose release stacks hold the demo releases: its backend and credential.
    const shop = { backend: "", kubeconfig: "" };
    const releaseFiles: Record<string, string> = {};

    /** pulumi on a release stack, as tenant shop, on a copy of its stack file; previews and ups with the pack. */
    const release = async (stack: string, args: string[]): Promise<Run> => {
        const policy =
            args[0] === "preview" || args[0] === "up"
                ? (await run("bash", ["scripts/policy-args", "--release", stack], env)).stdout.trim().split("\n")
                : [];
        const result = await run(
            "pulumi",
            [
                ...args,
                "--stack",
                stack,
                "--non-interactive",
                // `stack export` and its kin take no stack file.
                ...(args[0] === "stack" ? [] : ["--config-file", releaseFiles[stack] ?? ""]),
                ...policy,
            ],
            {
                ...env,
                PULUMI_BACKEND_URL: shop.backend,
                KUBECONFIG: shop.kubeconfig,
                PULUMI_CONFIG_PASSPHRASE: `cicd-release-local-${stack.replace(/-local$/, "")}`,
            },
            { cwd: join(ROOT, "release") },
        );
        outputs.push(result.stdout + result.stderr);
        return result;
    };
    /** Tenant shop's credential, as the local stack issued it, in the file the release stacks use. */
    const writeShopCredential = async (): Promise<void> => {
        const kubeconfigs = JSON.parse(
            (
                await run(
                    "pulumi",
                    ["stack", "output", "--stack", "local", "--json", "--show-secrets", "tenantKubeconfigs"],
                    env,
                )
            ).stdout,
        ) as Record<string, string>;
        shop.kubeconfig = join(dir, "shop.kubeconfig");
        writeFileSync(shop.kubeconfig, kubeconfigs.shop ?? "", { mode: 0o600 });
    };
    const setRelease = async (stack: string, path: string, value: string): Promise<void> => {
        const result = await release(stack, ["config", "set", "--path", `cicd-release:${path}`, value]);
        assert.equal(result.code, 0, result.stderr);
    };

    const pulumi = async (args: string[], withPolicy = true): Promise<Run> => {
        const flags = withPolicy ? await policyFlags("local", env) : [];
        const result = await run(
            "pulumi",
            [...args, "--stack", "local", "--non-interactive", "--config-file", configFile, ...flags],
            env,
        );
        outputs.push(result.stdout + result.stderr);
        return result;
    };
    const up = (): Promise<Run> => pulumi(["up", "--yes", "--skip-preview"]);
    const selectorColor = async (): Promise<string> =>
        (await kubectlJson<{ spec: { selector: Record<string, string> } }>(env, "get", "service", "checkout", "-n", NS))
            .spec.selector.color ?? "";

    before(async () => {
        ({ env, dir } = await isolatedEnv({ apiserver: 26443, etcd: 22379 }));
        configFile = join(dir, "Pulumi.local.yaml");
        copyFileSync(join(ROOT, "Pulumi.local.yaml"), configFile);
        for (const stack of ["storefront-local", "checkout-local"]) {
            releaseFiles[stack] = join(dir, `Pulumi.${stack}.yaml`);
            copyFileSync(join(ROOT, "release", `Pulumi.${stack}.yaml`), releaseFiles[stack]);
        }
    });

    after(async () => {
        if (dir) {
            const down = await run("bash", ["scripts/local", "down"], env);
            assert.equal(down.code, 0, down.stdout + down.stderr);
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("comes up with the README's main job; every Deployment is available, every Service has endpoints", async () => {
        const main = await run("bash", ["scripts/local", "up"], env, { timeoutMs: 1_200_000 });
        outputs.push(main.stdout + main.stderr);
        assert.equal(main.code, 0, main.stdout.slice(-4000) + main.stderr.slice(-4000));
        assert.match(main.stdout, /The platform runs on the local control plane/);
        assert.match(main.stdout, /npm run canary -- promote --work-dir release --stack storefront-local/);
        assert.match(main.stdout + main.stderr, /cicd-platform-policies/);
        assert.match(main.stdout, /release stack storefront-local \(tenant shop/);
        assert.match(main.stdout, /release stack checkout-local \(tenant shop/);

        const settings = JSON.parse(
            (await run("pulumi", ["stack", "output", "--stack", "local", "--json", "releaseSettings"], env)).stdout,
        ) as { tenants: Record<string, { stateBackend: string }> };
        shop.backend = settings.tenants.shop?.stateBackend ?? "";
        await writeShopCredential();

        // The releases' objects, created by the release stacks with the tenant's credential.
        const deployments = await kubectlJson<K8sList<Deployment>>(env, "get", "deployments", "-n", NS);
        assert.deepEqual(
            deployments.items.map((d) => d.metadata.name.replace(/^(storefront-router)-[0-9a-z]+$/, "$1")).sort(),
            ["checkout-blue", "checkout-green", "storefront-router", "storefront-stable"],
        );
        for (const d of deployments.items) {
            assert.equal(d.status.availableReplicas, d.spec.replicas, `${d.metadata.name} available`);
        }
        const services = await kubectlJson<K8sList<{ metadata: { name: string } }>>(env, "get", "services", "-n", NS);
        const slices = await kubectlJson<K8sList<EndpointSlice>>(env, "get", "endpointslices", "-n", NS);
        for (const service of services.items) {
            const ready = slices.items
                .filter((s) => s.metadata.labels["kubernetes.io/service-name"] === service.metadata.name)
                .flatMap((s) => s.endpoints ?? [])
                .filter((e) => e.conditions.ready === true);
            assert.ok(ready.length > 0, `service ${service.metadata.name} has ready endpoints`);
        }
    });

    it("reports no changes on a second up", async () => {
        const preview = await pulumi(["preview", "--expect-no-changes"]);
        assert.equal(preview.code, 0, preview.stdout.slice(-3000));
        const again = await up();
        assert.equal(again.code, 0, again.stderr);
        assert.doesNotMatch(again.stdout, /\d+ (created|updated|deleted|replaced)/);
        assert.match(again.stdout, /\d+ unchanged/);
        for (const stack of ["storefront-local", "checkout-local"]) {
            const same = await release(stack, ["preview", "--expect-no-changes"]);
            assert.equal(same.code, 0, same.stdout.slice(-3000));
        }
    });

    it("a canary percentage change of the release stack replaces only the upstream ConfigMap and rolls nginx", async () => {
        await setRelease("storefront-local", "canary.canaryVersion", "1.1.0");
        await setRelease("storefront-local", "canary.canaryPercent", "25");
        const first = await release("storefront-local", ["up", "--yes", "--skip-preview"]);
        assert.equal(first.code, 0, first.stdout.slice(-3000));
        await setRelease("storefront-local", "canary.canaryPercent", "50");
        const preview = await release("storefront-local", ["preview", "--json"]);
        assert.equal(preview.code, 0, preview.stderr);
        // Every run reads the tenant's settings ConfigMap (a read, never a change).
        const steps = (JSON.parse(preview.stdout) as { steps: { op: string; urn: string }[] }).steps.filter(
            (s) => s.op !== "same" && s.op !== "read",
        );
        // urn:pulumi:<stack>::<project>::<parent types joined by $>$<type>::<name>
        const changed = new Set(
            steps.map((s) => {
                const [, , types = "", name = ""] = s.urn.split("::");
                return `${s.op} ${types.split("$").at(-1) ?? ""}::${name}`;
            }),
        );
        assert.deepEqual([...changed].sort(), [
            "replace kubernetes:core/v1:ConfigMap::storefront-router-conf",
            "update kubernetes:apps/v1:Deployment::storefront-router",
        ]);

        const before = await kubectlJson<K8sList<{ metadata: { name: string } }>>(env, "get", "configmaps", "-n", NS);
        const result = await release("storefront-local", ["up", "--yes", "--skip-preview"]);
        assert.equal(result.code, 0, result.stdout.slice(-3000));
        const maps = await kubectlJson<K8sList<{ metadata: { name: string }; data: Record<string, string> }>>(
            env,
            "get",
            "configmaps",
            "-n",
            NS,
            "-l",
            "app.kubernetes.io/component=router",
        );
        assert.equal(maps.items.length, 1, "the old ConfigMap is gone");
        const conf = maps.items[0]?.data["nginx.conf"] ?? "";
        assert.match(conf, /weight=50 .*# stable/);
        assert.match(conf, /weight=50 .*# canary/);
        assert.ok(!before.items.some((m) => m.metadata.name === maps.items[0]?.metadata.name), "a new name");
        const router = (await kubectlJson<K8sList<Deployment>>(env, "get", "deployments", "-n", NS)).items.find((d) =>
            d.metadata.name.startsWith("storefront-router"),
        );
        assert.equal(router?.status.updatedReplicas, router?.spec.replicas, "router rolled to the new config");
    });

    it("moves the blue-green selector of the release stack only when the gate (a command:local:Command) passes", async () => {
        assert.equal(await selectorColor(), "blue");
        const state = await release("checkout-local", ["stack", "export"]);
        assert.equal(state.code, 0, state.stderr);
        assert.match(
            state.stdout,
            /"urn": "[^"]*command:local:Command::[\w.-]*-gate"/,
            "the gate runs on the command plugin",
        );
        await setRelease("checkout-local", "blueGreen.active", "green");
        const ok = await release("checkout-local", ["up", "--yes", "--skip-preview"]);
        assert.equal(ok.code, 0, ok.stdout.slice(-3000));
        assert.equal(await selectorColor(), "green");

        await setRelease("checkout-local", "blueGreen.active", "blue");
        await setRelease("checkout-local", "blueGreen.smokeTest", "echo smoke says no >&2; false");
        const failed = await release("checkout-local", ["up", "--yes", "--skip-preview"]);
        assert.notEqual(failed.code, 0, "a failing smoke test fails the up");
        assert.match(failed.stdout + failed.stderr, /smoke test of blue failed; traffic stays where it was/);
        assert.equal(await selectorColor(), "green", "the selector did not move");
    });

    it("was accepted by the server as sent: no warnings about fields, pods carry the restricted profile", async () => {
        for (const text of outputs) {
            assert.doesNotMatch(text, /unknown field|would violate PodSecurity|duplicate field|deprecated/i);
        }
        const pods = await kubectlJson<K8sList<Pod>>(env, "get", "pods", "-n", NS);
        assert.ok(pods.items.length >= 9, `pods: ${pods.items.length}`);
        for (const pod of pods.items) {
            assert.equal(pod.spec.securityContext.runAsNonRoot, true, pod.metadata.name);
            assert.equal(pod.spec.securityContext.seccompProfile?.type, "RuntimeDefault", pod.metadata.name);
            for (const c of pod.spec.containers) {
                assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${pod.metadata.name}/${c.name}`);
                assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${pod.metadata.name}/${c.name}`);
                assert.deepEqual(c.securityContext.capabilities?.drop, ["ALL"], `${pod.metadata.name}/${c.name}`);
            }
        }
        const ns = await kubectlJson<{ metadata: { labels: Record<string, string> } }>(env, "get", "namespace", NS);
        assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    });

    it("keeps every secret of the stack config out of the backend's files", () => {
        const files: string[] = [];
        const walk = (path: string): void => {
            for (const entry of readdirSync(path)) {
                const full = join(path, entry);
                if (statSync(full).isDirectory()) {
                    walk(full);
                } else {
                    files.push(full);
                }
            }
        };
        walk(join(dir, "state", "backend"));
        assert.ok(
            files.some((f) => f.endsWith("local.json")),
            files.join(", "),
        );
        const encoded = Buffer.from(`ci-pull:${SECRET}`).toString("base64");
        for (const file of files) {
            const text = readFileSync(file, "utf8");
            assert.ok(!text.includes(SECRET), `${file} holds the registry password`);
            assert.ok(!text.includes(encoded), `${file} holds the registry auth`);
        }
    });

    it("destroy removes everything, and a later up works again", async () => {
        for (const stack of ["storefront-local", "checkout-local"]) {
            const gone = await release(stack, ["destroy", "--yes", "--skip-preview"]);
            assert.equal(gone.code, 0, gone.stdout.slice(-3000));
        }
        const destroy = await pulumi(["destroy", "--yes", "--skip-preview"], false);
        assert.equal(destroy.code, 0, destroy.stdout.slice(-3000));
        const gone = await run("kubectl", ["get", "namespace", NS], env);
        assert.notEqual(gone.code, 0, "namespace deleted");
        assert.match(gone.stderr, /NotFound/);

        copyFileSync(join(ROOT, "Pulumi.local.yaml"), configFile);
        const again = await up();
        assert.equal(again.code, 0, again.stdout.slice(-3000));
        // The new tenant namespace has a new token: the old credential is refused by design.
        await writeShopCredential();
        copyFileSync(join(ROOT, "release", "Pulumi.checkout-local.yaml"), releaseFiles["checkout-local"] ?? "");
        const releaseAgain = await release("checkout-local", ["up", "--yes", "--skip-preview"]);
        assert.equal(releaseAgain.code, 0, releaseAgain.stdout.slice(-3000));
        assert.equal(await selectorColor(), "blue");
    });
});
