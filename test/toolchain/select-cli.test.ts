/**
 * Which engine scripts/toolchain/bootstrap sets up (scripts/toolchain/select-cli): an installed CLI
 * of a supported 3.x with its own plugin acquisition when the network allows, the offline build from
 * Go modules otherwise or with --offline. The installed CLIs here are fakes on PATH that report a
 * version; "the network" is a local HTTP server standing in for the plugin site, or a closed port.
 * The last test runs the real bootstrap --offline, when its cache is warm, to see the path it takes.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

const ROOT = resolve(__dirname, "../..");
const SELECT = join(ROOT, "scripts/toolchain/select-cli");
const BOOTSTRAP = join(ROOT, "scripts/toolchain/bootstrap");
const CLOSED = "http://127.0.0.1:9/";
const run = promisify(execFile);

interface Decision {
    decision: string;
    bin: string;
    home: string;
    acquisition: string;
    reason: string;
}

let work: string;
let site: Server;
let siteUrl: string;

before(async () => {
    work = await mkdtemp(join(tmpdir(), "select-cli-"));
    site = createServer((_req, res) => res.writeHead(403).end());
    await new Promise<void>((done) => site.listen(0, "127.0.0.1", done));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
});
after(async () => {
    await new Promise((done) => site.close(done));
    await rm(work, { recursive: true, force: true });
});

let n = 0;
/** A directory with a fake `pulumi` printing `version` (and a language host unless told not to). */
async function fakeCli(version: string, opts: { host?: boolean } = {}): Promise<string> {
    const dir = join(work, `cli-${++n}`);
    await mkdir(dir);
    await writeFile(join(dir, "pulumi"), `#!/bin/sh\n[ "$1" = version ] && echo ${version}\n`);
    await chmod(join(dir, "pulumi"), 0o755);
    if (opts.host ?? true) {
        await writeFile(join(dir, "pulumi-language-nodejs"), "#!/bin/sh\n");
        await chmod(join(dir, "pulumi-language-nodejs"), 0o755);
    }
    return dir;
}

/** Installs fake plugins into a PULUMI_HOME the way `pulumi plugin install` lays them out. */
async function pluginHome(plugins: Record<string, string>): Promise<string> {
    const home = join(work, `home-${++n}`);
    for (const [name, version] of Object.entries(plugins)) {
        const dir = join(home, "plugins", `resource-${name}-v${version}`);
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, `pulumi-resource-${name}`), "#!/bin/sh\n");
        await chmod(join(dir, `pulumi-resource-${name}`), 0o755);
    }
    return home;
}

async function select(opts: { cli?: string; site: string; home?: string; args?: string[] }): Promise<Decision> {
    const versions = join(work, "versions.env");
    await writeFile(versions, 'PLUGINS="kubernetes github"\nKUBERNETES_VERSION=4.25.0\nGITHUB_VERSION=6.7.3\n');
    const env: NodeJS.ProcessEnv = {
        PATH: [opts.cli, "/usr/bin", "/bin"].filter((p) => p !== undefined).join(":"),
        HOME: work,
        CICD_CACHE: join(work, "cache"),
        TOOLCHAIN_VERSIONS_FILE: versions,
        TOOLCHAIN_PLUGIN_SITE: opts.site,
        TOOLCHAIN_PROBE_SECONDS: "3",
        ...(opts.home === undefined ? {} : { PULUMI_HOME: opts.home }),
    };
    const { stdout } = await run(SELECT, opts.args ?? [], { env });
    const out: Record<string, string> = {};
    for (const line of stdout.trimEnd().split("\n")) {
        const at = line.indexOf("=");
        out[line.slice(0, at)] = line.slice(at + 1);
    }
    return out as unknown as Decision;
}

