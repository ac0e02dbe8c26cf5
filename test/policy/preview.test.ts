/**
 * The policy pack on the real engine: `pulumi preview --policy-pack policy` of the project's local,
 * staging and production stacks passes, and a fixture program that misuses the components fails
 * with exactly the expected policies. Needs the Pulumi CLI and plugins on PATH (scripts/test sources
 * scripts/toolchain/env.sh); without them these tests FAIL, they do not skip.
 *
 * Self-contained: the project is copied into a temp dir (its node_modules symlinked), state goes to a
 * file:// backend there, the stacks' secrets are re-encrypted there under a test passphrase (made-up
 * values, also for the runner tokens the operator sets), and the Kubernetes provider points at this
 * file's own local control plane, so every object goes through the API server's dry run (schema,
 * defaulting, admission) as a real preview's would. GitHub is on: the github plugin's previews of
 * new resources need no API call beyond the provider's owner lookup, answered by a local stand-in.
 * The repository's files are not touched.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";

import { policies } from "../../policy/src/pack";
import { EXPECTED_VIOLATIONS } from "./fixture/expected";
import { EXPECTED_VIOLATIONS as GITHUB_VARIANT_VIOLATIONS } from "./github-variant/expected";
import { isolatedEnv, stripSecure } from "../support/engine";
import { fileBackendEnv, filesUnder, TRANSPILE_ONLY } from "../support/file-backend";
import { type GitHubApiStandIn, startGitHubApiStandIn } from "../support/github-api-standin";
import { seccompProfileCrdCommands } from "../support/seccomp-profile-crd";
import { plainConfig, stackDemoSecrets, stackInitCommands } from "../support/stack-project";
import { parsePlainConfig } from "../../config/schema";
import { resolveTenants } from "../../config/sections/tenants";
import {
    countBy,
    dryRuns,
    onPath,
    type PolicyHit,
    PREVIEW_TIMEOUT_MS,
    policyHits,
    previewSteps,
    resourceOf,
    run,
    type Run,
    typeOf,
} from "./preview-output";

const ROOT = resolve(__dirname, "../..");
const POLICY_DIR = join(ROOT, "policy");
const STACKS = ["local", "staging", "production"] as const;
const PASSPHRASE = "policy-preview-test";
/** Marks every made-up secret value of the temp copy, so output and state can be searched for it. */
const DEMO_PASSWORD = "preview-demo";
/** This file's control plane: ports no other test file uses. */
const CONTROL_PLANE = { apiserver: 27443, etcd: 23379 };
/** What the command plugin runs in each stack: the Podman runner hosts' remote commands and the gate. */
const COMMAND_PARTS = "Podman runner hosts and the blue-green gate on the command plugin";
const POLICY_NAMES = new Set(policies.map((p) => p.name));
/** The GitHub resources each stack's preview creates: type token → count. */
const GITHUB_CREATES: Record<string, Record<string, number>> = {
    staging: {
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": 2,
        "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": 5,
        "github:index/repositoryEnvironment:RepositoryEnvironment": 2,
        "pulumi:providers:github": 1,
    },
    production: {
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": 2,
        "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": 5,
        "github:index/branchProtection:BranchProtection": 1,
        "github:index/repositoryEnvironment:RepositoryEnvironment": 2,
        "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy": 1,
        "pulumi:providers:github": 1,
    },
};

