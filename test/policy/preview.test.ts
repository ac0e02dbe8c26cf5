/**
 * The policy pack on the real engine: `pulumi preview --policy-pack policy` of the project's local,
 * staging and production stacks passes, and a fixture program that misuses the components fails
 * with exactly the expected policies. Needs the Pulumi CLI and plugins on PATH (scripts/test sources
 * scripts/toolchain/env.sh); without them these tests FAIL, they do not skip.
 *
 * Self-contained: the project is copied into a temp dir (its node_modules symlinked), state goes to a
 * file:// backend there, the stacks' secrets are re-encrypted there under a test passphrase, and the
 * Kubernetes provider points at a kubeconfig whose API server does not answer (preview only reads
 * the program's inputs, which is what the policies judge). The repository's files are not touched.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";

import { PACK_NAME, policies } from "../../policy/src/pack";
import { EXPECTED_VIOLATIONS } from "./fixture/expected";
import { OFFLINE_KUBECONFIG, secureKeys, stripSecure } from "../integration/engine";

const ROOT = resolve(__dirname, "../..");
const POLICY_DIR = join(ROOT, "policy");
const STACKS = ["local", "staging", "production"] as const;
const PASSPHRASE = "policy-preview-test";
/** Demo value for the stacks' registryPassword secret in the temp copy. */
const DEMO_PASSWORD = "preview-demo-password";
const PREVIEW_TIMEOUT_MS = 15 * 60 * 1000;

function onPath(binary: string, path: string | undefined): string | undefined {
    for (const dir of (path ?? "").split(delimiter)) {
        if (dir !== "" && existsSync(join(dir, binary))) {
            return join(dir, binary);
        }
    }
    return undefined;
}

interface Run {
    readonly code: number | null;
    readonly output: string;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
    return new Promise((resolveRun, reject) => {
        const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        const timer = setTimeout(() => child.kill("SIGTERM"), PREVIEW_TIMEOUT_MS);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolveRun({ code, output });
        });
    });
}

interface PolicyHit {
    readonly policy: string;
    readonly level: string;
    readonly message: string;
}

const POLICY_NAMES = new Set(policies.map((p) => p.name));

/**
 * Policy violations from the engine events `preview --json` streams (one JSON object per line with
 * PULUMI_ENABLE_STREAMING_JSON_PREVIEW), or from the text output as a fallback.
 */
function policyHits(output: string): PolicyHit[] {
    const hits: PolicyHit[] = [];
    for (const line of output.split("\n")) {
        if (!line.startsWith("{")) {
            continue;
        }
        let event: {
            policyEvent?: { policyName?: string; enforcementLevel?: string; message?: string; policyPackName?: string };
        };
        try {
            event = JSON.parse(line) as typeof event;
        } catch {
            continue;
        }
        const p = event.policyEvent;
        if (p?.policyName !== undefined && p.policyPackName === PACK_NAME) {
            hits.push({ policy: p.policyName, level: p.enforcementLevel ?? "", message: p.message ?? "" });
        }
    }
    if (hits.length === 0) {
        const line = new RegExp(`\\[(mandatory|advisory)\\]\\s+${PACK_NAME}\\S*\\s+v\\S+\\s+([a-z0-9-]+)`, "g");
        for (const match of output.matchAll(line)) {
            hits.push({ policy: match[2] ?? "", level: match[1] ?? "", message: "" });
        }
    }
    return hits;
}

describe("pulumi preview --policy-pack policy", { timeout: 4 * PREVIEW_TIMEOUT_MS }, () => {
    let work = "";
    let env: NodeJS.ProcessEnv = {};
    let pulumi = "";
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
        for (const entry of ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", "components", "config"]) {
            await cp(join(ROOT, entry), join(project, entry), { recursive: true });
        }
        await cp(join(ROOT, "test", "policy", "fixture"), join(project, "test", "policy", "fixture"), {
            recursive: true,
        });
        await symlink(join(ROOT, "node_modules"), join(project, "node_modules"), "dir");
        // Secrets re-encrypted under the test passphrase: the stacks' own passphrases are not needed.
        const secretsOf = new Map<string, string[]>();
        for (const stack of STACKS) {
            const text = await readFile(join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
            secretsOf.set(stack, secureKeys(text));
            const stripped = stripSecure(text);
            await writeFile(join(project, `Pulumi.${stack}.yaml`), stripped);
        }
        await mkdir(join(work, "state"));
        const kubeconfig = join(work, "kubeconfig");
        await writeFile(kubeconfig, OFFLINE_KUBECONFIG);
        // scripts/toolchain/bootstrap installs the policy-pack launcher next to pulumi.
        assert.ok(
            onPath("pulumi-analyzer-policy", process.env.PATH),
            "pulumi-analyzer-policy is not on PATH: run bash scripts/toolchain/bootstrap",
        );
        env = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${join(work, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
            PULUMI_CONFIG_PASSPHRASE_FILE: "",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_SKIP_CONFIRMATIONS: "true",
            PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true",
            KUBECONFIG: kubeconfig,
            GITHUB_TOKEN: "",
            CI: "true",
        };
        for (const stack of STACKS) {
            const commands = [
                ["stack", "init", stack, "--non-interactive"],
                ...(secretsOf.get(stack) ?? []).map((key) => [
                    "config",
                    "set",
                    "--secret",
                    "--stack",
                    stack,
                    key,
                    `${DEMO_PASSWORD}-${key.replace(/^.*:/, "")}-0123456789abcdef0123456789`,
                ]),
            ];
            if (stack !== "local") {
                // The github and command provider plugins cannot be built here (the Go module proxy
                // refuses them: scripts/toolchain/versions.env). GitHub is left out and the blue-green
                // gate runs in-process; everything else of the stack is previewed as committed.
                commands.push(
                    ["config", "set", "--path", "--stack", stack, "cicd-platform:github.enabled", "false"],
                    ["config", "set", "--path", "--stack", stack, "cicd-platform:blueGreen.gateExecutor", "dynamic"],
                );
            }
            for (const args of commands) {
                const result = await run(pulumi, args, project, env);
                assert.equal(result.code, 0, `pulumi ${args.join(" ")}:\n${result.output}`);
            }
        }
        const fixture = join(project, "test", "policy", "fixture");
        const init = await run(pulumi, ["stack", "init", "production", "--non-interactive"], fixture, env);
        assert.equal(init.code, 0, `fixture stack init:\n${init.output}`);
    }

    after(async () => {
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

    for (const stack of STACKS) {
        it(`passes on the ${stack} stack with policy/config/${stack}.json`, async () => {
            ready();
            const { result, hits } = await preview(join(work, "project"), stack, `${stack}.json`);
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
        });
    }

    it("fails on the misusing fixture with exactly the expected policies, each mandatory", async () => {
        ready();
        const { result, hits } = await preview(
            join(work, "project", "test", "policy", "fixture"),
            "production",
            "production.json",
        );
        assert.notEqual(result.code, 0, `the fixture's preview passed:\n${result.output}`);
        const found = [...new Set(hits.map((h) => h.policy))].sort();
        assert.deepEqual(found, Object.keys(EXPECTED_VIOLATIONS).sort(), `policies violated:\n${result.output}`);
        for (const hit of hits) {
            assert.equal(hit.level, "mandatory", `${hit.policy} reported as ${hit.level}`);
            assert.doesNotMatch(hit.message, /glrt-|fixture-password-not-real/, `${hit.policy} echoes a credential`);
        }
    });
});
