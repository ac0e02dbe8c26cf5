/**
 * The canary share measured through real nginx with two loopback backends: the renderer's exact
 * weights hit their target, and the seed's 7:2 at 25% misses it (the bug the renderer fixes).
 */
// @serial: measured traffic shares through real nginx
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { NginxInstance, seedWeights, useBackends, withWeights } from "./nginx-harness";
import { canaryShare, type LoadResult, measureShares } from "./nginx-load";

const REQUESTS = 5000;
/** Allowed distance, in percentage points, between the measured and the configured canary share. */
const TOLERANCE = 0.5;

/** Starts nginx on `config`, sends REQUESTS requests through it, stops it. */
async function measure(config: (nginx: NginxInstance) => string): Promise<LoadResult> {
    const nginx = await NginxInstance.create();
    try {
        await nginx.writeConfig(config(nginx));
        await nginx.start();
        return await measureShares(nginx.port, REQUESTS);
    } finally {
        await nginx.dispose();
    }
}

function report(label: string, result: LoadResult): number {
    const share = canaryShare(result);
    console.log(
        `${label}: canary ${share.toFixed(2)}% (${result.canary} canary / ${result.stable} stable, ` +
            `${result.failed} failed of ${REQUESTS})`,
    );
    return share;
}

describe(`canary share through nginx, ${REQUESTS} requests per case`, () => {
    const backends = useBackends();

    for (const percent of [10, 25, 50, 75, 90]) {
        it(`${percent}% goes to the canary, within ${TOLERANCE} points`, async () => {
            const result = await measure((nginx) => nginx.render(percent, backends.stable, backends.canary));
            const share = report(`target ${percent}%`, result);
            assert.equal(result.failed, 0, result.errors.join("\n"));
            assert.equal(result.stable + result.canary, REQUESTS);
            assert.ok(Math.abs(share - percent) <= TOLERANCE, `measured ${share.toFixed(2)}%, wanted ${percent}%`);
        });
    }

    it("0% sends everything to stable", async () => {
        const result = await measure((nginx) => nginx.render(0, backends.stable, backends.canary));
        report("target 0%", result);
        assert.deepEqual([result.stable, result.canary, result.failed], [REQUESTS, 0, 0], result.errors.join("\n"));
    });

    it("100% sends everything to the canary", async () => {
        const result = await measure((nginx) => nginx.render(100, backends.stable, backends.canary));
        report("target 100%", result);
        assert.deepEqual([result.stable, result.canary, result.failed], [0, REQUESTS, 0], result.errors.join("\n"));
    });

    it("the seed's 7:2 at 25% misses the target by more than the tolerance", async () => {
        const weights = seedWeights(25);
        const result = await measure((nginx) =>
            withWeights(nginx.render(25, backends.stable, backends.canary), weights),
        );
        const share = report(`seed formula at 25% (${weights.stable}:${weights.canary})`, result);
        assert.equal(result.failed, 0, result.errors.join("\n"));
        assert.ok(Math.abs(share - 25) > TOLERANCE, `seed weights measured ${share.toFixed(2)}%, inside tolerance`);
        // What 7:2 means: 2/9 of the requests.
        assert.ok(Math.abs(share - (100 * 2) / 9) <= TOLERANCE, `measured ${share.toFixed(2)}%, expected ~22.22%`);
    });
});
