/**
 * The canary cases through the REAL engine: the fixture program (test/canary/fixture/index.ts, a
 * HostUpstream on this machine and the backend processes as `@pulumi/command` resources) in a
 * file:// backend with passphrase secrets, driven by the canary library through the Automation
 * API, with real nginx, Prometheus, backends and load (cases.ts). Needs the offline toolchain
 * (pulumi CLI, Node language host, the command 1.2.1 plugin); without it the suite FAILS saying so.
 */
import { before, describe } from "node:test";

import { openStack } from "../../canary/stack-driver";
import { canaryCases } from "./cases";
import { createStack, engineWorkDir, requireToolchain } from "./engine";
import { platformConfig } from "./lab";
import type { StackFactory } from "./scenario";

const STACK = "lab";

const engineStack: StackFactory = async (lab, steps) => {
    const work = await engineWorkDir("index.ts");
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(platformConfig(steps))) {
        config[`cicd-platform:${key}`] = value;
    }
    for (const [key, value] of Object.entries(lab.fixtureConfig)) {
        config[`fixture:${key}`] = value;
    }
    const created = await createStack(work, STACK, config);
    // Stable 1.0.0 and the router, as the repository's stack file says.
    await created.stack.up({ color: "never" });
    const opened = await openStack({ stackName: STACK, workDir: work.dir, envVars: work.env });
    return {
        stack: opened.stack,
        stackFile: opened.stackFile,
        dispose: async () => {
            await opened.dispose();
            // Backends are stopped by the lab (by their pid files); the state goes with the dir.
            await work.dispose();
        },
    };
};

describe("canary through the Pulumi engine on real processes", { timeout: 900_000 }, () => {
    before(async () => {
        await requireToolchain([{ name: "command", version: "1.2.1" }]);
    });

    canaryCases(engineStack);
});
