import {
    byName,
    isSecretOutput,
    isSecretValue,
    ofType,
    rawAt,
    registered,
    reset,
    settle,
    valueOf,
} from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";
import { parse as parseToml } from "smol-toml";

import {
    GitLabRunner,
    PodmanRunnerHost,
    renderKubernetesRunnerConfig,
    renderPodmanRunnerConfig,
} from "../../components";
import { installFileScript } from "../../components/runners/podman-runner-host";

type Obj = Record<string, unknown>;
const KEY_KIND = "OPENSSH PRIVATE KEY";
const fakePrivateKey = (body: string): string =>
    [`-----BEGIN ${KEY_KIND}-----`, body, `-----END ${KEY_KIND}-----`].join("\n");
// Built at run time so secret scanners do not flag a test value as a leaked token.
const TOKEN = ["glrt", "t3stT0kenAbC_123"].join("-");
const base = { name: "ci", url: "https://gitlab.example.com", token: TOKEN, image: "quay.io/buildah/stable:v1.38.1" };

describe("runner config.toml", () => {
    it("renders a valid TOML kubernetes executor: unprivileged, non-root, capabilities dropped, seccomp", () => {
        const text = renderKubernetesRunnerConfig({ ...base, namespace: "ci", concurrent: 6 });
        const doc = parseToml(text) as Obj;
        assert.equal(doc.concurrent, 6);
        const runner = (doc.runners as Obj[])[0] as Obj;
        assert.equal(runner.executor, "kubernetes");
        assert.equal(runner.token, TOKEN);
        const k = runner.kubernetes as Obj;
        assert.equal(k.privileged, false);
        assert.equal(k.allow_privilege_escalation, false);
        assert.equal(k.namespace, "ci");
        assert.deepEqual((k.pod_security_context as Obj).run_as_non_root, true);
        for (const section of ["init_permissions", "build", "helper", "service"]) {
            const ctx = k[`${section}_container_security_context`] as Obj;
            assert.equal(ctx.run_as_non_root, true, section);
            assert.deepEqual((ctx.capabilities as Obj).drop, ["ALL"], section);
        }
        // The patch needs the flag, and from the flags table, which job variables cannot override.
        assert.deepEqual({ ...(runner.feature_flags as Obj) }, { FF_USE_ADVANCED_POD_SPEC_CONFIGURATION: true });
        assert.deepEqual(runner.environment, ["BUILDAH_ISOLATION=chroot", "STORAGE_DRIVER=vfs"]);
        const patch = ((k.pod_spec as Obj[])[0] as Obj).patch as string;
        assert.match(patch, /hostUsers: false/);
        assert.match(patch, /type: RuntimeDefault/);
    });

    it("renders the Podman host runner against the rootless socket, not the seed's runtime = podman", () => {
        const doc = parseToml(renderPodmanRunnerConfig({ ...base, podmanUid: 1001 })) as Obj;
        const runner = (doc.runners as Obj[])[0] as Obj;
        const docker = runner.docker as Obj;
        assert.equal(docker.privileged, false);
        assert.equal(docker.host, "unix:///run/user/1001/podman/podman.sock");
        assert.equal(docker.runtime, undefined);
        assert.deepEqual(docker.cap_drop, ["ALL"]);
    });

    it("escapes values so a name cannot inject TOML", () => {
        const doc = parseToml(renderPodmanRunnerConfig({ ...base, name: 'x"\nprivileged = true' })) as Obj;
        const runner = (doc.runners as Obj[])[0] as Obj;
        assert.equal(runner.name, 'x"\nprivileged = true');
        assert.equal((runner.docker as Obj).privileged, false);
    });

    it("refuses registration tokens, latest images and bad URLs without echoing the token", () => {
        assert.throws(
            () => renderPodmanRunnerConfig({ ...base, token: "GR1348941abcdef" }),
            /token: not a runner authentication token/,
        );
        assert.throws(
            () => renderPodmanRunnerConfig({ ...base, image: "alpine:latest" }),
            /image: "alpine:latest" must be pinned/,
        );
        assert.throws(() => renderPodmanRunnerConfig({ ...base, image: "alpine" }), /must be pinned/);
        assert.throws(() => renderPodmanRunnerConfig({ ...base, url: "gitlab" }), /url: "gitlab" is not an http/);
        assert.throws(
            () => renderPodmanRunnerConfig({ ...base, token: "secret-registration-token" }),
            (error: unknown) => {
                assert.ok(error instanceof Error, String(error));
                assert.match(error.message, /token: not a runner authentication token/);
                assert.doesNotMatch(String(error), /secret-registration-token/);
                return true;
            },
        );
    });
});

