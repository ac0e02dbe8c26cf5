/**
 * The `canary` command as a process, on the real engine: Ctrl-C as a terminal sends it (SIGINT to
 * the whole foreground process group) while an `up` runs. The `up` must finish (the CLI runs it in
 * a session of its own), then the command rolls back in one more `up`, says so, writes its report
 * and exits 4; the stack file is left without a canary. Uses the resource-less fixture program, so
 * it needs only the pulumi CLI and the Node language host.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { parse } from "yaml";

import { createStack, type EngineWorkDir, engineWorkDir, requireToolchain } from "./engine";
import { REPO_ROOT } from "./fixture/track-scripts";
import { platformConfig } from "./lab";
import { freePort } from "../support/free-port";

describe("canary command: Ctrl-C during an up", { timeout: 600_000 }, () => {
    let work: EngineWorkDir;
    let stackFile: string;

    before(async () => {
        await requireToolchain([]);
        work = await engineWorkDir("config-only.ts");
        const config = Object.fromEntries(
            Object.entries(platformConfig([10, 50, 100])).map(([key, value]) => [`cicd-platform:${key}`, value]),
        );
        const created = await createStack(work, "cli", config);
        stackFile = created.stackFile;
        await created.stack.up({ color: "never" });
    });

    after(async () => {
        await work.dispose();
    });

    it("lets the up finish, rolls back in one up, exits 4 and says what runs", async () => {
        const report = join(work.dir, "report.md");
        // No Prometheus on this port: the analysis could never pass; the interrupt comes first anyway.
        const prometheus = `http://127.0.0.1:${await freePort()}`;
        const child = spawn(
            process.execPath,
            [
                "--import",
                "tsx",
                join(REPO_ROOT, "delivery", "cli.ts"),
                "promote",
                "--stack",
                "cli",
                "--app",
                "shop",
                "--image-version",
                "2.0.0",
                "--work-dir",
                work.dir,
                "--prometheus",
                prometheus,
                "--interval-seconds",
                "2",
                "--report",
                report,
            ],
            // A process group of its own, like a terminal's foreground job.
            { cwd: REPO_ROOT, env: { ...process.env, ...work.env }, detached: true, stdio: ["ignore", "pipe", "pipe"] },
        );
        let stdout = "";
        let stderr = "";
        let interruptedAt = -1;
        child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            if (interruptedAt < 0 && /step 1\/3 10%: setting canaryPercent 10, up/.test(stdout)) {
                // Give the CLI a moment to really be inside `pulumi up`, then Ctrl-C the whole group.
                setTimeout(() => {
                    interruptedAt = Date.now();
                    if (child.pid !== undefined) {
                        process.kill(-child.pid, "SIGINT");
                    }
                }, 1500);
            }
        });
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        const output = `${stdout}\n--- stderr\n${stderr}`;

        assert.ok(interruptedAt > 0, output);
        assert.equal(code, 4, output);
        assert.match(stderr, /SIGINT: letting the running step finish, then rolling back/);
        assert.match(stdout, /interrupted: interrupted; rolled back to stable/);
        assert.match(stdout, /now running: stable 1\.0\.0 only, no canary/);
        assert.match(stdout, /CI job summary: cat '.*report\.md' >> "\$GITHUB_STEP_SUMMARY"/);

        // The interrupted up completed (not cancelled), then exactly one more up: the rollback.
        const stack = await LocalWorkspace.selectStack({ stackName: "cli", workDir: work.dir }, { envVars: work.env });
        const history = await stack.history();
        const updates = history.filter((entry) => entry.kind === "update");
        assert.deepEqual(
            updates.map((entry) => entry.result),
            ["succeeded", "succeeded", "succeeded"],
            "initial, the 10% step, the rollback",
        );
        const outputs = await stack.outputs();
        assert.deepEqual(outputs.seen?.value, {
            stableVersion: "1.0.0",
            canaryVersion: null,
            canaryPercent: 0,
            steps: [10, 50, 100],
        });
        const app = (parse(await readFile(stackFile, "utf8")) as { config: Record<string, Record<string, unknown>[]> })
            .config["cicd-platform:apps"]?.[0];
        assert.ok(app);
        assert.equal(app.canaryPercent, 0);
        assert.equal(app.canaryVersion, undefined);
        assert.match(await readFile(report, "utf8"), /# Canary shop 1\.0\.0 → 2\.0\.0: interrupted/);
    });
});
