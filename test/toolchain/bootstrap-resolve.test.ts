/**
 * How scripts/toolchain/bootstrap reports a plugin's steps on a path that needs no build: a pin in
 * versions.env that the plugin's go.mod does not carry stops at step `resolve`, naming both, and
 * nothing is downloaded or compiled (the cache it was given stays without the plugin). One case per
 * plugin built from our own module; the builds themselves are exercised by bootstrap --offline
 * (scripts/setup, CI) and checked by the schema and engine tests.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

const ROOT = resolve(__dirname, "../..");
const BOOTSTRAP = join(ROOT, "scripts/toolchain/bootstrap");
const run = promisify(execFile);

interface ResolveCase {
    readonly plugin: string;
    readonly version: string;
    /** The pinned module and the version versions.env is altered to. */
    readonly module: string;
    readonly pinned: string;
    readonly wrong: string;
    /** The go.mod that does not carry the wrong version. */
    readonly goMod: string;
}

const CASES: readonly ResolveCase[] = [
    {
        plugin: "command",
        version: "1.2.1",
        module: "github.com/pulumi/pulumi-go-provider",
        pinned: "v1.5.0",
        wrong: "v1.6.0",
        goMod: "tools/provider-command/go.mod",
    },
    {
        plugin: "github",
        version: "6.7.3",
        module: "github.com/integrations/terraform-provider-github/v6",
        pinned: "v6.6.0",
        wrong: "v6.5.0",
        goMod: "tools/provider-github/go.mod",
    },
    {
        plugin: "gitlab",
        version: "10.1.1",
        module: "gitlab.com/gitlab-org/api/client-go/v2",
        pinned: "v2.64.0",
        wrong: "v2.63.0",
        goMod: "tools/provider-gitlab/go.mod",
    },
];

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("bootstrap stops at step resolve when versions.env and a plugin's go.mod disagree", () => {
    let work: string;
    before(async () => {
        work = await mkdtemp(join(tmpdir(), "bootstrap-resolve-"));
    });
    after(async () => {
        await rm(work, { recursive: true, force: true });
    });

    for (const c of CASES) {
        it(`${c.plugin}: ${c.module}@${c.wrong} in versions.env, ${c.pinned} in ${c.goMod}`, async () => {
            const pins = await readFile(join(ROOT, "scripts/toolchain/versions.env"), "utf8");
            const wrong = pins.replace(`${c.module}@${c.pinned}`, `${c.module}@${c.wrong}`);
            assert.notEqual(wrong, pins, `versions.env does not pin ${c.module}@${c.pinned}`);
            const file = join(work, `${c.plugin}.env`);
            await writeFile(file, wrong);
            const cache = join(work, `${c.plugin}-cache`);
            const result = await run(BOOTSTRAP, ["--offline", "--only", c.plugin], {
                env: { ...process.env, CICD_CACHE: cache, TOOLCHAIN_VERSIONS_FILE: file },
            }).then(
                () => assert.fail("bootstrap succeeded"),
                (err: unknown) => err as { code: number; stderr: string },
            );
            assert.equal(result.code, 1, result.stderr);
            const component = `${c.plugin} v${c.version}`;
            assert.match(
                result.stderr,
                new RegExp(
                    escape(
                        `[toolchain] ERROR: ${component}: step 'resolve' failed for module ${c.module}@${c.wrong}: ` +
                            `${c.goMod} does not require ${c.module} ${c.wrong}`,
                    ),
                ),
            );
            for (const step of ["resolve", "download", "generate", "build"]) {
                assert.doesNotMatch(result.stderr, new RegExp(escape(`${component}: ${step} done`)));
            }
            const built = join(cache, "toolchain", `${c.plugin}-${c.version}`, `pulumi-resource-${c.plugin}`);
            assert.ok(!existsSync(built), `${built} was built`);
        });
    }
});
