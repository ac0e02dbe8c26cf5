/**
 * The engine's floor: a Pulumi TypeScript program that exports one string and registers nothing, run
 * with the same toolchain, language host and run mode (transpile only) as the platform's program.
 * Every figure of the local stack is read as a ratio to this program's figure from the same run.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { run, type Run } from "../test/support/engine";
import { writeTsProgram } from "../test/support/ts-program";

export interface EmptyProgram {
    readonly pulumi: (args: string[]) => Promise<Run>;
    readonly dispose: () => void;
}

export async function emptyProgram(env: NodeJS.ProcessEnv): Promise<EmptyProgram> {
    const dir = mkdtempSync(join(tmpdir(), "cicd-empty-program-"));
    writeTsProgram(dir, "empty", 'export const hello = "world";\n', { noCheck: true });
    mkdirSync(join(dir, "backend"));
    const own = { ...env, PULUMI_BACKEND_URL: `file://${join(dir, "backend")}`, PULUMI_CONFIG_PASSPHRASE: "empty" };
    const created = await run("pulumi", ["stack", "init", "floor", "--non-interactive"], own, { cwd: dir });
    if (created.code !== 0) {
        throw new Error(`empty program: stack init failed: ${created.stderr}`);
    }
    return {
        pulumi: (args) => run("pulumi", [...args, "--stack", "floor", "--non-interactive"], own, { cwd: dir }),
        dispose: () => {
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
