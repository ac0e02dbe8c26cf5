/**
 * The README's migration of a release out of the environment stack, as shipped (scripts/release-move),
 * through the real engine on a control plane of this file's own: an environment stack in the local
 * shape (Pulumi.local.yaml without the runners) in the old layout, the storefront canary in
 * `cicd-platform:apps`, is up; then the README's steps in order: tenant shop adopting the apps
 * namespace (`up`), `bash scripts/release-move local storefront`, the previews, the `up` of both stacks.
 *
 * Proves: the Kubernetes provider does not replace the app when its state moves to a stack whose
 * provider has the tenant's credential (pulumi-kubernetes#2771): the release stack's preview plans
 * 0 replaces and 0 deletes of the app's Deployments and Services, the environment stack's preview
 * without the app deletes none either, and after both `up`s every Deployment and Service of the app
 * on the API server has the uid and resourceVersion it had before the move.
 *
 * One control plane and one pair of stacks, shared on purpose: the cases run in the order written,
 * each from what the one before left.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { parseDocument } from "yaml";

import { isolatedEnv, kubectlJson, policyFlags, ROOT, run, type Run } from "../support/engine";

// Ports of this file's own control plane (apiserver, +1 controller-manager, +2 scheduler; etcd, +1 peer).
const CONTROL_PLANE = { apiserver: 18443, etcd: 18379 };
const ENV_STACK = "local";
const APP = "storefront";
const RELEASE_STACK = `${APP}-local`;
const NS = "platform-local";
const RELEASE_PASSPHRASE = "cicd-release-local-storefront";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";

/** The old layout: the app in `cicd-platform:apps`, no tenant yet, no runners (not what this proves). */
function oldLayout(): string {
    const doc = parseDocument(readFileSync(join(ROOT, "Pulumi.local.yaml"), "utf8"));
    doc.deleteIn(["config", "cicd-platform:runners"]);
    doc.deleteIn(["config", "cicd-platform:runnerToken"]);
    doc.deleteIn(["config", "cicd-platform:tenants"]);
    doc.setIn(
        ["config", "cicd-platform:apps"],
        doc.createNode([
            {
                name: APP,
                image: `registry.platform-local.svc:5000/shop/${APP}`,
                stableVersion: "1.0.0",
                canaryVersion: "1.1.0",
                canaryPercent: 25,
                replicas: 2,
            },
        ]),
    );
    return doc.toString();
}

/**
 * A project copy whose release/ is a directory of its own: the move writes the release stack's file
 * there (release/Pulumi.<stack>.yaml), never into this repository.
 */
function projectCopy(dir: string): string {
    const project = join(dir, "project");
    mkdirSync(join(project, "release"), { recursive: true });
    for (const entry of readdirSync(ROOT)) {
        if (entry !== ".git" && entry !== "release" && !/^Pulumi\..+\.yaml$/.test(entry)) {
            symlinkSync(join(ROOT, entry), join(project, entry));
        }
    }
    for (const entry of readdirSync(join(ROOT, "release"))) {
        if (!/^Pulumi\..+\.yaml$/.test(entry)) {
            symlinkSync(join(ROOT, "release", entry), join(project, "release", entry));
        }
    }
    return project;
}

interface K8sObject {
    kind: string;
    metadata: { name: string; uid: string; resourceVersion: string };
}
interface Step {
    op: string;
    urn: string;
}

/** The app's Deployments and Services on the API server: kind/name -> uid and resourceVersion. */
async function appObjects(env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
    const list = await kubectlJson<{ items: K8sObject[] }>(env, "get", "deployments,services", "-n", NS);
    return new Map(
        list.items
            .filter((o) => o.metadata.name.startsWith(APP))
            .map((o) => [`${o.kind}/${o.metadata.name}`, `uid=${o.metadata.uid} rv=${o.metadata.resourceVersion}`]),
    );
}

/** "op type::name" of the plan's steps on the app's Deployments and Services. */
function appSteps(preview: string): string[] {
    const steps = (JSON.parse(preview) as { steps?: Step[] }).steps ?? [];
    return steps
        .map((s) => ({ ...s, type: s.urn.split("::")[2]?.split("$").at(-1) ?? "" }))
        .filter((s) => s.type === DEPLOYMENT || s.type === SERVICE)
        .map((s) => `${s.op} ${s.type}::${s.urn.split("::")[3] ?? ""}`);
}

