/**
 * `nginx -t` on the rendered config: accepted at every percentage, and the seed's `weight=0` refused,
 * which is why the renderer leaves a server at 0% out instead of writing it.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";

import { NginxInstance, seedWeights, useBackends, withWeights } from "./nginx-harness";

describe("nginx -t on the rendered config", () => {
    const backends = useBackends();
    let instance: NginxInstance | undefined;

    /** One prefix reused by every check: creating it fails each test that needs nginx when it is missing. */
    async function nginxPrefix(): Promise<NginxInstance> {
        instance ??= await NginxInstance.create();
        return instance;
    }

    after(async () => {
        await instance?.dispose();
    });

    it("accepts the config at every percentage 0-100", async () => {
        const nginx = await nginxPrefix();
        const rejected: string[] = [];
        for (let percent = 0; percent <= 100; percent++) {
            await nginx.writeConfig(nginx.render(percent, backends.stable, backends.canary));
            const result = nginx.check();
            if (!result.ok) {
                rejected.push(`${percent}%: ${result.output}`);
            }
        }
        assert.deepEqual(rejected, [], "nginx -t rejected the rendered config");
    });

    it("rejects a server line with weight=0", async () => {
        const nginx = await nginxPrefix();
        await nginx.writeConfig(
            withWeights(nginx.render(50, backends.stable, backends.canary), { stable: 100, canary: 0 }),
        );
        const result = nginx.check();
        assert.equal(result.ok, false, "nginx -t accepted weight=0");
        assert.match(result.output, /invalid parameter "weight=0"/);
    });

    it("the seed's formula int((1-w)*10) / int(w*10) writes weight=0 at 100%, so its promotion never applies", async () => {
        const weights = seedWeights(100);
        assert.deepEqual(weights, { stable: 0, canary: 10 });
        const nginx = await nginxPrefix();
        await nginx.writeConfig(withWeights(nginx.render(50, backends.stable, backends.canary), weights));
        const result = nginx.check();
        assert.equal(result.ok, false);
        assert.match(result.output, /invalid parameter "weight=0"/);
    });

    it("the seed's formula turns 25% into 7:2 and 75% into 2:7", () => {
        assert.deepEqual(seedWeights(25), { stable: 7, canary: 2 });
        assert.deepEqual(seedWeights(75), { stable: 2, canary: 7 });
    });
});
