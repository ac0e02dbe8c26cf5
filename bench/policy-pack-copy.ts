/**
 * The policy pack as it ran before it was compiled: a copy of policy/ whose package.json has no
 * compiled `main`, so CrossGuard type-checks and loads the TypeScript sources through ts-node.
 */
import { cpSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { ROOT } from "../test/support/engine";

export function typeScriptPolicyPack(parent: string): { dir: string } {
    const dir = join(parent, "policy-as-typescript");
    const source = join(ROOT, "policy");
    cpSync(source, dir, {
        recursive: true,
        filter: (path) => !path.startsWith(join(source, "node_modules")) && !path.startsWith(join(source, "dist")),
    });
    symlinkSync(join(source, "node_modules"), join(dir, "node_modules"));
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    delete manifest.main;
    writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
    return { dir };
}
