/**
 * cachedDir, the shared test cache's builder: GIVEN test files side by side on a cold cache WHEN
 * they ask for the same directory at once THEN each gets it whole and none fails (the race a cold
 * CI run hit: two files building the slim base's OCI layout in one `.part` directory, EEXIST).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";

import { cachedDir } from "../support/cache-dir";

const HELPER = resolve(__dirname, "../support/cache-dir.ts");
const whole = (d: string): boolean => existsSync(join(d, "done"));

/** A builder in its own node process, slow enough that the two overlap. */
function buildInChild(dir: string, id: string): Promise<{ code: number | null; stderr: string }> {
    const script = `
        const { writeFileSync } = require("node:fs");
        const { join } = require("node:path");
        const { cachedDir } = require(${JSON.stringify(HELPER)});
        cachedDir(${JSON.stringify(dir)}, (d) => require("node:fs").existsSync(join(d, "done")), (part) => {
            for (let i = 0; i < 200; i++) writeFileSync(join(part, "file-" + i), ${JSON.stringify(id)});
            const until = Date.now() + 300;
            while (Date.now() < until) {}
            writeFileSync(join(part, "done"), ${JSON.stringify(id)});
        });
    `;
    return new Promise((done) => {
        const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
            stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("exit", (code) => {
            done({ code, stderr });
        });
    });
}

describe("cachedDir: a cache directory built once, whole, by whichever test file comes first", () => {
    const root = mkdtempSync(join(tmpdir(), "cache-dir-"));
    after(() => {
        rmSync(root, { recursive: true, force: true });
    });

    it("GIVEN two processes asking at once WHEN both build THEN both succeed and one whole copy is left", async () => {
        const dir = join(root, "raced");
        const results = await Promise.all([buildInChild(dir, "a"), buildInChild(dir, "b")]);
        for (const result of results) {
            assert.equal(result.code, 0, result.stderr);
        }
        const winner = readFileSync(join(dir, "done"), "utf8");
        assert.ok(winner === "a" || winner === "b");
        const files = readdirSync(dir);
        assert.equal(files.length, 201);
        assert.ok(
            files.every((f) => readFileSync(join(dir, f), "utf8") === winner),
            "files of one builder only",
        );
        assert.deepEqual(
            readdirSync(root).filter((f) => f.startsWith("raced.part-")),
            [],
            "no builder's private copy is left",
        );
    });

    it("GIVEN the directory is whole WHEN asked again THEN nothing is built", () => {
        const dir = join(root, "once");
        let builds = 0;
        const build = (part: string) => {
            builds += 1;
            writeFileSync(join(part, "done"), "");
        };
        assert.equal(cachedDir(dir, whole, build), dir);
        assert.equal(cachedDir(dir, whole, build), dir);
        assert.equal(builds, 1);
    });

    it("GIVEN an incomplete leftover WHEN asked THEN it is replaced by a whole copy", () => {
        const dir = join(root, "leftover");
        mkdirSync(dir);
        writeFileSync(join(dir, "half"), "");
        cachedDir(dir, whole, (part) => {
            writeFileSync(join(part, "done"), "");
        });
        assert.deepEqual(readdirSync(dir), ["done"]);
    });

    it("GIVEN a build that leaves its directory incomplete WHEN asked THEN it throws and nothing is left", () => {
        const dir = join(root, "broken");
        assert.throws(
            () =>
                cachedDir(dir, whole, (part) => {
                    writeFileSync(join(part, "half"), "");
                }),
            /building .*broken left it incomplete/,
        );
        assert.ok(!existsSync(dir));
        assert.deepEqual(
            readdirSync(root).filter((f) => f.startsWith("broken")),
            [],
        );
    });
});
