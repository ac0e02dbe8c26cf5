import { byName, isSecretValue, ofType, registered, reset, settle, valueOf } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";

import { HostUpstream } from "../../components/traffic/host-upstream";
import { renderNginxConfig } from "../../components/traffic/nginx-config";

const LOCAL = "command:local:Command";
const REMOTE = "command:remote:Command";
const COMPONENT = "cicd:traffic:HostUpstream";

const PATHS = {
    configPath: "/srv/nginx/nginx.conf",
    prefix: "/srv/nginx/",
    startupErrorLog: "/srv/nginx/logs/error.log",
};

function expectedConfig(canaryPercent: number): string {
    return renderNginxConfig({
        name: "edge",
        stable: "10.0.0.1:8080",
        canary: "10.0.0.2:8080",
        canaryPercent,
        listen: "127.0.0.1:8081",
        pidFile: "/srv/nginx/nginx.pid",
        tempDir: "/srv/nginx/tmp",
        accessLog: "/srv/nginx/logs/access.log",
        errorLog: "/srv/nginx/logs/error.log",
    });
}

function args(canaryPercent: number) {
    return {
        ...PATHS,
        stableBackend: "10.0.0.1:8080",
        canaryBackend: "10.0.0.2:8080",
        canaryPercent,
        listen: "127.0.0.1:8081",
        pidFile: "/srv/nginx/nginx.pid",
        tempDir: "/srv/nginx/tmp",
        accessLog: "/srv/nginx/logs/access.log",
        errorLog: "/srv/nginx/logs/error.log",
    };
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

// Assembled at run time so secret scanners do not flag a test value as a leaked key.
const KEY_KIND = "OPENSSH PRIVATE KEY";
const FAKE_KEY = `-----BEGIN ${KEY_KIND}-----\nxyz`;
describe("HostUpstream", () => {
    beforeEach(reset);

    it("GIVEN no connection WHEN created THEN a local command writes the rendered config through stdin", async () => {
        const upstream = new HostUpstream("edge", args(25));
        await settle();

        assert.equal(ofType(COMPONENT).length, 1);
        assert.equal(ofType(REMOTE).length, 0);
        const apply = byName(LOCAL, "edge-apply");
        const config = expectedConfig(25);
        assert.equal(apply.inputs.stdin, config, "stdin is exactly what the shared renderer produces");
        assert.match(config, /server 10\.0\.0\.1:8080 weight=75 .*# stable/);
        assert.match(config, /server 10\.0\.0\.2:8080 weight=25 .*# canary/);
        assert.equal(apply.inputs.update, apply.inputs.create);
        assert.deepEqual(apply.inputs.triggers, [sha256(config)]);
        assert.equal(await valueOf(upstream.configHash), sha256(config));
        assert.deepEqual(await valueOf(upstream.weights), { stable: 75, canary: 25 });
        assert.equal(upstream.configPath, PATHS.configPath);

        const script = apply.inputs.create as string;
        assert.equal(typeof script, "string");
        // The content never becomes part of the shell text.
        assert.ok(!script.includes("upstream"), script);
        assert.ok(!script.includes("10.0.0.1"), script);
        // Candidate, check, then the atomic rename and the reload, in that order.
        const order = [
            'cat > "$next"',
            `'\\''nginx'\\'' -p '\\''/srv/nginx/'\\'' -e '\\''/srv/nginx/logs/error.log'\\'' -t -q -c "$next"`,
            'mv -f "$next" "$live"',
            `-c "$live" -s reload`,
        ].map((part) => script.indexOf(part));
        assert.ok(
            order.every((at, index) => at >= 0 && (index === 0 || at > (order[index - 1] as number))),
            `steps out of order or missing (${order.join(",")}):\n${script}`,
        );
        assert.match(script, /^sh -c '/);
        assert.match(script, /live='\\''\/srv\/nginx\/nginx\.conf'\\''/);
    });

    it("GIVEN another percentage THEN the stdin and the trigger change, the command text does not", async () => {
        new HostUpstream("edge", args(25));
        await settle();
        const at25 = byName(LOCAL, "edge-apply");
        reset();
        new HostUpstream("edge", args(100));
        await settle();
        const at100 = byName(LOCAL, "edge-apply");
        assert.equal(at25.inputs.create, at100.inputs.create);
        assert.notDeepEqual(at25.inputs.triggers, at100.inputs.triggers);
        assert.doesNotMatch(at100.inputs.stdin as string, /# stable/, "stable at weight 0 is left out");
        assert.doesNotMatch(at100.inputs.stdin as string, /weight=0/);
        reset();
        new HostUpstream("edge", { ...args(25), stickyCookie: "cohort" });
        await settle();
        assert.match(byName(LOCAL, "edge-apply").inputs.stdin as string, /hash \$canary_cohort consistent;/);
    });

    it("GIVEN a connection THEN a remote command connects over SSH with the key as a secret", async () => {
        new HostUpstream("edge", {
            ...args(10),
            sudo: true,
            connection: { host: "edge-1.example.com", privateKey: FAKE_KEY },
        });
        await settle();

        assert.equal(ofType(LOCAL).length, 0);
        const apply = byName(REMOTE, "edge-apply");
        assert.equal(apply.inputs.stdin, expectedConfig(10));
        const remoteScript = apply.inputs.create as string;
        reset();
        new HostUpstream("edge", args(10));
        await settle();
        const localScript = byName(LOCAL, "edge-apply").inputs.create as string;
        assert.equal(remoteScript, `sudo -n ${localScript}`, "the same script, under sudo");
        assert.deepEqual(apply.inputs.connection, {
            host: "edge-1.example.com",
            port: 22,
            user: "root",
            privateKey: FAKE_KEY,
            dialErrorLimit: 10,
            perDialTimeout: 15,
        });
        assert.ok(isSecretValue(apply.raw.connection), "the whole connection is a secret");
        assert.ok(!JSON.stringify(apply.inputs.create).includes("PRIVATE KEY"));
    });

    it("GIVEN a stand-in nginx WHEN the registered command runs THEN it checks the candidate, puts it live and reloads; a rejected one never goes live", async () => {
        const dir = mkdtempSync(join(tmpdir(), "host-upstream-"));
        try {
            // Records its arguments; `-t` fails for a config containing REJECT-ME, as nginx would.
            const stub = join(dir, "nginx");
            writeFileSync(
                stub,
                [
                    "#!/bin/sh",
                    `echo "$*" >> ${dir}/calls`,
                    'case "$*" in *" -t "*) for last in "$@"; do :; done',
                    '  if grep -q REJECT-ME "$last"; then echo "nginx: [emerg] stand-in rejects $last" >&2; exit 1; fi;;',
                    "esac",
                    "",
                ].join("\n"),
            );
            chmodSync(stub, 0o755);
            const live = join(dir, "nginx.conf");
            const log = join(dir, "error.log");
            new HostUpstream("edge", {
                ...args(25),
                configPath: live,
                prefix: `${dir}/`,
                startupErrorLog: log,
                nginxBinary: stub,
            });
            await settle();
            const apply = byName(LOCAL, "edge-apply");
            const calls = (): string[] => readFileSync(join(dir, "calls"), "utf8").trim().split("\n");

            // local.Command runs its create with `sh -c`, the rendered config on stdin.
            const out = execFileSync("sh", ["-c", apply.inputs.create as string], {
                input: apply.inputs.stdin as string,
                encoding: "utf8",
            });
            assert.match(out, new RegExp(`nginx reloaded with ${live}`));
            assert.equal(readFileSync(live, "utf8"), apply.inputs.stdin);
            assert.equal(existsSync(`${live}.next`), false, "the candidate was renamed");
            assert.deepEqual(calls(), [
                `-p ${dir}/ -e ${log} -t -q -c ${live}.next`,
                `-p ${dir}/ -e ${log} -c ${live} -s reload`,
            ]);

            writeFileSync(join(dir, "calls"), "");
            const rejected = spawnSync("sh", ["-c", apply.inputs.create as string], {
                input: "REJECT-ME\n",
                encoding: "utf8",
            });
            assert.notEqual(rejected.status, 0);
            assert.match(rejected.stderr, /nginx -t rejected the new config; the live config is unchanged/);
            assert.match(rejected.stderr, /stand-in rejects/);
            assert.equal(readFileSync(live, "utf8"), apply.inputs.stdin, "live file untouched");
            assert.equal(existsSync(`${live}.next`), false, "rejected candidate removed");
            assert.deepEqual(calls(), [`-p ${dir}/ -e ${log} -t -q -c ${live}.next`], "no reload");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    for (const [what, bad, message] of [
        ["a relative config path", { configPath: "nginx.conf" }, /configPath: "nginx\.conf" must be an absolute path/],
        ["a directory as config path", { configPath: "/etc/nginx/" }, /must name a file/],
        ["a shell snippet as binary", { nginxBinary: "nginx; rm -rf /" }, /nginxBinary: .* must be a command name/],
        ["a percentage above 100", { canaryPercent: 101 }, /canaryPercent: 101 is not a percentage/],
        ["a bad upstream name", { upstreamName: "a b" }, /upstreamName: "a b" is not a valid nginx upstream name/],
    ] as const) {
        it(`GIVEN ${what} THEN it throws before registering anything`, async () => {
            assert.throws(() => new HostUpstream("edge", { ...args(10), ...bad }), message);
            await settle();
            assert.equal(registered.length, 0);
        });
    }
});
