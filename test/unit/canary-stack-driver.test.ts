/**
 * The stack driver on a real `Pulumi.<stack>.yaml` (FileConfigStack applies `--path` keys the way
 * `pulumi config set --path` does; the engine itself is exercised in test/canary). GIVEN a stack
 * file WHEN the driver prepares, steps, promotes or rolls back THEN the file says exactly that, each
 * deployment is one up, and invalid configs are never written.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import { parse } from "yaml";

import { findPulumi, isolatedPulumiRoot, stackFileName } from "../../delivery/shared/open-stack";
import { StackDriver } from "../../delivery/canary/stack-driver";
import { FileConfigStack } from "../canary/file-config-stack";

const STACK_FILE = `# The staging stack (comments survive the driver's writes).
config:
  cicd-platform:environment: staging
  cicd-platform:namespaces:
    apps: shop-staging
  cicd-platform:registry:
    server: registry.example.com
    username: ci-pull
  cicd-platform:apps:
    - name: storefront
      image: registry.example.com/shop/storefront
      stableVersion: 1.4.2
      replicas: 2
    - name: search
      image: registry.example.com/shop/search
      stableVersion: 3.0.0
  cicd-platform:canary:
    steps: [10, 25, 50, 100]
    analysis:
      intervalSeconds: 30
  cicd-platform:registryPassword:
    secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB
`;

type App = { name: string; stableVersion: string; canaryVersion?: string; canaryPercent?: number };

describe("stack driver", () => {
    let dir: string;
    let file: string;
    let stack: FileConfigStack;

    const apps = async (): Promise<App[]> =>
        (parse(await readFile(file, "utf8")) as { config: Record<string, App[]> }).config["cicd-platform:apps"] ?? [];
    const appNamed = async (name: string): Promise<App | undefined> => (await apps()).find((a) => a.name === name);
    const driver = (imageVersion = "1.5.0", extra: Partial<ConstructorParameters<typeof StackDriver>[1]> = {}) =>
        new StackDriver(stack, { app: "storefront", imageVersion, stackFile: file, ...extra });

    beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), "stack-driver-"));
        file = join(dir, stackFileName("acme/shop/staging"));
        await writeFile(file, STACK_FILE);
        stack = new FileConfigStack("staging", file);
    });

    afterEach(async () => {
        await rm(dir, { recursive: true, force: true });
    });

    it("GIVEN a stable app WHEN prepared THEN it writes only the canary version and deploys nothing", async () => {
        const plan = await driver().prepare();
        assert.deepEqual(plan.steps, [10, 25, 50, 100]);
        assert.equal(plan.stableVersion, "1.4.2");
        assert.equal(plan.canaryVersion, "1.5.0");
        assert.equal(plan.analysis.intervalSeconds, 30);
        assert.equal(plan.analysis.maxErrorRatio, 0.01, "schema defaults fill the rest");
        assert.equal(plan.splitDesignEffect, 1, "without sticky cohorts each request is a draw");
        assert.equal(stack.ups.length, 0);
        const storefront = await appNamed("storefront");
        assert.ok(storefront);
        const search = await appNamed("search");
        assert.equal(storefront.canaryVersion, "1.5.0");
        assert.equal(storefront.canaryPercent, undefined);
        assert.deepEqual(search, {
            name: "search",
            image: "registry.example.com/shop/search",
            stableVersion: "3.0.0",
        });
    });

    it("WHEN stepping THEN each percentage is written as a number and deployed by one up", async () => {
        const d = driver();
        await d.prepare();
        await d.setCanaryPercent(10);
        await d.setCanaryPercent(25);
        assert.equal(stack.ups.length, 2);
        const deployed = stack.ups.map((up) => (up.config["cicd-platform:apps"] as unknown as App[])[0]);
        assert.deepEqual(
            deployed.map((app) => [app?.canaryVersion, app?.canaryPercent]),
            [
                ["1.5.0", 10],
                ["1.5.0", 25],
            ],
        );
    });

    it("WHEN promoting THEN stable runs the new version, no canary, in one up, and the diff says so", async () => {
        const d = driver();
        await d.prepare();
        await d.setCanaryPercent(100);
        const change = await d.promote();
        assert.equal(stack.ups.length, 2);
        const storefront = await appNamed("storefront");
        assert.ok(storefront);
        assert.equal(storefront.stableVersion, "1.5.0");
        assert.equal(storefront.canaryPercent, 0);
        assert.equal(storefront.canaryVersion, undefined);
        assert.equal(change.file, file);
        assert.deepEqual(
            change.diff.filter((line) => /^[-+]/.test(line)),
            ["-      stableVersion: 1.4.2", "+      stableVersion: 1.5.0", "+      canaryPercent: 0"],
        );
        const text = await readFile(file, "utf8");
        assert.match(text, /^# The staging stack/, "comments kept");
        assert.match(text, /secure: v1:AAAAAAAAAAAAAAAA/, "the secret is untouched");
    });

    it("WHEN rolling back THEN the canary is gone and stable is what it was, in one up", async () => {
        const d = driver();
        await d.prepare();
        await d.setCanaryPercent(10);
        const change = await d.rollBack();
        assert.equal(stack.ups.length, 2);
        const storefront = await appNamed("storefront");
        assert.ok(storefront);
        assert.equal(storefront.stableVersion, "1.4.2");
        assert.equal(storefront.canaryPercent, 0);
        assert.equal(storefront.canaryVersion, undefined);
        assert.deepEqual(
            change.diff.filter((line) => /^[-+]/.test(line)),
            ["+      canaryPercent: 0"],
        );
    });

    it("GIVEN sticky cohorts THEN the split check counts stickyRequestsPerClient requests as one draw", async () => {
        await writeFile(
            file,
            STACK_FILE.replace(
                "    steps: [10, 25, 50, 100]\n",
                "    steps: [10, 25, 50, 100]\n    stickyCookie: cohort\n",
            ),
        );
        assert.equal((await driver().prepare()).splitDesignEffect, 20, "the default requests per client");
        await writeFile(
            file,
            STACK_FILE.replace(
                "    steps: [10, 25, 50, 100]\n",
                "    steps: [10, 25, 50, 100]\n    stickyCookie: cohort\n    stickyRequestsPerClient: 5\n",
            ),
        );
        assert.equal((await driver().prepare()).splitDesignEffect, 5);
    });

    it("GIVEN the same canary already running THEN it resumes from its percentage", async () => {
        await stack.setAllConfig(
            {
                "cicd-platform:apps[0].canaryVersion": { value: "1.5.0" },
                "cicd-platform:apps[0].canaryPercent": { value: "25" },
            },
            true,
        );
        const plan = await driver().prepare();
        assert.equal(plan.resumedFrom, 25);
        assert.deepEqual(plan.steps, [25, 50, 100]);
    });

    for (const [what, setup, options, message] of [
        [
            "an unknown app",
            undefined,
            { app: "checkout" },
            /--app: stack staging has no app "checkout" \(apps: storefront, search\)/,
        ],
        ["the stable version", undefined, { imageVersion: "1.4.2" }, /already runs 1\.4\.2 as stable/],
        [
            "another canary in flight",
            { "cicd-platform:apps[0].canaryVersion": "1.4.9", "cicd-platform:apps[0].canaryPercent": "50" },
            {},
            /already has canary 1\.4\.9 at 50%: promote it or roll it back/,
        ],
        [
            "an invalid current config",
            { "cicd-platform:apps[0].replicas": "0" },
            {},
            /config of stack staging is invalid[\s\S]*apps\[0\]\.replicas: 0 is not an integer 1-100/,
        ],
        [
            "a repository that is not the app's",
            undefined,
            { imageRepository: "registry.example.com/other" },
            /--image: storefront runs/,
        ],
        [
            '"latest"',
            undefined,
            { imageVersion: "latest" },
            /refusing to write an invalid config[\s\S]*"latest" is not allowed/,
        ],
        ["a tag Pulumi would store as a number", undefined, { imageVersion: "2" }, /bare number/],
    ] as const) {
        it(`GIVEN ${what} THEN prepare refuses with a clear message and deploys nothing`, async () => {
            if (setup !== undefined) {
                await stack.setAllConfig(
                    Object.fromEntries(Object.entries(setup).map(([key, value]) => [key, { value }])),
                    true,
                );
            }
            const before = await readFile(file, "utf8");
            await assert.rejects(driver(undefined, options).prepare(), message);
            assert.equal(stack.ups.length, 0);
            if (what !== "a tag Pulumi would store as a number") {
                assert.equal(await readFile(file, "utf8"), before, "nothing written");
            }
        });
    }
});

describe("the pulumi CLI the driver runs", () => {
    it("is missing: the error says how to build it", async () => {
        await assert.rejects(findPulumi("/nonexistent"), /pulumi CLI is not on PATH: .*scripts\/toolchain\/bootstrap/);
    });

    it("runs in a session of its own, so a terminal Ctrl-C does not cancel an up half-way", async () => {
        const dir = await mkdtemp(join(tmpdir(), "fake-pulumi-"));
        try {
            const fake = join(dir, "pulumi");
            // Prints its own session id and its arguments.
            await writeFile(fake, '#!/bin/sh\necho "$(cut -d" " -f6 /proc/$$/stat) $*"\n');
            await chmod(fake, 0o755);
            const isolated = await isolatedPulumiRoot(fake);
            try {
                const out = execFileSync(join(isolated.root, "bin", "pulumi"), ["up", "--yes"], {
                    encoding: "utf8",
                }).trim();
                const ownSession = (await readFile(`/proc/${process.pid}/stat`, "utf8")).split(" ")[5];
                const [session, ...args] = out.split(" ");
                assert.deepEqual(args, ["up", "--yes"]);
                assert.notEqual(session, ownSession, "the CLI must not share our session");
            } finally {
                await isolated.dispose();
            }
        } finally {
            await rm(dir, { recursive: true, force: true });
        }
    });
});
