/**
 * The policy pack as it ran before it was compiled: a copy of policy/ whose package.json has no
 * compiled `main` and whose PulumiPolicy.yaml leaves `typescript` on, so CrossGuard type-checks and
 * loads the TypeScript sources through ts-node.
 */
import { cpSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { ROOT } from "../test/support/engine";

export function typeScriptPolicyPack(parent: string): { dir: string } {
    const dir = launchedBySdk(parent, "policy-as-typescript", { compiled: false });
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    delete manifest.main;
    writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
    return { dir };
}

/**
 * The compiled pack started the way the SDK's own launcher starts every pack (ts-node registered,
 * the TypeScript compiler loaded), as it ran before `typescript: false`. Call after policy-build.
 */
export function sdkLaunchedPolicyPack(parent: string): { dir: string } {
    return { dir: launchedBySdk(parent, "policy-sdk-launcher", { compiled: true }) };
}

/** A copy of policy/ (its dist/ too when `compiled`) whose PulumiPolicy.yaml leaves `typescript` on. */
function launchedBySdk(parent: string, name: string, { compiled }: { compiled: boolean }): string {
    const dir = join(parent, name);
    const source = join(ROOT, "policy");
    cpSync(source, dir, {
        recursive: true,
        filter: (path) =>
            !path.startsWith(join(source, "node_modules")) && (compiled || !path.startsWith(join(source, "dist"))),
    });
    symlinkSync(join(source, "node_modules"), join(dir, "node_modules"));
    const project = readFileSync(join(dir, "PulumiPolicy.yaml"), "utf8");
    const typeScript = project.replace(/^( +)typescript: false$/m, "$1typescript: true");
    if (typeScript === project) {
        throw new Error(
            "policy/PulumiPolicy.yaml no longer says `typescript: false`: update bench/policy-pack-copy.ts",
        );
    }
    writeFileSync(join(dir, "PulumiPolicy.yaml"), typeScript);
    return dir;
}
