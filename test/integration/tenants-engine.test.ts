/**
 * Tenants through the real engine and a real API server:
 *
 * - two Tenants deployed by `pulumi up` on a control plane of this file's own; with the token the
 *   token controller issued to tenant A's deploy identity (its kubeconfig, a secret stack output),
 *   the API server allows exactly the release kinds in A's namespace and nothing in B's, nothing
 *   cluster-wide, no RBAC, no Secrets, no pods of its own; A's settings ConfigMap refuses A's writes;
 * - a new `rotation` replaces the token in one `up`: the new kubeconfig works, the old token is
 *   refused;
 * - a bad stack config stops `pulumi preview --non-interactive` of the platform's program with each
 *   problem once and no stack trace.
 *
 * One control plane and one stack for the first describe, shared on purpose (bringing them up is
 * most of the cost): its cases run in the order written, each from what the one before left.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { TENANT_DEPLOY_RULES } from "../../components/tenants/deploy-rules";
import { TENANT_SETTINGS_CONFIGMAP } from "../../config/tenant-contract";
import { isolatedEnv, ROOT, run, type Run, stripSecure } from "../support/engine";
import { writeTsProgram } from "../support/ts-program";

// Ports of this file's own control plane (apiserver, +1 controller-manager, +2 scheduler; etcd, +1 peer).
const CONTROL_PLANE = { apiserver: 15443, etcd: 15379 };
const NS_A = "team-a-local";
const NS_B = "team-b-local";

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { Tenant } from ${JSON.stringify(join(ROOT, "components"))};

const config = new pulumi.Config();
const apiServer = config.require("apiServer");
const tenant = (name: string, namespace: string, rotation: string) =>
    new Tenant("tenant-" + name, {
        tenant: name,
        namespace,
        environment: "local",
        apiServer,
        settings: { tenant: name, namespace },
        credentialRotation: rotation,
    });
const a = tenant("a", ${JSON.stringify(NS_A)}, config.require("rotationA"));
const b = tenant("b", ${JSON.stringify(NS_B)}, "initial");
export const kubeconfigA = a.kubeconfig;
export const tokenSecretA = a.tokenSecret.metadata.name;
export const namespaces = [a.namespaceName, b.namespaceName];
`;

describe("tenants on the local control plane", { concurrency: 1 }, () => {
    let env: NodeJS.ProcessEnv = {};
    let dir = "";
    let program = "";
    let kubeconfigA = "";
    let firstKubeconfig = "";
    let firstTokenSecret = "";

    const pulumi = (args: string[], timeoutMs = 600_000): Promise<Run> =>
        run("pulumi", [...args, "--stack", "tenants", "--non-interactive"], env, { cwd: program, timeoutMs });
    /** kubectl as the tenant's deploy identity: only its kubeconfig, no admin credential anywhere. */
    const asTenant = (kubeconfig: string, args: string[]): Promise<Run> =>
        run("kubectl", ["--request-timeout=20s", ...args], { ...env, KUBECONFIG: kubeconfig });
    const canI = async (kubeconfig: string, verb: string, resource: string, ...scope: string[]): Promise<string> => {
        // `pods/exec` as a TYPE/NAME argument would mean the pod named "exec": subresources go apart.
        const [type = "", sub] = resource.includes(".") ? [resource] : resource.split("/");
        const subresource = sub === undefined ? [] : [`--subresource=${sub}`];
        // A resource name comes before the flags and joins the type: `secrets/<name>`.
        const [name, flags] =
            scope[0] !== undefined && !scope[0].startsWith("-") ? [scope[0], scope.slice(1)] : [undefined, scope];
        const target = name === undefined ? type : `${type}/${name}`;
        const out = await asTenant(kubeconfig, ["auth", "can-i", verb, target, ...subresource, ...flags]);
        return out.stdout.trim() || out.stderr.trim();
    };
    const up = async (rotation: string): Promise<Run> => {
        const set = await pulumi(["config", "set", "rotationA", rotation]);
        assert.equal(set.code, 0, set.stderr);
        return pulumi(["up", "--yes", "--skip-preview"]);
    };
    const fetchKubeconfig = async (name: string): Promise<{ path: string; tokenSecret: string }> => {
        const out = await pulumi(["stack", "output", "--json", "--show-secrets"]);
        assert.equal(out.code, 0, out.stderr);
        const outputs = JSON.parse(out.stdout) as { kubeconfigA: string; tokenSecretA: string };
        const path = join(dir, name);
        writeFileSync(path, outputs.kubeconfigA, { mode: 0o600 });
        return { path, tokenSecret: outputs.tokenSecretA };
    };

    before(async () => {
        ({ env, dir } = await isolatedEnv(CONTROL_PLANE));
        mkdirSync(join(dir, "state", "backend"), { recursive: true });
        program = join(dir, "program");
        writeTsProgram(program, "tenants-engine", PROGRAM, { noCheck: true });
        const cp = await run("bash", ["scripts/control-plane/cp", "start"], env, { timeoutMs: 300_000 });
        assert.equal(cp.code, 0, cp.stderr.slice(-3000));
        const init = await run("pulumi", ["stack", "init", "tenants", "--non-interactive"], env, { cwd: program });
        assert.equal(init.code, 0, init.stderr);
        const server = await pulumi(["config", "set", "apiServer", `https://127.0.0.1:${CONTROL_PLANE.apiserver}`]);
        assert.equal(server.code, 0, server.stderr);
    });

    after(async () => {
        if (dir) {
            const stop = await run("bash", ["scripts/control-plane/cp", "stop"], env);
            rmSync(dir, { recursive: true, force: true });
            assert.equal(stop.code, 0, stop.stderr);
        }
    });

    it("up creates both tenants; the credential is a secret output holding a token the controller issued", async () => {
        const result = await up("r1");
        assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr.slice(-3000));
        const plain = await pulumi(["stack", "output", "--json"]);
        assert.equal((JSON.parse(plain.stdout) as { kubeconfigA: string }).kubeconfigA, "[secret]");
        ({ path: kubeconfigA, tokenSecret: firstTokenSecret } = await fetchKubeconfig("kubeconfig-a-r1"));
        firstKubeconfig = kubeconfigA;
        assert.equal(firstTokenSecret, "release-deployer-token-r1");
        const who = await asTenant(kubeconfigA, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
        assert.equal(who.code, 0, who.stderr);
        assert.equal(who.stdout.trim(), `system:serviceaccount:${NS_A}:release-deployer`);
    });

    it("with A's token: every release kind in A's namespace, nothing in B's, nothing cluster-wide", async (t) => {
        const pairs = TENANT_DEPLOY_RULES.flatMap((rule) =>
            (rule.resources as string[]).flatMap((resource) =>
                (rule.verbs as string[]).map((verb) => {
                    const group = (rule.apiGroups as string[])[0] ?? "";
                    return [verb, group === "" ? resource : `${resource}.${group}`] as const;
                }),
            ),
        );
        const matrix: string[] = [];
        for (const [verb, resource] of pairs) {
            const [own, other, cluster] = await Promise.all([
                canI(kubeconfigA, verb, resource, "-n", NS_A),
                canI(kubeconfigA, verb, resource, "-n", NS_B),
                canI(kubeconfigA, verb, resource, "--all-namespaces"),
            ]);
            matrix.push(`${verb} ${resource}: ${NS_A}=${own} ${NS_B}=${other} cluster=${cluster}`);
        }
        t.diagnostic(matrix.join("\n"));
        assert.deepEqual(
            matrix,
            pairs.map(([verb, resource]) => `${verb} ${resource}: ${NS_A}=yes ${NS_B}=no cluster=no`),
        );
    });

    it("with A's token: no Secrets, no RBAC, no pods or exec, no namespaces, not even in A's own namespace", async () => {
        const refused: [string, string, ...string[]][] = [
            ["get", "secrets", "-n", NS_A],
            ["list", "secrets", "-n", NS_A],
            ["create", "secrets", "-n", NS_A],
            ["get", "secrets", firstTokenSecret, "-n", NS_A],
            ["create", "roles.rbac.authorization.k8s.io", "-n", NS_A],
            ["create", "rolebindings.rbac.authorization.k8s.io", "-n", NS_A],
            ["escalate", "roles.rbac.authorization.k8s.io", "-n", NS_A],
            ["bind", "roles.rbac.authorization.k8s.io", "-n", NS_A],
            ["create", "clusterroles.rbac.authorization.k8s.io"],
            ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
            ["create", "serviceaccounts", "-n", NS_A],
            ["create", "serviceaccounts/token", "-n", NS_A],
            ["create", "pods", "-n", NS_A],
            ["create", "pods/exec", "-n", NS_A],
            ["delete", "namespaces", NS_A],
            ["list", "namespaces"],
            ["create", "validatingadmissionpolicies.admissionregistration.k8s.io"],
            ["*", "*", "-n", NS_A],
        ];
        for (const [verb, resource, ...scope] of refused) {
            assert.equal(
                await canI(kubeconfigA, verb, resource, ...scope),
                "no",
                `${verb} ${resource} ${scope.join(" ")}`,
            );
        }
    });

    it("with A's token the API server does what can-i says: writes in A, refusals in B, Secrets and the settings", async () => {
        const own = await asTenant(kubeconfigA, ["create", "configmap", "probe", "-n", NS_A, "--from-literal=k=v"]);
        assert.equal(own.code, 0, own.stderr);
        const other = await asTenant(kubeconfigA, ["create", "configmap", "probe", "-n", NS_B, "--from-literal=k=v"]);
        assert.notEqual(other.code, 0);
        assert.match(other.stderr, /forbidden/i);
        const secrets = await asTenant(kubeconfigA, ["get", "secrets", "-n", NS_A]);
        assert.notEqual(secrets.code, 0);
        assert.match(secrets.stderr, /forbidden/i);

        const settings = await asTenant(kubeconfigA, [
            "get",
            "configmap",
            TENANT_SETTINGS_CONFIGMAP,
            "-n",
            NS_A,
            "-o",
            "json",
        ]);
        assert.equal(settings.code, 0, settings.stderr);
        assert.deepEqual((JSON.parse(settings.stdout) as { data: unknown }).data, { tenant: "a", namespace: NS_A });
        const patch = await asTenant(kubeconfigA, [
            "patch",
            "configmap",
            TENANT_SETTINGS_CONFIGMAP,
            "-n",
            NS_A,
            "--type=merge",
            '-p={"data":{"namespace":"team-b-local"}}',
        ]);
        assert.notEqual(patch.code, 0, "the tenant must not rewrite its settings");
        assert.match(patch.stderr, /the tenant reads it and cannot change it/);
        const remove = await asTenant(kubeconfigA, ["delete", "configmap", TENANT_SETTINGS_CONFIGMAP, "-n", NS_A]);
        assert.notEqual(remove.code, 0, "the tenant must not delete its settings");
        assert.match(remove.stderr, /the tenant reads it and cannot change it/);
    });

    it("a new rotation replaces the token in one up: the new kubeconfig works, the old token is refused", async () => {
        const result = await up("r2");
        assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr.slice(-3000));
        assert.match(result.stdout, /1 replaced/);
        const rotated = await fetchKubeconfig("kubeconfig-a-r2");
        assert.equal(rotated.tokenSecret, "release-deployer-token-r2");
        assert.equal(await canI(rotated.path, "create", "deployments.apps", "-n", NS_A), "yes");
        // The API server's token lookup goes through its informer cache: give it a few seconds.
        let old = await asTenant(firstKubeconfig, ["auth", "can-i", "create", "deployments.apps", "-n", NS_A]);
        for (let i = 0; i < 10 && old.code === 0; i++) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            old = await asTenant(firstKubeconfig, ["auth", "can-i", "create", "deployments.apps", "-n", NS_A]);
        }
        assert.notEqual(old.code, 0, "the old token still works");
        assert.match(old.stderr, /unauthorized|must be logged in/i);
        const secrets = await run(
            "kubectl",
            ["get", "secrets", "-n", NS_A, "-l", "cicd.platform/tenant=a", "-o", "jsonpath={.items[*].metadata.name}"],
            env,
        );
        assert.equal(secrets.stdout.trim(), "release-deployer-token-r2", "the old token Secret is gone");
    });
});

