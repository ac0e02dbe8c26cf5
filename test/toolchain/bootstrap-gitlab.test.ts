/**
 * How scripts/toolchain/bootstrap reports the gitlab plugin's steps, on paths that need no build:
 * a pin in versions.env that the provider's go.mod does not carry stops at step `resolve`, naming
 * both; nothing is downloaded or compiled. The build itself is exercised by bootstrap --offline
 * (CI, scripts/setup) and the plugin by test/gitlab/engine.test.ts.
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
    work = await mkdtemp(join(tmpdir(), "bootstrap-gitlab-"));
});
after(async () => {
    await rm(work, { recursive: true, force: true });
});

it("stops at step resolve when versions.env and the provider's go.mod disagree", async () => {
    const pins = await readFile(join(ROOT, "scripts/toolchain/versions.env"), "utf8");
    const wrong = pins.replace(/^GITLAB_CLIENT=(.*)@v2\.64\.0$/m, "GITLAB_CLIENT=$1@v2.63.0");
    assert.notEqual(wrong, pins, "versions.env has no GITLAB_CLIENT at v2.64.0 to alter");
    const file = join(work, "versions.env");
    await writeFile(file, wrong);
    const started = Date.now();
    const result = await run(BOOTSTRAP, ["--offline", "--only", "gitlab"], {
        env: { ...process.env, CICD_CACHE: join(work, "cache"), TOOLCHAIN_VERSIONS_FILE: file },
    }).then(
        () => assert.fail("bootstrap succeeded"),
        (err: unknown) => err as { code: number; stderr: string },
    );
    assert.equal(result.code, 1);
    assert.match(
        result.stderr,
        /\[toolchain\] ERROR: gitlab v10\.1\.1: step 'resolve' failed for module gitlab\.com\/gitlab-org\/api\/client-go\/v2@v2\.63\.0: tools\/provider-gitlab\/go\.mod does not require gitlab\.com\/gitlab-org\/api\/client-go\/v2 v2\.63\.0/,
    );
    assert.doesNotMatch(result.stderr, /gitlab v10\.1\.1: resolve done/);
    assert.ok(Date.now() - started < 30_000, "resolve should fail before any build");
});
