/**
 * The canary cases through the REAL engine and Automation API, with the fixture's backends and its
 * router as dynamic resources that run the very same scripts (the track scripts; HostUpstream's
 * command text with the same rendered config on stdin) instead of `@pulumi/command`. It needs only
 * the pulumi CLI and the Node language host, so it runs where the command plugin cannot be built;
 * engine.test.ts runs the same cases with the command plugin. The cases are the promotion and the
 * rollback (ENGINE_CASES in cases.ts); real-processes.test.ts runs the analysis' other decisions.
 */
// @serial: canary lab runs judged on latency (p95) under load
import { before, describe } from "node:test";

import { canaryCases, ENGINE_CASES } from "./cases";
import { engineStackFactory, requireToolchain } from "./engine";

describe("canary through the Pulumi engine on real processes (dynamic resources)", { timeout: 900_000 }, () => {
    before(async () => {
        await requireToolchain([]);
    });

    canaryCases(engineStackFactory("dynamic"), { cases: ENGINE_CASES });
});
