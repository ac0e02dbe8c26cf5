import assert from "node:assert/strict";
import { describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";

import { redactSdkDebugOutput, withoutRpcPayload } from "../../platform/sdk-debug-redaction";

// A Secret's data as the SDK's response would flatten it; assembled here, never a literal.
const SECRET_DATA = Buffer.from(["glrt", "unit", "needle"].join("-")).toString("base64");

describe("the SDK's debug output", () => {
    it("keeps each RPC message and drops the payload it ends with", () => {
        const cases: [string, string][] = [
            [
                `RegisterResource RPC finished: resource:ns/runner[kubernetes:core/v1:Secret]; err: null, resp: urn,id,${SECRET_DATA}`,
                "RegisterResource RPC finished: resource:ns/runner[kubernetes:core/v1:Secret]; err: null, resp: <not logged: may hold secret values>",
            ],
            [
                `RegisterResource RPC prepared: t=kubernetes:core/v1:Secret, name=runner, obj={"data":"${SECRET_DATA}"}`,
                "RegisterResource RPC prepared: t=kubernetes:core/v1:Secret, name=runner, obj=<not logged: may hold secret values>",
            ],
            [
                `RegisterResourceOutputs RPC prepared: urn=urn:pulumi:local::p::x, outputs={"token":"${SECRET_DATA}"}`,
                "RegisterResourceOutputs RPC prepared: urn=urn:pulumi:local::p::x, outputs=<not logged: may hold secret values>",
            ],
            [
                `Invoke RPC finished: tok=kubernetes:yaml:decode; err: null, resp: a,\n${SECRET_DATA}`,
                "Invoke RPC finished: tok=kubernetes:yaml:decode; err: null, resp: <not logged: may hold secret values>",
            ],
            [
                "Registering resource: t=kubernetes:core/v1:Secret, name=runner, custom=true, remote=false",
                "Registering resource: t=kubernetes:core/v1:Secret, name=runner, custom=true, remote=false",
            ],
        ];
        for (const [message, expected] of cases) {
            assert.equal(withoutRpcPayload(message), expected);
        }
    });

    it("reaches the SDK's runtime, which calls debug through the log module's exports", async () => {
        const seen: string[] = [];
        Object.assign(pulumi.log, {
            debug: (message: string) => {
                seen.push(message);
                return Promise.resolve();
            },
        });
        redactSdkDebugOutput();
        redactSdkDebugOutput(); // a second call does not wrap twice
        // The module object the runtime's resource.js holds, not our import of it.
        const runtimeLog = (await import("@pulumi/pulumi/log")) as typeof pulumi.log;
        await runtimeLog.debug(`RegisterResource RPC finished: r; err: null, resp: ${SECRET_DATA}`);
        await pulumi.log.debug("Registering resource: t=x, name=y");
        assert.deepEqual(seen, [
            "RegisterResource RPC finished: r; err: null, resp: <not logged: may hold secret values>",
            "Registering resource: t=x, name=y",
        ]);
    });
});
