/**
 * The canary cases through the REAL engine: the fixture program (test/canary/fixture/index.ts, a
 * HostUpstream on this machine and the backend processes as `@pulumi/command` resources) in a
 * file:// backend with passphrase secrets, driven by the canary library through the Automation
 * API, with real nginx, Prometheus, backends and load (cases.ts: the promotion and the rollback,
 * ENGINE_CASES; real-processes.test.ts runs the analysis' other decisions). Needs the offline toolchain
 * (pulumi CLI, Node language host, the command 1.2.1 plugin). Without the CLI or the host the
 * suite FAILS saying so; without the command plugin, where the toolchain declares it unbuildable,
 * every case is reported as skipped with that reason (engine-dynamic.test.ts runs the same cases
 * through the engine without the plugin).
 */
// @serial: canary lab runs judged on latency (p95) under load
import { before, describe } from "node:test";

import { canaryCases, ENGINE_CASES } from "./cases";
import { engineStackFactory, requireToolchain, unbuildablePlugin } from "./engine";

const COMMAND_PLUGIN = { name: "command", version: "1.2.1" };
const skip = unbuildablePlugin(COMMAND_PLUGIN.name, COMMAND_PLUGIN.version);

// Two real canary runs through the engine take 6-8 min on a loaded 2-core machine.
describe("canary through the Pulumi engine on real processes (@pulumi/command)", { timeout: 1_500_000 }, () => {
    before(async () => {
        // A suite's `before` runs even when all its cases are skipped.
        if (skip === undefined) {
            await requireToolchain([COMMAND_PLUGIN]);
        }
    });

    canaryCases(
        engineStackFactory("command"),
        skip === undefined ? { cases: ENGINE_CASES } : { skip, cases: ENGINE_CASES },
    );
});