describe("select-cli: an installed CLI", () => {
    it("of a supported 3.x is used with its own plugin acquisition when the plugin site answers", async () => {
        const cli = await fakeCli("v3.276.0");
        const d = await select({ cli, site: siteUrl });
        assert.equal(d.decision, "system");
        assert.equal(d.bin, cli);
        assert.equal(d.acquisition, "auto");
        assert.equal(d.home, join(work, ".pulumi"));
        assert.match(d.reason, /pulumi v3\.276\.0 .* plugins acquired by the CLI/);
    });

    it("at exactly the minimum, v3.187.0, and with a pre-release suffix, is supported", async () => {
        for (const version of ["v3.187.0", "v3.300.1-alpha.1700000000"]) {
            const d = await select({ cli: await fakeCli(version), site: siteUrl });
            assert.equal(d.decision, "system", version);
        }
    });

    it("older than v3.187.0, or v4, is not: the offline build, saying why", async () => {
        for (const version of ["v3.186.0", "v3.99.0", "v4.0.0", "v2.25.2"]) {
            const d = await select({ cli: await fakeCli(version), site: siteUrl });
            assert.equal(d.decision, "build", version);
            assert.match(
                d.reason,
                new RegExp(`is ${version.replace(/\./g, "\\.")}, outside the supported >= v3\\.187\\.0, < v4`),
            );
        }
    });

    it("without a Node.js language host is not used", async () => {
        const d = await select({ cli: await fakeCli("v3.276.0", { host: false }), site: siteUrl });
        assert.equal(d.decision, "build");
        assert.match(d.reason, /no pulumi-language-nodejs/);
    });

    it("that prints no version is not used", async () => {
        const d = await select({ cli: await fakeCli("garbage"), site: siteUrl });
        assert.equal(d.decision, "build");
        assert.match(d.reason, /does not report a version/);
    });

    it("offline is used only when every pinned plugin is already in its PULUMI_HOME", async () => {
        const cli = await fakeCli("v3.250.0");
        const full = await pluginHome({ kubernetes: "4.25.0", github: "6.7.3" });
        const used = await select({ cli, site: CLOSED, home: full });
        assert.equal(used.decision, "system");
        assert.equal(used.acquisition, "off");
        assert.equal(used.home, full);

        const partial = await pluginHome({ kubernetes: "4.25.0", github: "6.15.0" });
        const built = await select({ cli, site: CLOSED, home: partial });
        assert.equal(built.decision, "build");
        assert.match(built.reason, /unreachable and .* lacks: github v6\.7\.3$/);
    });

    it("is ignored with --offline, which is what CI runs", async () => {
        const d = await select({ cli: await fakeCli("v3.276.0"), site: siteUrl, args: ["--offline"] });
        assert.equal(d.decision, "build");
        assert.equal(d.reason, "--offline given");
    });

    it("absent: the offline build", async () => {
        const d = await select({ site: siteUrl });
        assert.equal(d.decision, "build");
        assert.equal(d.reason, "no pulumi on PATH");
    });

    it("that is this toolchain's own cache is not mistaken for an installed one", async () => {
        const own = join(work, "cache/toolchain/bin");
        await mkdir(own, { recursive: true });
        await writeFile(join(own, "pulumi"), "#!/bin/sh\necho v3.274.1\n");
        await chmod(join(own, "pulumi"), 0o755);
        const d = await select({ cli: own, site: siteUrl });
        assert.equal(d.decision, "build");
        assert.match(d.reason, /this toolchain's own/);
    });
});

describe("bootstrap --offline", () => {
    it("takes the Go-module path and says so in one line", async (t) => {
        // Only on a warm cache: a cold one would start a build of tens of minutes.
        const tc = join(process.env.CICD_CACHE ?? join(homedir(), ".cache/cicd-platform"), "toolchain");
        if (!existsSync(join(tc, "github-6.7.3/.built"))) {
            t.skip(`the github plugin is not built in ${tc}: run scripts/toolchain/bootstrap --offline first`);
            return;
        }
        const cli = await fakeCli("v3.276.0");
        const { stderr } = await run(BOOTSTRAP, ["--offline", "--only", "github"], {
            env: { ...process.env, PATH: `${cli}:${process.env.PATH ?? ""}`, TOOLCHAIN_PLUGIN_SITE: siteUrl },
        });
        const lines = stderr.split("\n").filter((l) => l.includes("offline toolchain from Go modules"));
        assert.deepEqual(lines, ["[toolchain] offline toolchain from Go modules: --offline given"]);
        assert.match(stderr, /\[toolchain\] github v6\.7\.3: cached/);
    });
});
