/**
 * scripts/repair-file-backend with the real pulumi CLI on a real file:// backend: GIVEN a stack
 * whose checkpoint sidecar (`<stack>.json.attrs`) a killed process left empty or cut WHEN a command
 * reads the stack THEN it fails (`failed to load checkpoint: EOF`, `pulumi cancel` included) until
 * the script removes the sidecar, naming it; a healthy backend is left byte for byte as it was.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { toolchainEnv, run } from "../support/engine";
import { fileBackendEnv, filesUnder } from "../support/file-backend";

const PROJECT = "repair";

describe("scripts/repair-file-backend on a real file:// backend", () => {
    let dir: string;
    let state: string;
    let env: NodeJS.ProcessEnv;
    const pulumi = (...args: string[]) =>
        run("pulumi", [...args, "--non-interactive"], env, { cwd: join(dir, "project") });
    const repair = (...args: string[]) => run("bash", ["scripts/repair-file-backend", ...args], env);
    const sidecar = (stack: string) => join(state, ".pulumi", "stacks", PROJECT, `${stack}.json.attrs`);

    before(async () => {
        dir = mkdtempSync(join(tmpdir(), "repair-file-backend-"));
        state = join(dir, "state");
        env = { ...(await toolchainEnv()), ...fileBackendEnv(state, "repair-test") };
        mkdirSync(join(dir, "project"));
        writeFileSync(join(dir, "project", "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);
        for (const stack of ["emptied", "cut", "healthy"]) {
            const init = await pulumi("stack", "init", stack);
            assert.equal(init.code, 0, init.stderr);
        }
    });
    after(() => {
        rmSync(dir, { recursive: true, force: true });
    });

    for (const [stack, damage] of [
        [
            "emptied",
            (file: string) => {
                truncateSync(file, 0);
            },
        ],
        [
            "cut",
            (file: string) => {
                truncateSync(file, Math.floor(readFileSync(file).length / 2));
            },
        ],
    ] as const) {
        it(`GIVEN the ${stack} sidecar of a stack WHEN read THEN export and cancel fail until the repair removes it`, async () => {
            damage(sidecar(stack));
            const broken = await pulumi("stack", "export", "--stack", stack);
            assert.notEqual(broken.code, 0, "export read a damaged sidecar");
            assert.match(broken.stderr, /failed to load checkpoint/);
            const cancel = await pulumi("cancel", "--yes", "--stack", stack);
            assert.notEqual(cancel.code, 0);
            assert.match(cancel.stderr, /failed to load checkpoint/);

            const repaired = await repair();
            assert.equal(repaired.code, 0, repaired.stderr);
            assert.match(
                repaired.stdout,
                new RegExp(`removed the unreadable sidecar \\.pulumi/stacks/${PROJECT}/${stack}\\.json\\.attrs`),
            );
            assert.match(repaired.stdout, /unreadable sidecars removed: 1$/m);

            const exported = await pulumi("stack", "export", "--stack", stack);
            assert.equal(exported.code, 0, exported.stderr);
            assert.equal((JSON.parse(exported.stdout) as { version: number }).version, 3);
        });
    }

    it("GIVEN a healthy backend WHEN repaired (by directory and by file:// URL) THEN nothing changes", async () => {
        const before = filesUnder(state);
        for (const args of [[state], [`file://${state}`]]) {
            const result = await repair(...args);
            assert.equal(result.code, 0, result.stderr);
            assert.match(result.stdout, /unreadable sidecars removed: 0$/m);
        }
        assert.deepEqual(filesUnder(state), before);
    });

    it("GIVEN a backend that is not file:// WHEN repaired THEN nothing is done; a directory without .pulumi is refused", async () => {
        const cloud = await run("bash", ["scripts/repair-file-backend", "s3://bucket/state"], env);
        assert.equal(cloud.code, 0, cloud.stderr);
        assert.match(cloud.stdout, /s3:\/\/bucket\/state is not a file:\/\/ backend: nothing to repair/);
        const stray = await run("bash", ["scripts/repair-file-backend", dir], env);
        assert.equal(stray.code, 1);
        assert.match(stray.stdout + stray.stderr, /holds no \.pulumi directory/);
    });
});
