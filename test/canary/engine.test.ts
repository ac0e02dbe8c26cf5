/**
 * The canary cases through the REAL engine: the fixture program (test/canary/fixture/index.ts, a
 * HostUpstream on this machine and the backend processes as `@pulumi/command` resources) in a
 * file:// backend with passphrase secrets, driven by the canary library through the Automation
 * API, with real nginx, Prometheus, backends and load (cases.ts). Needs the offline toolchain
 * (pulumi CLI, Node language host, the command 1.2.1 plugin); without it the suite FAILS saying so.
 */
import { before, describe } from "node:test";

import { canaryCases } from "./cases";
import { engineStackFactory, requireToolchain } from "./engine";

describe("canary through the Pulumi engine on real processes (@pulumi/command)", { timeout: 900_000 }, () => {
    before(async () => {
        await requireToolchain([{ name: "command", version: "1.2.1" }]);
    });

    canaryCases(engineStackFactory("command"));
});