describe("moving a release out of the environment stack (scripts/release-move)", { concurrency: 1 }, () => {
    let env: NodeJS.ProcessEnv = {};
    let dir = "";
    let project = "";
    let configFile = "";
    let shop = { backend: "", kubeconfig: "" };
    let original = new Map<string, string>();
    const output: string[] = [];

    const environment = async (args: string[], withPolicy = true): Promise<Run> => {
        const flags = withPolicy ? await policyFlags(ENV_STACK, env) : [];
        // `stack export` and `stack output` take no stack file.
        const file = args[0] === "stack" ? [] : ["--config-file", configFile];
        const result = await run(
            "pulumi",
            [...args, "--stack", ENV_STACK, "--non-interactive", ...file, ...flags],
            env,
            { cwd: project },
        );
        output.push(result.stdout + result.stderr);
        return result;
    };
    /** pulumi on the release stack as tenant shop: its backend, its credential, its passphrase, the pack. */
    const release = async (args: string[]): Promise<Run> => {
        const policy =
            args[0] === "preview" || args[0] === "up"
                ? (await run("bash", ["scripts/policy-args", "--release", RELEASE_STACK], env)).stdout
                      .trim()
                      .split("\n")
                : [];
        const result = await run(
            "pulumi",
            [...args, "--stack", RELEASE_STACK, "--non-interactive", ...policy],
            {
                ...env,
                PULUMI_BACKEND_URL: shop.backend,
                KUBECONFIG: shop.kubeconfig,
                PULUMI_CONFIG_PASSPHRASE: RELEASE_PASSPHRASE,
            },
            { cwd: join(project, "release") },
        );
        output.push(result.stdout + result.stderr);
        return result;
    };
    const setEnvironment = async (path: string, value: string): Promise<void> => {
        const set = await environment(["config", "set", "--path", `cicd-platform:${path}`, value], false);
        assert.equal(set.code, 0, set.stderr);
    };

    before(async () => {
        ({ env, dir } = await isolatedEnv(CONTROL_PLANE));
        mkdirSync(join(dir, "state", "backend"), { recursive: true });
        project = projectCopy(dir);
        configFile = join(dir, "Pulumi.local.yaml");
        writeFileSync(configFile, oldLayout());
        const cp = await run("bash", ["scripts/control-plane/cp", "start"], env, { timeoutMs: 300_000 });
        assert.equal(cp.code, 0, cp.stderr.slice(-3000));
        const select = await run("pulumi", ["stack", "select", "--create", ENV_STACK, "--non-interactive"], env, {
            cwd: project,
        });
        assert.equal(select.code, 0, select.stderr);
        const first = await environment(["up", "--yes", "--skip-preview"]);
        assert.equal(first.code, 0, first.stdout.slice(-3000) + first.stderr);
    });

    after(async () => {
        if (dir) {
            const stop = await run("bash", ["scripts/control-plane/cp", "stop"], env);
            rmSync(dir, { recursive: true, force: true });
            assert.equal(stop.code, 0, stop.stderr);
        }
    });

    it("before step 1 the script refuses, naming the missing tenant, and moves nothing", async () => {
        const stateBefore = await environment(["stack", "export"], false);
        const move = await run(
            "bash",
            ["scripts/release-move", ENV_STACK, APP, "--config-file", configFile],
            { ...env, RELEASE_CONFIG_PASSPHRASE: RELEASE_PASSPHRASE },
            { cwd: project },
        );
        assert.equal(move.code, 2, move.stdout + move.stderr);
        assert.match(move.stderr, /no tenant of local lists storefront in its apps: add it \(tenants\[\]\.apps\)/);
        const stateAfter = await environment(["stack", "export"], false);
        assert.equal(stateAfter.stdout, stateBefore.stdout, "the environment stack's state changed");
        assert.deepEqual(readdirSync(join(project, "release")).sort(), ["Pulumi.yaml", "index.ts"]);
    });

    it("step 1: tenant shop adopts the apps namespace by an up that leaves the app's objects alone", async () => {
        original = await appObjects(env);
        assert.deepEqual(
            [...original.keys()].map((k) => k.replace(/^(\w+\/storefront-router)-[0-9a-z]+$/, "$1")).sort(),
            [
                "Deployment/storefront-canary",
                "Deployment/storefront-router",
                "Deployment/storefront-stable",
                "Service/storefront-canary",
                "Service/storefront-router",
                "Service/storefront-stable",
            ],
        );
        await setEnvironment("tenants[0].name", "shop");
        await setEnvironment("tenants[0].namespace", NS);
        await setEnvironment("tenants[0].apps[0]", APP);
        await setEnvironment("tenants[0].registryPrefix", "shop");
        const up = await environment(["up", "--yes", "--skip-preview"]);
        assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr);
        assert.doesNotMatch(up.stdout, /\d+ (deleted|replaced)/);
        assert.deepEqual(await appObjects(env), original);
    });

    it("steps 2-4: scripts/release-move moves the state to the tenant's release stack and drops the app from apps", async () => {
        const move = await run(
            "bash",
            ["scripts/release-move", ENV_STACK, APP, "--config-file", configFile],
            {
                ...env,
                RELEASE_CONFIG_PASSPHRASE: RELEASE_PASSPHRASE,
            },
            { cwd: project },
        );
        output.push(move.stdout + move.stderr);
        assert.equal(move.code, 0, move.stdout + move.stderr);
        assert.match(move.stdout, /5\. preview of storefront-local: .*nothing created, replaced or deleted/);

        const releaseFile = parseDocument(
            readFileSync(join(project, "release", `Pulumi.${RELEASE_STACK}.yaml`), "utf8"),
        );
        assert.equal(releaseFile.getIn(["config", "cicd-release:namespace"]), NS);
        assert.equal(releaseFile.getIn(["config", "cicd-release:canary", "canaryPercent"]), 25);
        const environmentFile = parseDocument(readFileSync(configFile, "utf8"));
        assert.deepEqual(
            (environmentFile.toJS() as { config: Record<string, unknown> }).config["cicd-platform:apps"],
            [],
        );

        const settings = await environment(["stack", "output", "--json", "releaseSettings"], false);
        shop = {
            backend:
                (JSON.parse(settings.stdout) as { tenants: Record<string, { stateBackend: string }> }).tenants.shop
                    ?.stateBackend ?? "",
            kubeconfig: join(dir, "shop.kubeconfig"),
        };
        const kubeconfigs = await environment(
            ["stack", "output", "--json", "--show-secrets", "tenantKubeconfigs"],
            false,
        );
        writeFileSync(shop.kubeconfig, (JSON.parse(kubeconfigs.stdout) as Record<string, string>).shop ?? "", {
            mode: 0o600,
        });
        const state = await release(["stack", "export"]);
        assert.equal(state.code, 0, state.stderr);
        const moved = (JSON.parse(state.stdout) as { deployment: { resources: { type: string }[] } }).deployment
            .resources;
        assert.equal(moved.filter((r) => r.type === DEPLOYMENT || r.type === SERVICE).length, 6);
        const left = await environment(["stack", "export"], false);
        assert.doesNotMatch(left.stdout, /CanaryRelease::storefront/, "the environment stack still holds the app");
    });

    it("step 5: the previews plan 0 replaces and 0 deletes of the app's Deployments and Services", async () => {
        const preview = await release(["preview", "--json"]);
        assert.equal(preview.code, 0, preview.stderr.slice(-3000));
        const steps = appSteps(preview.stdout);
        const summary = (JSON.parse(preview.stdout) as { changeSummary: Record<string, number> }).changeSummary;
        assert.deepEqual(
            steps.filter((s) => /^(replace|create-replacement|delete-replaced|delete|create) /.test(s)),
            [],
        );
        assert.deepEqual(
            Object.keys(summary).filter((op) => op !== "same" && op !== "update"),
            [],
            `the release stack's plan: ${JSON.stringify(summary)}`,
        );
        assert.ok((summary.same ?? 0) >= 12, `the moved resources are the same: ${JSON.stringify(summary)}`);

        const environmentPreview = await environment(["preview", "--json"]);
        assert.equal(environmentPreview.code, 0, environmentPreview.stderr.slice(-3000));
        const envSummary = (JSON.parse(environmentPreview.stdout) as { changeSummary: Record<string, number> })
            .changeSummary;
        assert.deepEqual(appSteps(environmentPreview.stdout), []);
        assert.equal(envSummary.delete ?? 0, 0, JSON.stringify(envSummary));
        assert.equal(envSummary.replace ?? 0, 0, JSON.stringify(envSummary));
    });

    it("the up of both stacks keeps every Deployment and Service of the app: same uid, same resourceVersion", async () => {
        const releaseUp = await release(["up", "--yes", "--skip-preview"]);
        assert.equal(releaseUp.code, 0, releaseUp.stdout.slice(-3000) + releaseUp.stderr);
        assert.doesNotMatch(releaseUp.stdout, /\d+ (created|deleted|replaced)/);
        const environmentUp = await environment(["up", "--yes", "--skip-preview"]);
        assert.equal(environmentUp.code, 0, environmentUp.stdout.slice(-3000) + environmentUp.stderr);
        assert.doesNotMatch(environmentUp.stdout, /\d+ (created|deleted|replaced)/);
        assert.deepEqual(await appObjects(env), original);
    });
});
