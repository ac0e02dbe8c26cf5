/**
 * A directory of the shared test cache built once, safely when test files running side by side ask
 * for it at the same time on a cold cache: each builder works in a private directory beside it and
 * renames it into place in one step, so the directory is either absent or whole; a builder that
 * finds it already in place (another file won) drops its own copy.
 */
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";

/**
 * `dir`, built by `build` into a fresh directory (mode 0755, as `mkdir` makes it) unless `complete`
 * already holds for it. `complete` must also hold for the builder's own directory once built.
 */
export function cachedDir(dir: string, complete: (dir: string) => boolean, build: (part: string) => void): string {
    if (complete(dir)) {
        return dir;
    }
    mkdirSync(dirname(dir), { recursive: true });
    const part = mkdtempSync(`${dir}.part-`);
    try {
        chmodSync(part, 0o755);
        build(part);
        if (!complete(part)) {
            throw new Error(`building ${dir} left it incomplete`);
        }
        try {
            renameSync(part, dir);
        } catch {
            if (complete(dir)) {
                return dir; // another test file put its copy in place first
            }
            // What a run stopped before this helper existed may have left: replace it.
            rmSync(dir, { recursive: true, force: true });
            renameSync(part, dir);
        }
    } finally {
        rmSync(part, { recursive: true, force: true });
    }
    return dir;
}
