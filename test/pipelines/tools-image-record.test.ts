/**
 * scripts/ci/record-tools-image, the tools-image job's last step, run on a copy of this repository
 * whose origin is a bare repository: it refuses an image not pinned by digest, records once (a
 * second run commits nothing), leaves the record to a newer pipeline, and the job refuses a base
 * image named by tag before building anything.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { run, type Run } from "./tools";
import { copyRepository, git, RECORD_TOKEN as TOKEN } from "./tools-image-fixture";

describe("scripts/ci/record-tools-image and the job's checks of its variables", () => {
    let scratch = "";
    let repo = "";
    let origin = "";
    let commit = "";
    const reference = `registry.example.com/ci/tools@sha256:${"ab".repeat(32)}`;

    before(() => {
        scratch = mkdtempSync(join(tmpdir(), "record-tools-image-"));
        repo = join(scratch, "platform");
        origin = join(scratch, "origin.git");
        commit = copyRepository(repo, origin);
    });

    after(() => {
        if (scratch !== "") {
            rmSync(scratch, { recursive: true, force: true });
        }
    });

    const record = (variables: Record<string, string>): Promise<Run> =>
        run("bash", [join(repo, "scripts", "ci", "record-tools-image")], {
            cwd: repo,
            env: { PATH: process.env.PATH, HOME: scratch, ...variables },
        });
    const base = (): Record<string, string> => ({
        TOOLS_IMAGE: reference,
        REVISION: commit,
        RECORD_BRANCH: "main",
        PUSH_TOKEN: TOKEN,
    });

    it("refuses a tools image that is not pinned by digest, naming TOOLS_IMAGE", async () => {
        const result = await record({ ...base(), TOOLS_IMAGE: "registry.example.com/ci/tools:latest" });
        assert.equal(result.code, 2);
        assert.match(result.stderr, /TOOLS_IMAGE: "registry\.example\.com\/ci\/tools:latest" is not/);
    });

    it("records once, and a second run with the same image commits nothing", async () => {
        const first = await record(base());
        assert.equal(first.code, 0, first.stderr);
        const tip = git(origin, "rev-parse", "main");
        assert.notEqual(tip, commit);
        assert.match(
            git(origin, "show", "main:templates/gitlab/container-app.yml"),
            new RegExp(`^ {6}default: ${reference.replace(/[.]/g, "\\.")}$`, "m"),
        );
        const again = await record(base());
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stderr, /recorded already/);
        assert.equal(git(origin, "rev-parse", "main"), tip);
    });

    it("leaves the record to the newer pipeline when the default branch has other step scripts", async () => {
        const other = join(scratch, "other");
        git(scratch, "clone", "--quiet", origin, other);
        writeFileSync(
            join(other, "ci", "steps", "e2e"),
            `${readFileSync(join(other, "ci", "steps", "e2e"), "utf8")}\n`,
        );
        git(other, "commit", "--quiet", "--all", "--message", "a newer step script");
        git(other, "push", "--quiet", "origin", "main");
        const tip = git(origin, "rev-parse", "main");
        const result = await record({ ...base(), TOOLS_IMAGE: reference.replace("ab", "cd") });
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, /has moved on to other image sources/);
        assert.equal(git(origin, "rev-parse", "main"), tip);
    });

    it("the job refuses a base image named by tag before building anything, naming TOOLS_BASE_IMAGE", async () => {
        const result = await run("bash", [join(repo, "scripts", "ci", "tools-image")], {
            cwd: repo,
            env: {
                PATH: process.env.PATH,
                HOME: scratch,
                REGISTRY_SERVER: "127.0.0.1:1",
                REVISION: commit,
                TOOLS_BASE_IMAGE: "docker.io/library/debian:bookworm-slim",
                TOOLS_GO_BUILDER_IMAGE: `docker.io/library/golang@sha256:${"0".repeat(64)}`,
            },
        });
        assert.equal(result.code, 2);
        assert.match(
            result.stderr,
            /TOOLS_BASE_IMAGE: "docker\.io\/library\/debian:bookworm-slim" is not <image>@sha256/,
        );
        const noGo = await run("bash", [join(repo, "scripts", "ci", "tools-image")], {
            cwd: repo,
            env: {
                PATH: process.env.PATH,
                HOME: scratch,
                REGISTRY_SERVER: "127.0.0.1:1",
                REVISION: commit,
                TOOLS_BASE_IMAGE: `docker.io/library/debian@sha256:${"0".repeat(64)}`,
            },
        });
        assert.equal(noGo.code, 2);
        assert.match(noGo.stderr, /TOOLS_GO_BUILDER_IMAGE: "" is not .*or set TOOLS_PREBUILT_IMAGE/);
    });
});
