/**
 * scripts/lib/cache.sh, run with bash: the staging, publishing and pruning the deploy step's
 * package installs and policy-build's compiled packs share.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    utimesSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const LIB = join(__dirname, "..", "..", "scripts", "lib", "cache.sh");

function bash(script: string, cache: string): string {
    const out = spawnSync("bash", ["-c", `set -euo pipefail; source "$LIB"; ${script}`], {
        env: { PATH: process.env.PATH, LIB, CACHE: cache },
        encoding: "utf8",
    });
    assert.equal(out.status, 0, out.stderr);
    return out.stdout.trim();
}

/** Sets an entry's modification time `minutes` ago. */
function age(path: string, minutes: number): void {
    const when = new Date(Date.now() - minutes * 60_000);
    utimesSync(path, when, when);
}

describe("scripts/lib/cache.sh", () => {
    const root = mkdtempSync(join(tmpdir(), "cache-lib-"));
    after(() => {
        rmSync(root, { recursive: true, force: true });
    });

    it("publishes a staged entry whole, and the first of two concurrent publishers wins", () => {
        const cache = join(root, "publish");
        const first = bash('s="$(cache_stage "$CACHE")"; echo one >"$s/file"; echo "$s"', cache);
        assert.match(first, /\/\.staged\.[^/]+$/);
        const second = bash('s="$(cache_stage "$CACHE")"; echo two >"$s/file"; echo "$s"', cache);
        bash(`cache_publish "${first}" "$CACHE/key"`, cache);
        bash(`cache_publish "${second}" "$CACHE/key"`, cache);
        assert.equal(readFileSync(join(cache, "key", "file"), "utf8"), "one\n");
        assert.deepEqual(readdirSync(cache), ["key"], "the loser's staging directory is gone");
    });

    it("prunes entries of the glob unused for the days given and staging left over two hours, nothing else", () => {
        const cache = join(root, "prune");
        const entries = {
            "platform-old": 15 * 24 * 60,
            "platform-recent": 13 * 24 * 60,
            "policy-old": 15 * 24 * 60,
            ".staged.left": 121,
            ".staged.running": 30,
        };
        for (const [name, minutes] of Object.entries(entries)) {
            mkdirSync(join(cache, name), { recursive: true });
            writeFileSync(join(cache, name, "f"), name);
            age(join(cache, name), minutes);
        }
        bash('cache_prune "$CACHE" 14 "platform-*"', cache);
        assert.deepEqual(readdirSync(cache).sort(), [".staged.running", "platform-recent", "policy-old"]);
        bash('cache_prune "$CACHE" 14', cache);
        assert.deepEqual(readdirSync(cache).sort(), [".staged.running", "platform-recent"]);
        assert.ok(!existsSync(join(cache, "policy-old")));
    });
});
