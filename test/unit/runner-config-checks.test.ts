/**
 * The runners' config checks on the committed staging config: a registration token refused without
 * being quoted, host tokens and keys matched to hosts, every runner problem reported at once with its
 * key path, and quotas that must hold the concurrent jobs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { parsePlainConfig } from "../../config/schema";
import { runnerSecretProblems } from "../../config/runner-secrets";
import { committedStackConfig, fakePrivateKeyBlock, fakeRunnerToken } from "../support/stack-secrets";

type Obj = Record<string, unknown>;

describe("the runners' config checks", () => {
    const stagingPlain = (): Record<string, unknown> => {
        const { values, secrets } = committedStackConfig("staging");
        return Object.fromEntries(Object.entries(values).filter(([key]) => !secrets.includes(key)));
    };
    const parsed = (values: Record<string, unknown>) => {
        const result = parsePlainConfig(values);
        assert.ok(result.ok, JSON.stringify(result.ok ? [] : result.problems));
        return result.config;
    };

    it("refuses a registration token and says why, without quoting it", () => {
        const registration = ["GR1348941", "aBcDeFgHiJkLmNoPqRsT"].join("");
        const problems = runnerSecretProblems(parsed(stagingPlain()), {
            runnerToken: registration,
            podmanRunnerTokens: JSON.stringify({ "build-staging-1": registration }),
        });
        assert.deepEqual(
            problems.map((p) => p.path),
            ["runnerToken", "podmanRunnerTokens.build-staging-1", "podmanRunnerTokens.build-staging-1"],
        );
        assert.match(
            problems[0]?.message ?? "",
            /registration token \(GR1348941…\), which GitLab deprecated in 16\.0 and removes in 18\.0/,
        );
        assert.match(problems[0]?.message ?? "", /Settings > CI\/CD > Runners/);
        assert.match(
            problems[2]?.message ?? "",
            /holds the same token as runnerToken: every runner needs a token of its own/,
        );
        assert.ok(problems.every((p) => !p.message.includes(registration)));
    });

    it("names the host whose token is missing, a token for no host, and a key that is no key", () => {
        const problems = runnerSecretProblems(parsed(stagingPlain()), {
            runnerToken: fakeRunnerToken("k"),
            podmanRunnerTokens: JSON.stringify({ "build-9": fakeRunnerToken("9") }),
            podmanSshPrivateKey: "ssh-ed25519 AAAA",
        });
        assert.deepEqual(problems, [
            {
                path: "podmanRunnerTokens.build-staging-1",
                message:
                    "is missing: runners.podmanHosts[0] needs its own runner authentication token (pulumi config set --secret --path 'podmanRunnerTokens.build-staging-1' glrt-…)",
            },
            {
                path: "podmanRunnerTokens.build-9",
                message: "names no host of runners.podmanHosts (hosts: build-staging-1)",
            },
            {
                path: "podmanSshPrivateKey",
                message:
                    "is not an OpenSSH or PEM private key (the whole file, from its BEGIN line to its END line): cat ~/.ssh/id_ed25519 | pulumi config set --secret podmanSshPrivateKey",
            },
        ]);
        assert.deepEqual(
            runnerSecretProblems(parsed(stagingPlain()), {
                runnerToken: fakeRunnerToken("k"),
                podmanRunnerTokens: "glrt-not-json",
                podmanSshPrivateKey: fakePrivateKeyBlock("body"),
            }).map((p) => p.path),
            ["podmanRunnerTokens"],
        );
    });

    it("reports every runner problem of the plain config at once, with its key path", () => {
        const values = stagingPlain();
        const runners = structuredClone(values.runners) as { kubernetes: Obj; podmanHosts: Obj[]; gitlabUrl?: string };
        delete runners.gitlabUrl;
        runners.kubernetes.tags = ["production", "kubernetes"];
        runners.kubernetes.namespace = "shop-staging";
        runners.kubernetes.quota = { pods: 4 };
        runners.podmanHosts.push({ ...runners.podmanHosts[0], hostKey: "AAAA", tags: ["podman"] });
        const result = parsePlainConfig({ ...values, runners });
        assert.deepEqual(result.ok ? [] : result.problems, [
            {
                path: "runners.podmanHosts[1].hostKey",
                message:
                    "is not an SSH public host key line (e.g. ssh-ed25519 AAAA…, from ssh-keyscan or /etc/ssh/*.pub)",
            },
            {
                path: "runners.gitlabUrl",
                message:
                    "is required when a runner is configured (runners.kubernetes.enabled, runners.build.enabled or runners.podmanHosts)",
            },
            {
                path: "runners.kubernetes.tags",
                message: `must not include "production": that is another environment's tag, and its jobs would run here`,
            },
            {
                path: "runners.kubernetes.namespace",
                message: `"shop-staging" is already namespaces.apps; job pods get a namespace of their own`,
            },
            {
                path: "runners.kubernetes.namespace",
                message: `"shop-staging" is not in privateRegistry.pushNamespaces, so its jobs could not push to the platform registry`,
            },
            {
                path: "runners.kubernetes.quota.pods",
                message: "4 leaves no room for 4 concurrent jobs and the runner manager; make it at least 5",
            },
            { path: "runners.podmanHosts[1].name", message: `"build-staging-1" is used twice` },
            {
                path: "runners.podmanHosts[1].tags",
                message: `must include "staging", so this environment's jobs pick this runner and no other environment's (got [podman])`,
            },
        ]);
    });

    it("refuses a quota that cannot hold the concurrent jobs at their limits, and a job request above its limit", () => {
        const values = stagingPlain();
        const runners = structuredClone(values.runners) as { kubernetes: Obj };
        // Staging runs 4 jobs: 4 × (2 + 500m) + 500m of CPU and 4 × (4Gi + 256Mi) + 256Mi of memory.
        runners.kubernetes.quota = { cpu: "10", memory: "17Gi", pods: 12 };
        let result = parsePlainConfig({ ...values, runners });
        assert.deepEqual(result.ok ? [] : result.problems, [
            {
                path: "runners.kubernetes.quota.cpu",
                message:
                    '"10" cannot hold 4 concurrent jobs at their limits (build 2 + helper 500m each) and the runner manager (500m); make it at least 10500m, or lower concurrent or jobResources',
            },
            {
                path: "runners.kubernetes.quota.memory",
                message:
                    '"17Gi" cannot hold 4 concurrent jobs at their limits (build 4Gi + helper 256Mi each) and the runner manager (256Mi); make it at least 17664Mi, or lower concurrent or jobResources',
            },
        ]);
        // Exactly enough passes; lower job limits make room.
        runners.kubernetes.quota = { cpu: "10500m", memory: "17664Mi", pods: 12 };
        assert.ok(parsePlainConfig({ ...values, runners }).ok);
        runners.kubernetes.quota = { cpu: "10", memory: "17Gi", pods: 12 };
        runners.kubernetes.jobResources = { cpuLimit: "1", memoryLimit: "2Gi" };
        assert.ok(parsePlainConfig({ ...values, runners }).ok);

        runners.kubernetes.jobResources = { cpuLimit: "200m", memoryLimit: "2Gi" };
        result = parsePlainConfig({ ...values, runners });
        assert.deepEqual(result.ok ? [] : result.problems, [
            {
                path: "runners.kubernetes.jobResources.cpuLimit",
                message: 'cpuRequest "250m" (the default) exceeds cpuLimit "200m": raise cpuLimit or lower cpuRequest',
            },
        ]);
    });
});
