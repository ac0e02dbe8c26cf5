/**
 * With `gitlab.enabled` each runner of a stack is registered as a `gitlab.UserRunner` whose token
 * goes straight into its runner (the Kubernetes runners' config Secret, the Podman host's
 * config.toml), under Pulumi mocks: type, tags, protected access in production, locked, the gitlab
 * provider, a rotation that replaces one registration, and the token only ever as a secret.
 */
import { byName, isSecretValue, ofType, rawAt, reset, runProgram, settle } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { parse as parseToml } from "smol-toml";

import { GITLAB_TOKEN_VALUE, gitlabStackConfig } from "./gitlab-stack-fixture";
import { committedStackConfig } from "../support/stack-secrets";

type Obj = Record<string, unknown>;
/** The token the mocked UserRunner hands out, spelled apart like the other tests' stand-in tokens. */
const mockToken = (runner: string, round: string): string => ["glrt", "mock", runner, round].join("-");
const RUNNER = "gitlab:index/userRunner:UserRunner";

function tomlToken(secretName: string): unknown {
    const secret = byName("kubernetes:core/v1:Secret", secretName);
    const toml = parseToml((secret.inputs.stringData as Obj)["config.toml"] as string) as Obj;
    return ((toml.runners as Obj[])[0] as Obj).token;
}

function hostToken(host: string): unknown {
    const install = byName("command:remote:Command", `podman-${host}-config`);
    return (((parseToml(install.inputs.stdin as string) as Obj).runners as Obj[])[0] as Obj).token;
}

describe("the stacks' runners with the GitLab integration", { concurrency: 1 }, () => {
    beforeEach(async () => {
        await settle();
        reset();
    });

    it("staging: one UserRunner per runner with its tags, unprotected, locked to the project; its token in the runner's config", async () => {
        const { values, secrets } = gitlabStackConfig("staging");
        runProgram(values, secrets);
        await settle();
        const runners = ofType(RUNNER);
        assert.deepEqual(runners.map((r) => r.name).sort(), [
            "build-runner",
            "gitlab-runner",
            "podman-build-staging-1",
        ]);
        const general = byName(RUNNER, "gitlab-runner").inputs;
        assert.deepEqual(general, {
            runnerType: "project_type",
            projectId: 42,
            description: "cicd-platform staging kubernetes",
            maintenanceNote: "Managed by the cicd-platform staging stack; rotation initial",
            tagLists: ["staging", "kubernetes", "rootless-buildah"],
            untagged: false,
            accessLevel: "not_protected",
            locked: true,
            paused: false,
        });
        assert.deepEqual(byName(RUNNER, "podman-build-staging-1").inputs.tagLists, ["staging", "podman"]);
        for (const runner of runners) {
            assert.match(
                runner.provider ?? "",
                /::pulumi:providers:gitlab::gitlab::/,
                `${runner.name} on the stack's provider`,
            );
        }
        assert.equal(tomlToken("gitlab-runner-config"), mockToken("gitlab-runner", "initial"));
        assert.equal(tomlToken("build-runner-config"), mockToken("build-runner", "initial"));
        assert.equal(hostToken("build-staging-1"), mockToken("podman-build-staging-1", "initial"));
        assert.ok(isSecretValue(rawAt(byName("kubernetes:core/v1:Secret", "gitlab-runner-config"), "stringData")));
        assert.ok(isSecretValue(rawAt(byName("command:remote:Command", "podman-build-staging-1-config"), "stdin")));

        const provider = byName("pulumi:providers:gitlab", "gitlab");
        assert.equal(provider.inputs.baseUrl, "https://gitlab.example.com/api/v4/");
        assert.equal(provider.inputs.token, GITLAB_TOKEN_VALUE);
        assert.ok(isSecretValue(rawAt(provider, "token")), "the provider's token is secret");
    });

    it("production: its runners take only protected branches' jobs", async () => {
        const { values, secrets } = gitlabStackConfig("production");
        runProgram(values, secrets);
        await settle();
        const runners = ofType(RUNNER);
        assert.equal(runners.length, 3);
        for (const runner of runners) {
            assert.equal(runner.inputs.accessLevel, "ref_protected", runner.name);
            assert.ok((runner.inputs.tagLists as string[]).includes("production"), runner.name);
            assert.ok(!(runner.inputs.tagLists as string[]).includes("staging"), runner.name);
        }
    });

    it("a rotation re-registers that runner alone, and its new token reaches its config in the same program run", async () => {
        const { values, secrets } = gitlabStackConfig("staging", {
            runners: { type: "project_type", projectId: 42, rotations: { build: "2026-12-07" } },
        });
        runProgram(values, secrets);
        await settle();
        assert.equal(
            byName(RUNNER, "build-runner").inputs.maintenanceNote,
            "Managed by the cicd-platform staging stack; rotation 2026-12-07",
        );
        assert.equal(tomlToken("build-runner-config"), mockToken("build-runner", "2026-12-07"));
        assert.equal(tomlToken("gitlab-runner-config"), mockToken("gitlab-runner", "initial"));
    });

    it("group runners name their group and are not locked", async () => {
        const { values, secrets } = gitlabStackConfig("staging", { runners: { type: "group_type", groupId: 7 } });
        runProgram(values, secrets);
        await settle();
        const runner = byName(RUNNER, "gitlab-runner").inputs;
        assert.equal(runner.runnerType, "group_type");
        assert.equal(runner.groupId, 7);
        assert.equal(runner.projectId, undefined);
        assert.equal(runner.locked, false);
    });

    it("without the integration no UserRunner exists and the operator's tokens are used", async () => {
        const { values, secrets } = committedStackConfig("staging");
        runProgram(values, secrets);
        await settle();
        assert.equal(ofType(RUNNER).length, 0);
        assert.equal(ofType("pulumi:providers:gitlab").length, 0);
        assert.equal(tomlToken("gitlab-runner-config"), values.runnerToken);
    });
});
