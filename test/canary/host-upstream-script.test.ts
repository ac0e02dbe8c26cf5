/**
 * The command HostUpstream runs, against real nginx: a valid config goes live and is served after
 * the reload; a config nginx rejects never goes live (the script fails with nginx's words, the live
 * file and the running nginx are untouched). The text is run with `/bin/sh -c` and the config on
 * stdin, exactly as `@pulumi/command` runs it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { hostUpstreamScript } from "../../components/traffic/host-upstream";
import { renderNginxConfig } from "../../components/traffic/nginx-config";
import { type Backend, NginxInstance, startBackend, withWeights } from "../nginx/nginx-harness";
import { canaryShare, measureShares } from "../nginx/nginx-load";
import { runScript } from "./lab";

describe("HostUpstream's command on real nginx", () => {
    let stable: Backend;
    let canary: Backend;
    let nginx: NginxInstance;

    const render = (percent: number): string =>
        renderNginxConfig({
            name: "app",
            stable: stable.address,
            canary: canary.address,
            canaryPercent: percent,
            listen: `127.0.0.1:${nginx.port}`,
            pidFile: nginx.pidFile,
            tempDir: join(nginx.dir, "tmp"),
            accessLog: join(nginx.dir, "logs", "access.log"),
            errorLog: nginx.errorLog,
        });
    const script = (): string =>
        hostUpstreamScript({ configPath: nginx.confPath, prefix: nginx.dir, startupErrorLog: nginx.errorLog });

    before(async () => {
        stable = await startBackend("stable");
        canary = await startBackend("canary");
        nginx = await NginxInstance.create();
        await nginx.writeConfig(render(0));
        await nginx.start();
    });

    after(async () => {
        await nginx.dispose();
        await stable.close();
        await canary.close();
    });

    it("puts a valid config live and nginx serves the new weights", async () => {
        const before = await measureShares(nginx.port, 200);
        assert.equal(before.canary, 0, "starts at 0% canary");
        const master = nginx.pid;

        const output = await runScript(script(), {}, render(50));

        assert.match(output, /nginx reloaded/);
        assert.equal(await readFile(nginx.confPath, "utf8"), render(50));
        assert.equal(existsSync(`${nginx.confPath}.next`), false, "the candidate was renamed, not copied");
        assert.equal(nginx.pid, master, "reloaded, not restarted");
        // Old workers finish gracefully; give them a moment before measuring the new weights only.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const after = await measureShares(nginx.port, 1000);
        assert.equal(after.failed, 0, after.errors.join("\n"));
        assert.ok(Math.abs(canaryShare(after) - 50) <= 1.5, `canary share ${canaryShare(after)}%`);
    });

    it("never puts a config nginx rejects live", async () => {
        // Its own starting point, a good config at 50%, rather than whatever the case before left.
        await runScript(script(), {}, render(50));
        const live = await readFile(nginx.confPath, "utf8");
        assert.equal(live, render(50));
        const master = nginx.pid;
        // The seed's weights at 100%: weight=0, which nginx refuses.
        const invalid = withWeights(render(50), { stable: 0, canary: 10 });

        await assert.rejects(runScript(script(), {}, invalid), (error: Error) => {
            assert.match(error.message, /nginx -t rejected the new config; the live config is unchanged/);
            assert.match(error.message, /invalid parameter "weight=0"/);
            return true;
        });

        assert.equal(await readFile(nginx.confPath, "utf8"), live, "live file untouched");
        assert.equal(existsSync(`${nginx.confPath}.next`), false, "rejected candidate removed");
        assert.equal(nginx.pid, master);
        const shares = await measureShares(nginx.port, 400);
        assert.equal(shares.failed, 0);
        assert.ok(Math.abs(canaryShare(shares) - 50) <= 1.5, "still serving the last good weights");
    });

    it("passes paths with spaces and quotes through the shell intact", async () => {
        const text = hostUpstreamScript({ configPath: "/tmp/it's a dir/nginx.conf", nginxBinary: "/bin/true" });
        // Stop right after the assignments: what the shell made of the quoted path.
        const probe = text.replace("umask 022", 'printf "%s|%s" "$live" "$next"; exit 0');
        assert.notEqual(probe, text);
        assert.equal(await runScript(probe, {}), "/tmp/it's a dir/nginx.conf|/tmp/it's a dir/nginx.conf.next");
    });
});
