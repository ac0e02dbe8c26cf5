/**
 * How scripts/toolchain/bootstrap reports the github plugin's steps, on paths that need no build:
 * a pin in versions.env that the wrapper's go.mod does not carry stops at step `resolve`, naming
 * both; nothing is downloaded or compiled. The build itself is exercised by bootstrap --offline
 * (CI) and checked by github-schema.test.ts.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, it } from "node:test";
import { promisify } from "node:util";

const ROOT = resolve(__dirname, "../..");
const BOOTSTRAP = join(ROOT, "scripts/toolchain/bootstrap");
const run = promisify(execFile);

let work: string;
before(async () => {
    work = await mkdtemp(join(tmpdir(), "bootstrap-github-"));
});
after(async () => {
    await rm(work, { recursive: true, force: true });
});

it("stops at step resolve when versions.env and the wrapper's go.mod disagree", async () => {
    const pins = await readFile(join(ROOT, "scripts/toolchain/versions.env"), "utf8");
    const wrong = pins.replace(/^GITHUB_UPSTREAM=(.*)@v6\.6\.0$/m, "GITHUB_UPSTREAM=$1@v6.5.0");
    assert.notEqual(wrong, pins, "versions.env has no GITHUB_UPSTREAM at v6.6.0 to alter");
    const file = join(work, "versions.env");
    await writeFile(file, wrong);
    const started = Date.now();
    const result = await run(BOOTSTRAP, ["--offline", "--only", "github"], {
        env: { ...process.env, CICD_CACHE: join(work, "cache"), TOOLCHAIN_VERSIONS_FILE: file },
    }).then(
        () => assert.fail("bootstrap succeeded"),
        (err: unknown) => err as { code: number; stderr: string },
    );
    assert.equal(result.code, 1);
    assert.match(
        result.stderr,
        /\[toolchain\] ERROR: github v6\.7\.3: step 'resolve' failed for module github\.com\/integrations\/terraform-provider-github\/v6@v6\.5\.0: tools\/provider-github\/go\.mod does not require github\.com\/integrations\/terraform-provider-github\/v6 v6\.5\.0/,
    );
    assert.match(result.stderr, /offline toolchain from Go modules: --offline given/);
    assert.ok(Date.now() - started < 30_000, "resolve should fail before any build");
});