describe("pulumi preview --policy-pack policy", { timeout: 4 * PREVIEW_TIMEOUT_MS }, () => {
    let work = "";
    let env: NodeJS.ProcessEnv = {};
    let pulumi = "";
    /** isolatedEnv's directory and environment: the control plane's state, ports and kubeconfig. */
    let controlPlaneDir = "";
    let controlPlaneEnv: NodeJS.ProcessEnv = {};
    let github: GitHubApiStandIn | undefined;
    /** Every made-up secret value, per stack. */
    const secretValues = new Map<string, string[]>();
    /** The command resources each stack's preview creates: type token → count. */
    const commandCreates = new Map<string, Record<string, number>>();
    /** A setup failure fails every test below (with this error) instead of cancelling them. */
    let setupError: unknown;

    before(async () => {
        try {
            await setup();
        } catch (error) {
            setupError = error;
        }
    });

    function ready(): void {
        if (setupError !== undefined) {
            throw setupError instanceof Error ? setupError : new Error(JSON.stringify(setupError));
        }
    }

    async function setup(): Promise<void> {
        const found = onPath("pulumi", process.env.PATH);
        if (found === undefined) {
            throw new Error(
                "pulumi is not on PATH: build the toolchain (bash scripts/toolchain/bootstrap) and `source scripts/toolchain/env.sh` (npm test does both)",
            );
        }
        pulumi = found;
        if (!existsSync(join(POLICY_DIR, "node_modules", "@pulumi", "policy"))) {
            throw new Error("the policy pack's dependencies are missing: npm ci --prefix policy");
        }
        work = await mkdtemp(join(tmpdir(), "cicd-policy-preview-"));
        const project = join(work, "project");
        await mkdir(project);
        const entries = ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", "tsconfig.program.json"];
        for (const entry of [...entries, "components", "config", "platform"]) {
            await cp(join(ROOT, entry), join(project, entry), { recursive: true });
        }
        for (const program of ["fixture", "github-variant"]) {
            await cp(join(ROOT, "test", "policy", program), join(project, "test", "policy", program), {
                recursive: true,
            });
        }
        await symlink(join(ROOT, "node_modules"), join(project, "node_modules"), "dir");
        // Secrets re-encrypted under the test passphrase: the stacks' own passphrases are not needed.
        const secretsOf = new Map<string, Record<string, string>>();
        const namespacesOf = new Map<string, string[]>();
        const buildNamespaces = new Set<string>();
        for (const stack of STACKS) {
            const text = await readFile(join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
            const stripped = stripSecure(text);
            await writeFile(join(project, `Pulumi.${stack}.yaml`), stripped);
            const plain = plainConfig(stripped);
            const runners = plain.runners as { podmanHosts?: unknown[] } | undefined;
            const blueGreen = plain.blueGreen as { gateExecutor?: string } | undefined;
            commandCreates.set(stack, {
                ...((runners?.podmanHosts?.length ?? 0) > 0
                    ? { "command:remote:Command": 2 * (runners?.podmanHosts?.length ?? 0) }
                    : {}),
                ...(blueGreen !== undefined && blueGreen.gateExecutor !== "dynamic"
                    ? { "command:local:Command": 1 }
                    : {}),
            });
            const secrets = stackDemoSecrets(text, stripped, DEMO_PASSWORD);
            secretsOf.set(stack, secrets);
            secretValues.set(stack, Object.values(secrets));
            const parsed = parsePlainConfig(plain);
            assert.ok(parsed.ok, `${stack}: ${JSON.stringify(parsed)}`);
            const { namespaces, privateRegistry, runners: runnerConfig, tenants, environment } = parsed.config;
            // A tenant may adopt the apps namespace: each namespace once.
            namespacesOf.set(stack, [
                ...new Set([
                    namespaces.apps,
                    ...(privateRegistry.enabled ? [privateRegistry.namespace] : []),
                    ...(runnerConfig.kubernetes.enabled ? [runnerConfig.kubernetes.namespace] : []),
                    ...resolveTenants(tenants, environment).map((tenant) => tenant.namespace),
                ]),
            ]);
            if (runnerConfig.build.enabled) {
                buildNamespaces.add(runnerConfig.build.namespace);
            }
        }
        // scripts/toolchain/bootstrap installs the policy-pack launcher next to pulumi.
        assert.ok(
            onPath("pulumi-analyzer-policy", process.env.PATH),
            "pulumi-analyzer-policy is not on PATH: run bash scripts/toolchain/bootstrap",
        );
        const isolated = await isolatedEnv(CONTROL_PLANE);
        controlPlaneDir = isolated.dir;
        controlPlaneEnv = isolated.env;
        const started = await run("bash", [join(ROOT, "scripts", "control-plane", "cp"), "start"], ROOT, isolated.env);
        assert.equal(started.code, 0, `control plane start:\n${started.output}`);
        github = await startGitHubApiStandIn("example-org");
        env = {
            ...process.env,
            PATH: isolated.env.PATH,
            PULUMI_HOME: isolated.env.PULUMI_HOME,
            ...fileBackendEnv(join(work, "state"), PASSPHRASE),
            ...TRANSPILE_ONLY,
            PULUMI_CONFIG_PASSPHRASE_FILE: "",
            PULUMI_SKIP_CONFIRMATIONS: "true",
            PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true",
            KUBECONFIG: isolated.env.KUBECONFIG,
            // Not a stack secret: the provider only needs some token to configure itself.
            GITHUB_TOKEN: "preview-test-token",
            GITHUB_BASE_URL: github.baseUrl,
            CI: "true",
        };
        // The stacks' namespaces exist, as on a cluster the platform already runs on: the API server
        // answers a dry run into a missing namespace with 404, which the provider takes as "nothing
        // to check", so only then does every object meet validation and admission. Labelled like
        // the components label them, so Pod Security judges the pod templates too.
        // The build runner's namespace enforces baseline (its build pods add three capabilities) and
        // warns on restricted; staging and production deliver its seccomp profile through the
        // Security Profiles Operator, whose API the cluster has.
        const namespaceCommands = [
            ...[...new Set([...namespacesOf.values()].flat())].map((ns) => [
                ["create", "namespace", ns],
                ["label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted"],
                ["label", "namespace", ns, "pod-security.kubernetes.io/warn=restricted"],
            ]),
            ...[...buildNamespaces].map((ns) => [
                ["create", "namespace", ns],
                ["label", "namespace", ns, "pod-security.kubernetes.io/enforce=baseline"],
                ["label", "namespace", ns, "pod-security.kubernetes.io/warn=restricted"],
            ]),
            seccompProfileCrdCommands(work),
        ];
        for (const commands of namespaceCommands) {
            for (const args of commands) {
                const result = await run("kubectl", args, ROOT, env);
                assert.equal(result.code, 0, `kubectl ${args.join(" ")}:\n${result.output}`);
            }
        }
        for (const stack of STACKS) {
            const commands = stackInitCommands(stack, secretsOf.get(stack) ?? {});
            for (const args of commands) {
                const result = await run(pulumi, args, project, env);
                assert.equal(result.code, 0, `pulumi ${args.join(" ")}:\n${result.output}`);
            }
        }
        const fixture = join(project, "test", "policy", "fixture");
        const init = await run(pulumi, ["stack", "init", "production", "--non-interactive"], fixture, env);
        assert.equal(init.code, 0, `fixture stack init:\n${init.output}`);
        const variant = join(project, "test", "policy", "github-variant");
        for (const args of [
            ["stack", "init", "production", "--non-interactive"],
            ["config", "set", "--secret", "registryPassword", "--", `${DEMO_PASSWORD}-variant-0123456789abcdef`],
        ]) {
            const result = await run(pulumi, args, variant, env);
            assert.equal(result.code, 0, `github variant ${args.join(" ")}:\n${result.output}`);
        }
    }

    after(async () => {
        await github?.close();
        if (controlPlaneDir !== "") {
            const stopped = await run(
                "bash",
                [join(ROOT, "scripts", "control-plane", "cp"), "stop"],
                ROOT,
                controlPlaneEnv,
            );
            assert.equal(stopped.code, 0, `control plane stop:\n${stopped.output}`);
            await rm(controlPlaneDir, { recursive: true, force: true });
        }
        if (work !== "") {
            await rm(work, { recursive: true, force: true });
        }
    });

    async function preview(
        cwd: string,
        stack: string,
        configFile: string,
    ): Promise<{ result: Run; hits: PolicyHit[] }> {
        const result = await run(
            pulumi,
            [
                "preview",
                "--stack",
                stack,
                "--non-interactive",
                "--policy-pack",
                POLICY_DIR,
                "--policy-pack-config",
                join(POLICY_DIR, "config", configFile),
                "--json",
            ],
            cwd,
            env,
        );
        return { result, hits: policyHits(result.output) };
    }

    const metrics = async (): Promise<Record<string, number>> => {
        const result = await run("kubectl", ["get", "--raw", "/metrics"], ROOT, env);
        assert.equal(result.code, 0, `kubectl get --raw /metrics:\n${result.output.slice(0, 2000)}`);
        return dryRuns(result.output);
    };

    for (const stack of STACKS) {
        const title =
            stack === "local"
                ? `passes on the ${stack} stack with policy/config/${stack}.json`
                : `passes on the ${stack} stack with GitHub on, dry-run by the API server, with policy/config/${stack}.json (${COMMAND_PARTS})`;
        it(title, async (t) => {
            ready();
            const before = await metrics();
            const { result, hits } = await preview(join(work, "project"), stack, `${stack}.json`);
            const after = await metrics();
            const mandatory = hits.filter((h) => h.level === "mandatory");
            assert.deepEqual(
                mandatory.map((h) => `${h.policy}: ${h.message}`),
                [],
                `mandatory violations on ${stack}:\n${result.output}`,
            );
            assert.equal(result.code, 0, `preview of ${stack} failed:\n${result.output}`);
            assert.ok(!result.output.includes(DEMO_PASSWORD), "the registry password appears in the preview output");
            for (const hit of hits) {
                assert.ok(POLICY_NAMES.has(hit.policy), `unknown policy ${hit.policy}`);
                assert.doesNotMatch(hit.message, /can't run policy/, `${hit.policy} could not run during preview`);
            }
            assert.doesNotMatch(result.output, /would violate PodSecurity|unknown field|duplicate field/i);

            // Every Kubernetes object went through the API server's dry run, and none was refused.
            const steps = previewSteps(result.output).filter((step) => step.op === "create");
            const kubernetes = countBy(
                steps.filter((step) => typeOf(step.urn).startsWith("kubernetes:")),
                (step) => resourceOf(typeOf(step.urn)),
            );
            assert.ok(Object.keys(kubernetes).length > 5, `kubernetes creates: ${JSON.stringify(kubernetes)}`);
            const delta = (key: string): number => (after[key] ?? 0) - (before[key] ?? 0);
            for (const [resource, count] of Object.entries(kubernetes)) {
                const accepted = delta(`${resource} 200`) + delta(`${resource} 201`);
                assert.ok(accepted >= count, `${resource}: ${count} to create, ${accepted} dry runs accepted`);
            }
            const refused = Object.keys(after).filter((key) => !/ 20[01]$/.test(key) && delta(key) > 0);
            assert.deepEqual(refused, [], "dry runs the API server did not accept");

            const githubCreates = countBy(
                steps.filter((step) => /^(github:|pulumi:providers:github$)/.test(typeOf(step.urn))),
                (step) => typeOf(step.urn),
            );
            t.diagnostic(`${stack}: GitHub creates ${JSON.stringify(githubCreates)}`);
            const commandSteps = countBy(
                steps.filter((step) => typeOf(step.urn).startsWith("command:")),
                (step) => typeOf(step.urn),
            );
            assert.deepEqual(commandSteps, commandCreates.get(stack), `command resources of ${stack}`);
            assert.deepEqual(githubCreates, GITHUB_CREATES[stack] ?? {}, `GitHub resources of ${stack}`);
            if (stack !== "local") {
                // Previews of new GitHub resources are the provider's Check/Diff: the only call to the
                // API is configuring the provider (its owner); nothing is read or written beyond it.
                const calls = github?.calls ?? [];
                assert.ok(calls.length > 0, "the provider never configured itself against the stand-in");
                for (const call of calls) {
                    assert.match(call, /^GET \/api\/v3\/(orgs|users)\/example-org$/);
                }
            }

            // No made-up secret anywhere: not in the preview's output, not in the backend.
            const values = secretValues.get(stack) ?? [];
            assert.ok(values.length > 0, `${stack} secrets: ${values.length}`);
            for (const value of values) {
                assert.ok(!result.output.includes(value), `a secret of ${stack} appears in the preview output`);
            }
            assert.ok(!result.output.includes(DEMO_PASSWORD), `a secret of ${stack} appears in the preview output`);
            for (const { path: file, text } of filesUnder(join(work, "state"))) {
                assert.ok(!text.includes(DEMO_PASSWORD), `${file} holds a secret of the stack config`);
            }
        });
    }

    /** A fixture program's production preview: it fails with exactly `expected`'s policies, each mandatory. */
    async function exactViolations(
        program: string,
        expected: Record<string, unknown>,
        credential: RegExp,
    ): Promise<{ result: Run; hits: PolicyHit[] }> {
        ready();
        const { result, hits } = await preview(
            join(work, "project", "test", "policy", program),
            "production",
            "production.json",
        );
        assert.notEqual(result.code, 0, `the ${program} preview passed:\n${result.output}`);
        const found = [...new Set(hits.map((h) => h.policy))].sort();
        assert.deepEqual(found, Object.keys(expected).sort(), `policies violated:\n${result.output}`);
        for (const hit of hits) {
            assert.equal(hit.level, "mandatory", `${hit.policy} reported as ${hit.level}`);
            assert.doesNotMatch(hit.message, credential, `${hit.policy} echoes a credential`);
        }
        return { result, hits };
    }

    it("fails on a production stack whose GitHub environment has no reviewers with exactly the reviewer and credential policies", async () => {
        const { result, hits } = await exactViolations(
            "github-variant",
            GITHUB_VARIANT_VIOLATIONS,
            new RegExp(DEMO_PASSWORD),
        );
        assert.ok(
            hits.some((h) => /REGISTRY_PASSWORD .* no reviewers/.test(h.message)),
            hits.map((h) => h.message).join("\n"),
        );
        assert.ok(!result.output.includes(DEMO_PASSWORD), "the variant's registry password appears in the output");
    });

    it("fails on the misusing fixture with exactly the expected policies, each mandatory", async () => {
        await exactViolations("fixture", EXPECTED_VIOLATIONS, /glrt-|fixture-password-not-real/);
    });
});
