/**
 * How scripts/toolchain/bootstrap reports the command plugin's steps, on a path that needs no
 * build: a pin in versions.env that tools/provider-command/go.mod does not carry stops at step
 * `resolve`, naming both; nothing is downloaded or compiled. The build itself is exercised by
 * bootstrap --offline (scripts/setup, CI) and checked by command-schema.test.ts.
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
    work = await mkdtemp(join(tmpdir(), "bootstrap-command-"));
});
after(async () => {
    await rm(work, { recursive: true, force: true });
});

it("stops at step resolve when versions.env and the command module's go.mod disagree", async () => {
    const pins = await readFile(join(ROOT, "scripts/toolchain/versions.env"), "utf8");
    const wrong = pins.replace(
        "github.com/pulumi/pulumi-go-provider@v1.5.0",
        "github.com/pulumi/pulumi-go-provider@v1.6.0",
    );
    assert.notEqual(wrong, pins, "versions.env does not pin pulumi-go-provider v1.5.0 for command");
    const file = join(work, "versions.env");
    await writeFile(file, wrong);
    const started = Date.now();
    const result = await run(BOOTSTRAP, ["--offline", "--only", "command"], {
        env: { ...process.env, CICD_CACHE: join(work, "cache"), TOOLCHAIN_VERSIONS_FILE: file },
    }).then(
        () => assert.fail("bootstrap succeeded"),
        (err: unknown) => err as { code: number; stderr: string },
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[toolchain\] command v1\.2\.1: building…/);
    assert.match(
        result.stderr,
        /ERROR: command v1\.2\.1: step 'resolve' failed for module github\.com\/pulumi\/pulumi-go-provider@v1\.6\.0: tools\/provider-command\/go\.mod does not require github\.com\/pulumi\/pulumi-go-provider v1\.6\.0/,
    );
    assert.ok(Date.now() - started < 30_000, "nothing was built");
});
