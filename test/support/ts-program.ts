/**
 * A throw-away Pulumi TypeScript program on this project's node_modules, for tests and benchmarks
 * that run the real engine on something other than the platform's own program.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { ROOT } from "./engine";

export interface TsProgramOptions {
    /** Transpile only, as the platform's own program runs (tsconfig.program.json). @default false */
    readonly noCheck?: boolean;
}

/** Writes Pulumi.yaml, package.json, tsconfig.json and index.ts into `dir` (created if missing). */
export function writeTsProgram(dir: string, name: string, source: string, options: TsProgramOptions = {}): void {
    mkdirSync(dir, { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    writeFileSync(
        join(dir, "Pulumi.yaml"),
        `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n    tsconfig: tsconfig.json\n`,
    );
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, main: "index.ts" }));
    writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
            compilerOptions: {
                strict: true,
                target: "es2022",
                module: "commonjs",
                // The SDK's run-time default is nodenext, which refuses module commonjs.
                moduleResolution: "node",
                skipLibCheck: true,
                ...(options.noCheck === true ? { noCheck: true } : {}),
            },
        }),
    );
    writeFileSync(join(dir, "index.ts"), source);
}