describe("GitLabRunner", () => {
    beforeEach(reset);

    it("puts config.toml in an auto-named Secret and grants only namespaced executor rights", async () => {
        const runner = new GitLabRunner("runner", {
            namespace: "ci",
            gitlabUrl: "https://gitlab.example.com",
            runnerToken: TOKEN,
            concurrent: 3,
        });
        await settle();
        assert.equal(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").length, 0);
        assert.equal(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").length, 0);
        const role = byName("kubernetes:rbac.authorization.k8s.io/v1:Role", "runner");
        // Written out: a change to what the executor may do must show up here, on purpose.
        assert.deepEqual(role.inputs.rules, [
            { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "create", "delete"] },
            { apiGroups: [""], resources: ["pods/exec", "pods/attach"], verbs: ["get", "create", "patch", "delete"] },
            { apiGroups: [""], resources: ["pods/log"], verbs: ["get", "list"] },
            { apiGroups: [""], resources: ["secrets", "configmaps"], verbs: ["get", "create", "update", "delete"] },
            { apiGroups: [""], resources: ["services"], verbs: ["get", "create", "delete"] },
            { apiGroups: [""], resources: ["events"], verbs: ["list", "watch"] },
            { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get"] },
        ]);
        for (const rule of role.inputs.rules as Obj[]) {
            assert.ok(!(rule.verbs as string[]).includes("*"));
            assert.ok(!(rule.resources as string[]).includes("*"));
            assert.deepEqual(rule.apiGroups, [""], "core API group only");
        }
        const secret = byName("kubernetes:core/v1:Secret", "runner-config");
        assert.equal((secret.inputs.metadata as Obj).name, undefined, "auto-named so a change rolls the runner");
        assert.ok(
            isSecretValue(rawAt(secret, "stringData")) || isSecretValue(rawAt(secret, "stringData", "config.toml")),
        );
        const toml = (secret.inputs.stringData as Obj)["config.toml"] as string;
        const doc = parseToml(toml) as Obj;
        assert.equal(doc.concurrent, 3);
        const runnerConfig = (doc.runners as Obj[])[0] as Obj;
        assert.equal(runnerConfig.url, "https://gitlab.example.com");
        assert.equal(runnerConfig.executor, "kubernetes");
        assert.equal((runnerConfig.kubernetes as Obj).privileged, false);
        assert.equal((runnerConfig.kubernetes as Obj).namespace, "ci");
        assert.equal(await isSecretOutput(runner.configToml), true);

        const deployment = byName("kubernetes:apps/v1:Deployment", "runner");
        const pod = ((deployment.inputs.spec as Obj).template as Obj).spec as Obj;
        assert.equal(pod.serviceAccountName, "runner-mock");
        const container = (pod.containers as Obj[])[0] as Obj;
        assert.equal((container.securityContext as Obj).privileged, false);
        assert.deepEqual(((container.securityContext as Obj).capabilities as Obj).drop, ["ALL"]);
        assert.deepEqual((pod.volumes as Obj[])[0], {
            name: "config",
            secret: { secretName: "runner-config-mock", defaultMode: 0o400 },
        });
    });

    it("wants all four cache settings or none, and registers nothing otherwise", async () => {
        assert.throws(
            () =>
                new GitLabRunner("r", {
                    namespace: "ci",
                    gitlabUrl: "https://g",
                    runnerToken: TOKEN,
                    cacheS3ServerAddress: "s3:9000",
                }),
            /go together/,
        );
        await settle();
        assert.deepEqual(registered, []);
    });
});

describe("PodmanRunnerHost", () => {
    beforeEach(reset);

    it("sends config.toml on stdin over SSH with the key as a secret", async () => {
        const host = new PodmanRunnerHost("vm", {
            host: "10.0.0.5",
            user: "runner",
            privateKey: fakePrivateKey("fake"),
            gitlabUrl: "https://gitlab.example.com",
            runnerToken: TOKEN,
        });
        await settle();
        const cmd = byName("command:remote:Command", "vm-config");
        const create = cmd.inputs.create as string;
        assert.equal(typeof create, "string");
        assert.equal(cmd.inputs.update, create, "an update installs the same way");
        assert.doesNotMatch(create, /glrt-/);
        // What the host's shell does with it: the config from stdin lands in ~/.gitlab-runner, mode
        // 0600, and the delete command removes it again.
        const home = mkdtempSync(join(tmpdir(), "runner-home-"));
        try {
            const sh = (script: string, input = ""): string =>
                execFileSync("sh", ["-c", script], { input, encoding: "utf8", env: { ...process.env, HOME: home } });
            const installed = join(home, ".gitlab-runner", "config.toml");
            assert.match(sh(create, cmd.inputs.stdin as string), /installed: /);
            assert.equal(readFileSync(installed, "utf8"), cmd.inputs.stdin);
            assert.equal((statSync(installed).mode & 0o777).toString(8), "600");
            sh(cmd.inputs.delete as string);
            assert.equal(existsSync(installed), false, "delete removes the installed config");
        } finally {
            rmSync(home, { recursive: true, force: true });
        }
        const docker = ((parseToml(cmd.inputs.stdin as string).runners as Obj[])[0] as Obj).docker as Obj;
        assert.equal(docker.privileged, false);
        assert.ok(isSecretValue(rawAt(cmd, "stdin")), "stdin carries the token: secret");
        const connection = rawAt(cmd, "connection") as Obj;
        assert.ok(isSecretValue(connection.privateKey) || isSecretValue(connection), "private key secret");
        assert.equal(await isSecretOutput(host.configToml), true);
        assert.match(await valueOf(host.configToml), /unix:\/\/\/run\/user\/1000\/podman\/podman.sock/);
    });

    it("installs the file atomically with mode 0600 and is idempotent (real shell)", () => {
        const dir = mkdtempSync(join(tmpdir(), "runner-host-"));
        try {
            const target = join(dir, "etc", "config.toml");
            const run = (input: string): string =>
                execFileSync("sh", ["-c", installFileScript(target)], { input, encoding: "utf8" });
            assert.match(run("a = 1\n"), /installed/);
            assert.equal((statSync(target).mode & 0o777).toString(8), "600");
            assert.match(run("a = 1\n"), /unchanged/);
            assert.match(run("a = 2\n"), /installed/);
            assert.equal(readFileSync(target, "utf8"), "a = 2\n");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
