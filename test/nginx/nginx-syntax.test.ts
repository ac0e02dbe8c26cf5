/**
 * `nginx -t` on the config the product renders: at every percentage its weights are the
 * percentages themselves, a server at 0% is left out, and nginx accepts it; the seed's `weight=0`
 * is refused, which is why the renderer leaves a server at 0% out instead of writing it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import { renderNginxConfig } from "../../components/traffic/nginx-config";
import { type Backend, NginxInstance, useBackends, withWeights } from "./nginx-harness";

/** The `server` lines of a rendered upstream, trimmed. */
const serverLines = (config: string): string[] =>
    config
        .split("\n")
        .filter((line) => /^\s*server \S+ weight=/.test(line))
        .map((line) => line.trim());

/** What the renderer must write at `percent`, spelled out with the default max_fails and fail_timeout. */
function expectedServers(percent: number, stable: Backend, canary: Backend): string[] {
    const line = (backend: Backend, weight: number, track: string): string =>
        `server ${backend.address} weight=${weight} max_fails=3 fail_timeout=30s; # ${track}`;
    return [
        ...(percent < 100 ? [line(stable, 100 - percent, "stable")] : []),
        ...(percent > 0 ? [line(canary, percent, "canary")] : []),
    ];
}

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

    it("renders exact integer weights at every percentage 0-100, a 0% server left out, and nginx accepts each", async () => {
        const nginx = await nginxPrefix();
        const wrong: string[] = [];
        const rejected: string[] = [];
        for (let percent = 0; percent <= 100; percent++) {
            const config = nginx.render(percent, backends.stable, backends.canary);
            const servers = serverLines(config);
            const expected = expectedServers(percent, backends.stable, backends.canary);
            if (JSON.stringify(servers) !== JSON.stringify(expected)) {
                wrong.push(`${percent}%: ${servers.join(" | ")}`);
            }
            await nginx.writeConfig(config);
            const result = nginx.check();
            if (!result.ok) {
                rejected.push(`${percent}%: ${result.output}`);
            }
        }
        assert.deepEqual(wrong, [], "server lines other than the exact percentages");
        assert.deepEqual(rejected, [], "nginx -t rejected the rendered config");
    });

    it("renders 25% as 75:25 and 75% as 25:75, where the seed's int((1-w)*10) / int(w*10) wrote 7:2 and 2:7", async () => {
        const nginx = await nginxPrefix();
        const { stable, canary } = backends;
        const weights = (percent: number): string[] =>
            serverLines(nginx.render(percent, stable, canary)).map((line) => /weight=(\d+)/.exec(line)?.[1] ?? "?");
        assert.deepEqual(weights(25), ["75", "25"]);
        assert.deepEqual(weights(75), ["25", "75"]);
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

    it("the seed's 0:10 at 100% is refused, so its promotion never applies; the renderer's 100% is accepted", async () => {
        const nginx = await nginxPrefix();
        // int((1 - 1.0) * 10) and int(1.0 * 10): what the seed's controller writes at 100%.
        const seedAt100 = { stable: 0, canary: 10 };
        await nginx.writeConfig(withWeights(nginx.render(50, backends.stable, backends.canary), seedAt100));
        const seed = nginx.check();
        assert.equal(seed.ok, false);
        assert.match(seed.output, /invalid parameter "weight=0"/);

        const rendered = nginx.render(100, backends.stable, backends.canary);
        assert.deepEqual(serverLines(rendered), expectedServers(100, backends.stable, backends.canary));
        await nginx.writeConfig(rendered);
        assert.equal(nginx.check().ok, true);
    });

    it("with a sticky cookie: the cohort maps, the hash before the servers, keepalive after it, accepted at 0, 50 and 100%", async () => {
        const nginx = await nginxPrefix();
        for (const percent of [0, 50, 100]) {
            const config = renderNginxConfig({
                name: "app",
                stable: backends.stable.address,
                canary: backends.canary.address,
                canaryPercent: percent,
                stickyCookie: "cohort",
                listen: "127.0.0.1:1",
                pidFile: nginx.pidFile,
                tempDir: join(nginx.dir, "tmp"),
                accessLog: join(nginx.dir, "logs", "access.log"),
                errorLog: nginx.errorLog,
            });
            const upstream = config.slice(config.indexOf("upstream app {"));
            const lines = upstream
                .slice(0, upstream.indexOf("}"))
                .split("\n")
                .map((line) => line.trim());
            assert.equal(lines[1], "hash $canary_cohort consistent;");
            assert.ok(
                lines.indexOf("keepalive 32;") > lines.map((line) => line.startsWith("server ")).lastIndexOf(true),
            );
            assert.match(
                config,
                /map \$cookie_cohort \$canary_cohort \{\n\s+"" \$request_id;\n\s+default \$cookie_cohort;/,
            );
            assert.match(config, /add_header Set-Cookie \$canary_cohort_set_cookie always;/);
            await nginx.writeConfig(config);
            const result = nginx.check();
            assert.equal(result.ok, true, `${percent}%: ${result.output}`);
        }
        assert.doesNotMatch(nginx.render(50, backends.stable, backends.canary), /hash|cohort/);
    });

    it("refuses a sticky cookie nginx could not read, naming the field", () => {
        for (const cookie of ["", "1st", "a-b", "a b", "x;y", "c".repeat(65)]) {
            assert.throws(
                () =>
                    renderNginxConfig({
                        name: "app",
                        stable: "s:80",
                        canary: "c:80",
                        canaryPercent: 10,
                        stickyCookie: cookie,
                    }),
                /^Error: stickyCookie: ".*" is not a cookie name nginx can read/,
                JSON.stringify(cookie),
            );
        }
    });
});