describe("a bad stack config under the real engine", () => {
    let dir = "";
    after(() => {
        if (dir) {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("pulumi preview --non-interactive prints each problem once and no stack trace", async () => {
        const { env, dir: made } = await isolatedEnv(CONTROL_PLANE);
        dir = made;
        mkdirSync(join(dir, "state", "backend"), { recursive: true });
        const project = join(dir, "project");
        mkdirSync(project);
        for (const entry of readdirSync(ROOT)) {
            if (entry !== ".git" && !/^Pulumi\..+\.yaml$/.test(entry)) {
                symlinkSync(join(ROOT, entry), join(project, entry));
            }
        }
        const bad = readFileSync(join(ROOT, "Pulumi.local.yaml"), "utf8")
            .replace("steps: [10, 25, 50, 75, 100]", "steps: [10, 50, 25, 75, 100]")
            .replace("    - name: news\n", "    - name: shop\n");
        assert.notEqual(bad, readFileSync(join(ROOT, "Pulumi.local.yaml"), "utf8"));
        // Without its encrypted values: they belong to another passphrase (set again below).
        writeFileSync(join(project, "Pulumi.bad.yaml"), stripSecure(bad));
        const init = await run("pulumi", ["stack", "init", "bad", "--non-interactive"], env, { cwd: project });
        assert.equal(init.code, 0, init.stderr);
        // The engine itself refuses a stack without the keys Pulumi.yaml requires, before the program runs.
        const secrets: [string, string][] = [
            ["registryPassword", "demo-registry-password"],
            ["runnerToken", ["glrt", "demo0token0for0a0bad0config"].join("-")],
        ];
        for (const [key, value] of secrets) {
            const set = await run("pulumi", ["config", "set", "--secret", key, value, "--stack", "bad"], env, {
                cwd: project,
            });
            assert.equal(set.code, 0, set.stderr);
        }
        const preview = await run("pulumi", ["preview", "--stack", "bad", "--non-interactive"], env, {
            cwd: project,
            timeoutMs: 300_000,
        });
        const output = preview.stdout + preview.stderr;
        assert.notEqual(preview.code, 0, output);
        const problems = [
            "canary.steps: must rise: step 2 (25) is not above step 1 (50)",
            'tenants[1].name: "shop" is also tenants[0]',
        ];
        for (const problem of problems) {
            assert.equal(output.split(problem).length - 1, 1, `"${problem}" once in:\n${output}`);
        }
        const report = /invalid stack config for cicd-platform \(\d+ problems\):\n(?: {2,}- .*\n?)+/.exec(output)?.[0];
        assert.ok(report !== undefined, output);
        assert.doesNotMatch(output, /unhandled exception/);
        assert.doesNotMatch(output, /^\s+at .+:\d+:\d+\)?$/m, "no stack frames");
        assert.doesNotMatch(output, /problems: \[/, "no object dump of the error");
        assert.ok(!report.includes("\u001b["), "no colour codes in the report under --non-interactive");
    });
});
