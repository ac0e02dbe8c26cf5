/**
 * The one recipe for a throw-away stack's state: a file:// backend in a directory of the test's own,
 * passphrase secrets, and an engine that stays offline (no update check, no plugin downloads). Whether
 * the program is type-checked is each caller's choice (TRANSPILE_ONLY).
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The variables that point the Pulumi CLI (or the Automation API) at `stateDir`, created if missing. */
export function fileBackendEnv(stateDir: string, passphrase: string): Record<string, string> {
    mkdirSync(stateDir, { recursive: true });
    return {
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
}

/**
 * Every file under `dir` as text (a file:// backend: checkpoints, history, backups), for a search of
 * the state for a value that must not be there; latin1 so that no byte is lost to decoding.
 */
export function filesUnder(dir: string): { path: string; text: string }[] {
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
        .map((entry) => join(dir, entry))
        .filter((path) => statSync(path).isFile())
        .map((path) => ({ path, text: readFileSync(path, "latin1") }));
}

/** Programs of this repository are type-checked by `npm run typecheck`: the engine only transpiles them. */
export const TRANSPILE_ONLY = { PULUMI_NODEJS_TRANSPILE_ONLY: "true" } as const;
