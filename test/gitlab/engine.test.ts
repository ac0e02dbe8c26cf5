/**
 * Our gitlab plugin and the generated @pulumi/gitlab through the real CLI, against the GitLab API
 * stand-in (no GitLab server can run here): every resource is created, left alone by a second `up`,
 * changed, and destroyed; a variable edited behind Pulumi's back is noticed by `refresh` and put back
 * by `up`; no token or variable value is ever in the clear in state, logs, preview JSON or outputs;
 * with earlyAuthCheck a refused token fails the preview naming `gitlab:token`, after one call.
 * Skips, saying why, when the toolchain (CLI, language host, gitlab plugin) is not built.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { writeTsProgram } from "../support/ts-program";
import { type GitLabStandIn, startStandIn } from "./standin";
import { TOOLCHAIN, toolchainSkip } from "./toolchain";

const bin = join(TOOLCHAIN, "bin");
const home = join(TOOLCHAIN, "pulumi-home");

const ADMIN_TOKEN = ["glpat", "standin-admin-0123456789"].join("-"); // a stand-in value, spelled apart for secret scanners
const V1 = "cmVnaXN0cnktcGFzc3dvcmQtb25l"; // base64 of a password: maskable
const V2 = "cmVnaXN0cnktcGFzc3dvcmQtdHdv";
const KUBECONFIG1 = "apiVersion: v1\nkind: Config\nclusters: []\n# first\n";
const KUBECONFIG2 = "apiVersion: v1\nkind: Config\nclusters: []\n# second\n";
const CLEAR = [ADMIN_TOKEN, V1, V2, "clusters: []", "edited-in-the-ui"];
const GENERATED_TOKEN = /gl(rt|pat|ptt)-standin\d+/;

const PROGRAM = `
import * as gitlab from "@pulumi/gitlab";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const second = config.requireNumber("step") === 2;
const value = config.requireSecret("registryPassword");
const kubeconfig = config.requireSecret("kubeconfig");

const runner = new gitlab.UserRunner("runner", {
    runnerType: "project_type",
    projectId: 1,
    description: "podman-1",
    tagLists: second ? ["podman", "linux"] : ["podman"],
    untagged: false,
    accessLevel: "ref_protected",
    locked: true,
});
new gitlab.ProjectVariable("registry-password", {
    project: "platform/app",
    key: "REGISTRY_PASSWORD",
    value,
    protected: true,
    masked: true,
    environmentScope: "production",
});
new gitlab.GroupVariable("kubeconfig", {
    group: "platform",
    key: "KUBECONFIG",
    value: kubeconfig,
    variableType: "file",
    protected: true,
});
const env = new gitlab.ProjectEnvironment("production", {
    project: "platform/app",
    name: "production",
    tier: "production",
    externalUrl: second ? "https://app2.example.test" : "https://app.example.test",
    stopBeforeDestroy: true,
});
new gitlab.ProjectProtectedEnvironment("production", {
    project: "platform/app",
    environment: env.name,
    deployAccessLevelsAttributes: second ? [{ groupId: 101 }] : [{ accessLevel: "maintainer" }],
});
new gitlab.BranchProtection("main", {
    project: "platform/app",
    branch: "main",
    pushAccessLevel: "no one",
    mergeAccessLevel: second ? "developer" : "maintainer",
    allowForcePush: false,
});
new gitlab.ProjectAccessToken("deploy", {
    project: "platform/app",
    name: "deploy",
    description: second ? "pull images (rotated)" : "pull images",
    scopes: ["read_registry"],
    accessLevel: "reporter",
    expiresAt: "2099-01-01",
});
new gitlab.PipelineTrigger("deploy", {
    project: "platform/app",
    description: second ? "deploy from the infra pipeline" : "deploy from infra",
});
export const runnerId = runner.id;
`;

const TYPES = [
    "gitlab:index/branchProtection:BranchProtection",
    "gitlab:index/groupVariable:GroupVariable",
    "gitlab:index/pipelineTrigger:PipelineTrigger",
    "gitlab:index/projectAccessToken:ProjectAccessToken",
    "gitlab:index/projectEnvironment:ProjectEnvironment",
    "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment",
    "gitlab:index/projectVariable:ProjectVariable",
    "gitlab:index/userRunner:UserRunner",
];

interface Step {
    readonly op: string;
    readonly urn: string;
}

let work: string;
let api: GitLabStandIn;
const transcript: string[] = [];

function filesUnder(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

describe(
    "gitlab plugin through the real CLI against the GitLab API stand-in",
    {
        skip: toolchainSkip(join(bin, "pulumi-language-nodejs")),
    },
    () => {
        let dir: string;
        let state: string;
        let pulumi: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

        before(async () => {
            work = await mkdtemp(join(tmpdir(), "gitlab-engine-"));
            api = await startStandIn({
                users: [{ id: 1, username: "root", token: ADMIN_TOKEN, admin: true }],
                projects: ["platform/app"],
                groups: ["platform"],
            });
            dir = join(work, "program");
            state = join(work, "state");
            mkdirSync(state, { recursive: true });
            writeTsProgram(dir, "gitlab-engine", PROGRAM);
            const env = {
                ...process.env,
                PATH: `${bin}:${process.env.PATH ?? ""}`,
                PULUMI_HOME: home,
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
                PULUMI_CONFIG_PASSPHRASE: "gitlab-stand-in",
                PULUMI_BACKEND_URL: `file://${state}`,
                PULUMI_NODEJS_TRANSPILE_ONLY: "true",
                GITLAB_TOKEN: "",
                GITLAB_BASE_URL: "",
            };
            pulumi = (...args: string[]) =>
                new Promise((resolve) => {
                    execFile(
                        join(bin, "pulumi"),
                        args,
                        { cwd: dir, env, maxBuffer: 64 << 20 },
                        (err, stdout, stderr) => {
                            transcript.push(stdout, stderr);
                            const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
                            resolve({ code, stdout, stderr });
                        },
                    );
                });
            const ok = async (...args: string[]) => {
                const r = await pulumi(...args);
                assert.equal(r.code, 0, `pulumi ${args.join(" ")}: ${r.stderr}${r.stdout}`);
                return r;
            };
            await ok("stack", "init", "test", "--non-interactive");
            await ok("config", "set", "gitlab:baseUrl", api.baseUrl);
            await ok("config", "set", "--secret", "gitlab:token", ADMIN_TOKEN);
            await ok("config", "set", "--secret", "registryPassword", V1);
            await ok("config", "set", "--secret", "kubeconfig", KUBECONFIG1);
            await ok("config", "set", "step", "1");
        });
        after(async () => {
            api.stop();
            await rm(work, { recursive: true, force: true });
        });

        const up = async () => {
            const r = await pulumi("up", "--yes", "--skip-preview", "--non-interactive", "--diff");
            assert.equal(r.code, 0, `pulumi up: ${r.stderr}${r.stdout}`);
        };
        const preview = async (): Promise<Step[]> => {
            const r = await pulumi("preview", "--json", "--non-interactive");
            assert.equal(r.code, 0, `pulumi preview: ${r.stderr}${r.stdout}`);
            return (JSON.parse(r.stdout) as { steps: Step[] }).steps;
        };
        const changed = (steps: Step[]) =>
            steps
                .filter((s) => s.op !== "same")
                .map((s) => `${s.op} ${s.urn.split("::")[2] ?? ""}`)
                .sort();
        const variable = async () =>
            (
                await api.api(
                    ADMIN_TOKEN,
                    "GET",
                    "/projects/platform%2Fapp/variables/REGISTRY_PASSWORD?filter[environment_scope]=production",
                )
            ).json as { value: string; protected: boolean };

        it("stand-in: a preview creates every resource and calls GitLab only to check the token", async () => {
            await api.clearRequests();
            const steps = await preview();
            assert.deepEqual(
                changed(steps).filter((s) => s.startsWith("create gitlab:index")),
                TYPES.map((t) => `create ${t}`).sort(),
            );
            const calls = (await api.requests()).map((r) => `${r.method} ${r.path}`);
            assert.deepEqual([...new Set(calls)], ["GET /api/v4/user"]);
        });

        it("stand-in: up creates them in GitLab, a second up changes nothing", async () => {
            await up();
            const v = await variable();
            assert.equal(v.value, V1);
            assert.equal(v.protected, true);
            const env = await api.api(ADMIN_TOKEN, "GET", "/projects/platform%2Fapp/protected_environments/production");
            assert.equal(env.status, 200);
            const branch = await api.api(ADMIN_TOKEN, "GET", "/projects/platform%2Fapp/protected_branches/main");
            assert.equal(branch.status, 200);
            assert.deepEqual(changed(await preview()), []);
            const again = await pulumi("up", "--yes", "--non-interactive", "--expect-no-changes");
            assert.equal(again.code, 0, `second up: ${again.stderr}${again.stdout}`);
        });

        it("stand-in: a variable edited in the UI is noticed by refresh and put back by up", async () => {
            const edit = await api.api(ADMIN_TOKEN, "PUT", "/projects/platform%2Fapp/variables/REGISTRY_PASSWORD", {
                value: "edited-in-the-ui",
                protected: false,
                filter: { environment_scope: "production" },
            });
            assert.equal(edit.status, 200);
            const refresh = await pulumi("refresh", "--yes", "--non-interactive");
            assert.equal(refresh.code, 0, refresh.stderr);
            assert.deepEqual(changed(await preview()), ["update gitlab:index/projectVariable:ProjectVariable"]);
            await up();
            const v = await variable();
            assert.equal(v.value, V1);
            assert.equal(v.protected, true);
        });

        it("stand-in: a change of every resource updates in place (the access token is replaced)", async () => {
            assert.equal((await pulumi("config", "set", "step", "2")).code, 0);
            assert.equal((await pulumi("config", "set", "--secret", "registryPassword", V2)).code, 0);
            assert.equal((await pulumi("config", "set", "--secret", "kubeconfig", KUBECONFIG2)).code, 0);
            const steps = changed(await preview());
            assert.deepEqual(
                steps.filter((s) => s.includes("gitlab:index")),
                TYPES.map((t) => (t.endsWith("ProjectAccessToken") ? `replace ${t}` : `update ${t}`)).sort(),
            );
            await up();
            assert.equal((await variable()).value, V2);
            const runners = await api.api(
                ADMIN_TOKEN,
                "GET",
                `/runners/${(await pulumi("stack", "output", "runnerId")).stdout.trim()}`,
            );
            assert.deepEqual((runners.json as { tag_list: string[] }).tag_list, ["linux", "podman"]);
            assert.deepEqual(changed(await preview()), []);
        });

        it("stand-in: no token or variable value is in the clear in state, logs, preview JSON or outputs", async () => {
            const exported = await pulumi("stack", "export");
            const outputs = await pulumi("stack", "output", "--json");
            const files = filesUnder(state).map((f) => readFileSync(f, "utf8"));
            const everything = [...transcript, exported.stdout, outputs.stdout, ...files].join("\n");
            for (const clear of CLEAR) {
                assert.ok(!everything.includes(clear), `${JSON.stringify(clear)} appears in the clear`);
            }
            assert.doesNotMatch(everything, GENERATED_TOKEN, "a token GitLab generated appears in the clear");
            // They are in the state, encrypted: the secrets are there, not dropped.
            assert.match(exported.stdout, /"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"/);
        });

        it("stand-in: destroy deletes every resource from GitLab", async () => {
            const r = await pulumi("destroy", "--yes", "--non-interactive", "--skip-preview");
            assert.equal(r.code, 0, r.stderr);
            for (const path of [
                "/projects/platform%2Fapp/variables/REGISTRY_PASSWORD?filter[environment_scope]=production",
                "/groups/platform/variables/KUBECONFIG",
                "/projects/platform%2Fapp/protected_environments/production",
                "/projects/platform%2Fapp/protected_branches/main",
            ]) {
                assert.equal((await api.api(ADMIN_TOKEN, "GET", path)).status, 404, path);
            }
            const deletes = (await api.requests())
                .filter((q) => q.method === "DELETE" && q.status < 300)
                .map((q) => q.path.split("/")[5] ?? q.path.split("/")[3]);
            for (const kind of [
                "variables",
                "environments",
                "protected_environments",
                "protected_branches",
                "access_tokens",
                "triggers",
                "runners",
            ]) {
                assert.ok(
                    deletes.some((d) => d === kind || (kind === "runners" && /^\d+$/.test(d ?? ""))),
                    `no successful DELETE of ${kind}: ${deletes.join(", ")}`,
                );
            }
        });

        it("stand-in: with earlyAuthCheck a refused token fails the preview naming gitlab:token, after one call", async () => {
            assert.equal(
                (await pulumi("config", "set", "--secret", "gitlab:token", ["glpat", "wrong-token"].join("-"))).code,
                0,
            );
            await api.clearRequests();
            const r = await pulumi("preview", "--non-interactive");
            assert.notEqual(r.code, 0);
            assert.match(r.stdout + r.stderr, /gitlab:token/);
            assert.match(r.stdout + r.stderr, /refused the token \(401\)/);
            assert.deepEqual(
                (await api.requests()).map((q) => `${q.method} ${q.path} ${q.status}`),
                ["GET /api/v4/user 401"],
            );
        });
    },
);
