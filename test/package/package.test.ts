/**
 * The public API as another team gets it: `npm pack`, install the tarball into a fresh Pulumi
 * program, type-check that program against the shipped declarations and run it under mocks.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

const ROOT = join(__dirname, "..", "..");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

const CONSUMER_PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { CanaryRelease, EnvironmentNamespace, renderUpstream, type CanaryReleaseArgs } from "@cicd-platform/platform";

const ns = new EnvironmentNamespace("team", { namespace: "team-a", environment: "staging" });
const args: CanaryReleaseArgs = {
    namespace: ns.namespaceName,
    image: "registry.example.com/team-a/api",
    stableVersion: "3.2.1",
    canaryVersion: "3.3.0",
    canaryPercent: 50,
    replicas: 2,
};
const release = new CanaryRelease("api", args);
export const weights = release.router.weights;
export const preview: string = renderUpstream({ name: "api", stable: "a:80", canary: "b:80", canaryPercent: 50 });
export const stack = pulumi.getStack();
`;

const RUN_UNDER_MOCKS = `
const pulumi = require("@pulumi/pulumi");
const types = [];
pulumi.runtime.setMocks({
    newResource: (a) => { types.push(a.type + "::" + a.name); return { id: a.name, state: a.inputs }; },
    call: (a) => a.inputs,
}, "consumer", "dev", false);
const program = require("./index.js");
setTimeout(() => program.weights.apply((w) => {
    console.log(JSON.stringify({ types: types.sort(), weights: w, preview: program.preview }));
}), 500);
`;

function run(cmd: string, args: string[], cwd: string): string {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("the npm package", { timeout: 600_000 }, () => {
    let dir = "";
    let tarball = "";

    before(() => {
        dir = mkdtempSync(join(tmpdir(), "cicd-consumer-"));
        const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], ROOT)) as {
            filename: string;
        }[];
        tarball = join(dir, packed[0]?.filename ?? "");
        const ours = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
            dependencies: Record<string, string>;
        };
        writeFileSync(
            join(dir, "package.json"),
            JSON.stringify({
                name: "consumer",
                private: true,
                dependencies: {
                    "@cicd-platform/platform": `file:${tarball}`,
                    "@pulumi/pulumi": ours.dependencies["@pulumi/pulumi"],
                },
            }),
        );
        run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], dir);
        writeFileSync(join(dir, "index.ts"), CONSUMER_PROGRAM);
        writeFileSync(join(dir, "run.js"), RUN_UNDER_MOCKS);
    });

    after(() => {
        if (dir) {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("ships compiled code and declarations, and no tests or sources", () => {
        const files = run("tar", ["tzf", tarball], dir).split("\n");
        assert.ok(files.includes("package/dist/components/index.js"));
        assert.ok(files.includes("package/dist/components/index.d.ts"));
        assert.equal(
            files.filter((f) => f.startsWith("package/test/") || (f.endsWith(".ts") && !f.endsWith(".d.ts"))).length,
            0,
        );
    });

    it("type-checks a consumer program strictly against the shipped types", () => {
        run(
            process.execPath,
            [
                TSC,
                "--strict",
                "--target",
                "es2022",
                "--module",
                "commonjs",
                "--esModuleInterop",
                "--skipLibCheck",
                "index.ts",
            ],
            dir,
        );
    });

    it("ships typings that type-check on their own, with nothing stripped that they still use", () => {
        run(
            process.execPath,
            [
                TSC,
                "--noEmit",
                "--strict",
                "--types",
                "node",
                "--target",
                "es2022",
                "--module",
                "commonjs",
                "--esModuleInterop",
                "node_modules/@cicd-platform/platform/dist/components/index.d.ts",
            ],
            dir,
        );
    });

    // Runs the index.js that the strict type-check case above emitted, on purpose: compiling the
    // consumer once is enough. That case comes first and fails first if the program does not build.
    it("runs the consumer program: it registers our components and their children", () => {
        const out = JSON.parse(run(process.execPath, ["run.js"], dir)) as {
            types: string[];
            weights: unknown;
            preview: string;
        };
        assert.deepEqual(out.weights, { stable: 50, canary: 50 });
        for (const expected of [
            "cicd:platform:EnvironmentNamespace::team",
            "cicd:release:CanaryRelease::api",
            "cicd:traffic:WeightedUpstream::api-router",
            "kubernetes:apps/v1:Deployment::api-canary",
            "kubernetes:core/v1:Namespace::team",
        ]) {
            assert.ok(out.types.includes(expected), `${expected} in ${out.types.join(", ")}`);
        }
        assert.match(out.preview, /server b:80 weight=50/);
    });

    it("exports exactly the public API, and its typings carry no internal helper", () => {
        const exported = run(
            process.execPath,
            ["-e", 'console.log(JSON.stringify(Object.keys(require("@cicd-platform/platform")).sort()))'],
            dir,
        );
        assert.deepEqual(JSON.parse(exported), [
            "ApplicationRepository",
            "BlueGreenRelease",
            "BuildSeccompDelivery",
            "CanaryRelease",
            "DEFAULT_UID",
            "EnvironmentNamespace",
            "GITHUB_ENVIRONMENTS",
            "GitHubRepositorySettings",
            "GitLabRunner",
            "HostUpstream",
            "JenkinsAgentAccess",
            "LocalScript",
            "PodmanRunnerHost",
            "PrivateRegistry",
            "RegistryCredentials",
            "RunnerNamespace",
            "Tenant",
            "WeightedUpstream",
            "canaryReplicas",
            "renderDeployWorkflow",
            "renderHtpasswd",
            "renderKubernetesRunnerConfig",
            "renderNginxConfig",
            "renderPodmanRunnerConfig",
            "renderRegistryConfig",
            "renderRegistryConfigPair",
            "renderUpstream",
            "restrictedContainerSecurityContext",
            "restrictedPodSecurityContext",
            "restrictedPodSecurityLabels",
            "trackWeights",
        ]);
        // GNU tar's wildcards match across "/", so one pattern covers every feature folder.
        const typings = run("tar", ["xzOf", tarball, "--wildcards", "package/dist/components/*.d.ts"], dir);
        for (const internal of [
            "shellQuote",
            "GATE_SCRIPT",
            "EXECUTOR_RULES",
            "tomlString",
            "hostUpstreamScript",
            "createAppTrack",
            "podmanSocketCheckScript",
            "runnerTokenProblem",
            "RUNNER_MANAGER_SELECTOR",
        ]) {
            assert.doesNotMatch(typings, new RegExp(`\\b${internal}\\b`), `${internal} is in the published typings`);
        }
    });
});
