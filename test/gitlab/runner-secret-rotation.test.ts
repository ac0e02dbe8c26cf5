/**
 * A runner token rotation through the real CLI, against the GitLab API stand-in (no GitLab server can
 * run here) and a real API server: the stack's `gitlab.UserRunner` feeds `GitLabRunner`, as
 * platform/runners.ts wires them. After one `up` with a new rotation label the old registration is
 * gone, a new one exists, and the runner's config Secret on the API server carries the new
 * registration's token; the runner Deployment mounts that Secret. Skips, saying why, when the
 * toolchain is not built.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";

import { isolatedEnv, kubectlJson, ROOT, run } from "../support/engine";
import { type EngineStack, newEngineStack } from "../support/engine-stack";
import { type GitLabStandIn, startStandIn } from "./standin";
import { toolchainSkip } from "./toolchain";

const ADMIN_TOKEN = ["glpat", "standin-rotation-0123456789"].join("-"); // a stand-in value, spelled apart for secret scanners
// Ports of the private control plane that no other test uses.
const CONTROL_PLANE = { apiserver: 13443, etcd: 13379 };
const NAMESPACE = "ci-runners-rotation";

const PROGRAM = `
import * as gitlab from "@pulumi/gitlab";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { GitLabRunner } from "${ROOT}/components/runners/gitlab-runner";
import type { GitLabConfig } from "${ROOT}/config/sections/gitlab";
import type { GitLabTarget } from "${ROOT}/platform/gitlab";
import { createUserRunner } from "${ROOT}/platform/gitlab-runners";

const c = new pulumi.Config();
const provider = new gitlab.Provider("gitlab", {
    baseUrl: c.require("baseUrl"),
    token: c.requireSecret("token"),
    earlyAuthCheck: true,
});
const config: GitLabConfig = {
    enabled: true,
    tier: "free",
    platformProject: "platform/cicd-platform",
    protectBranch: false,
    defaultBranch: "main",
    buildVariables: false,
    runners: { type: "project_type", projectId: 1, rotations: { kubernetes: c.require("rotation") } },
};
const gl: GitLabTarget = { provider, environment: "production", config, paid: false };
const cluster = new k8s.Provider("cluster", { kubeconfig: c.requireSecret("clusterKubeconfig") });
const namespace = new k8s.core.v1.Namespace("runners", { metadata: { name: "${NAMESPACE}" } }, { provider: cluster });
const tags = ["production", "kubernetes"];
const registration = createUserRunner(gl, "kubernetes", "gitlab-runner", tags);
const runner = new GitLabRunner(
    "gitlab-runner",
    { namespace: namespace.metadata.name, gitlabUrl: "https://gitlab.example.com", runnerToken: registration.token, tags },
    { providers: [cluster] },
);
export const runnerId = registration.id;
export const runnerToken = registration.token;
export const secretName = runner.configSecret.metadata.name;
export const deploymentName = runner.deployment.metadata.name;
`;

interface Outputs {
    readonly runnerId: number;
    readonly runnerToken: string;
    readonly secretName: string;
    readonly deploymentName: string;
}

describe(
    "a runner token rotation reaches the runner's config Secret in one up (GitLab API stand-in, real API server)",
    {
        skip: toolchainSkip(),
    },
    () => {
        let api: GitLabStandIn | undefined;
        let stack: EngineStack | undefined;
        let env: NodeJS.ProcessEnv = {};
        let dir = "";
        let clusterUp = false;

        before(async () => {
            ({ env, dir } = await isolatedEnv(CONTROL_PLANE));
            const cp = await run("bash", ["scripts/control-plane/cp", "start"], env, { timeoutMs: 300_000 });
            clusterUp = true;
            assert.equal(cp.code, 0, cp.stderr.slice(-3000));
            api = await startStandIn({
                tier: "free",
                users: [{ id: 1, username: "root", token: ADMIN_TOKEN, admin: true }],
                projects: ["platform/cicd-platform"],
                groups: [],
            });
            stack = await newEngineStack("gitlab-rotation", PROGRAM);
            await stack.config("baseUrl", api.baseUrl);
            await stack.config("token", ADMIN_TOKEN, true);
            await stack.config("clusterKubeconfig", readFileSync(env.KUBECONFIG ?? "", "utf8"), true);
            await stack.config("rotation", "initial");
        });
        after(async () => {
            if (stack !== undefined) {
                await stack.destroy();
                stack.dispose();
            }
            api?.stop();
            if (clusterUp) {
                // cp stop ends the processes cp start recorded, by their pids.
                const stop = await run("bash", ["scripts/control-plane/cp", "stop"], env);
                assert.equal(stop.code, 0, stop.stderr);
            }
            if (dir !== "") rmSync(dir, { recursive: true, force: true });
        });

        const engine = (): EngineStack => {
            assert.ok(stack, "the stack exists");
            return stack;
        };
        const upOk = async (): Promise<Outputs> => {
            const r = await engine().up();
            assert.equal(r.code, 0, `pulumi up: ${r.stderr}${r.stdout}`);
            return (await engine().outputs()) as unknown as Outputs;
        };
        /** The token in the runner's config.toml, as the API server holds it. */
        const secretToken = async (name: string): Promise<string> => {
            const secret = await kubectlJson<{ data: Record<string, string> }>(
                env,
                "get",
                "secret",
                "-n",
                NAMESPACE,
                name,
            );
            const toml = Buffer.from(secret.data["config.toml"] ?? "", "base64").toString("utf8");
            const token = /^\s*token = "([^"]+)"/m.exec(toml)?.[1];
            assert.ok(token !== undefined, `no token in config.toml:\n${toml.replace(/glrt-[\w-]+/g, "glrt-…")}`);
            return token;
        };
        const mountedSecret = async (deployment: string): Promise<string | undefined> => {
            const d = await kubectlJson<{
                spec: { template: { spec: { volumes?: { secret?: { secretName: string } }[] } } };
            }>(env, "get", "deployment", "-n", NAMESPACE, deployment);
            return d.spec.template.spec.volumes?.find((v) => v.secret !== undefined)?.secret?.secretName;
        };

        it("stand-in: the new registration's token is in the runner's Secret after the rotation's up, the old one deleted", async () => {
            assert.ok(api);
            const first = await upOk();
            assert.match(first.runnerToken, /^glrt-/);
            assert.equal(await secretToken(first.secretName), first.runnerToken, "the first registration's token");
            assert.equal(await mountedSecret(first.deploymentName), first.secretName);

            await engine().config("rotation", "2026-12-07");
            const second = await upOk();
            assert.notEqual(second.runnerId, first.runnerId, "a new registration");
            assert.notEqual(second.runnerToken, first.runnerToken);
            assert.equal(await secretToken(second.secretName), second.runnerToken, "the Secret has the new token");
            assert.equal(await mountedSecret(second.deploymentName), second.secretName, "the runner mounts it");
            const old = await api.api(ADMIN_TOKEN, "GET", `/runners/${String(first.runnerId)}`);
            assert.equal(old.status, 404, "the old registration is deleted");
            const current = await api.api(ADMIN_TOKEN, "GET", `/runners/${String(second.runnerId)}`);
            assert.equal(current.status, 200);
            const state = await engine().state();
            for (const token of [first.runnerToken, second.runnerToken, ADMIN_TOKEN]) {
                assert.ok(!state.includes(token), "a token is in the state in the clear");
            }
        });
    },
);
