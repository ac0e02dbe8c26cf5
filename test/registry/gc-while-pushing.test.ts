/**
 * Garbage collection racing pushes, on Debian's docker-registry (Distribution 2.8) with the
 * component's own writer supervisor and collector scripts: a push either completes with every blob
 * present afterwards, or is refused and succeeds when retried. Nothing is lost.
 *
 * Processes started here are recorded by pid and stopped by that pid.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { renderHtpasswd } from "../../components/registry/htpasswd";
import { COLLECTOR_SCRIPT, WRITER_SUPERVISOR_SCRIPT } from "../../components/registry/private-registry/gc-scripts";
import { renderRegistryConfigPair } from "../../components/registry/registry-config";
import { freePort } from "../support/free-port";
import { type OciImage, readOciLayer, writeOciImage } from "./oci-image";
import {
    blobDataPath,
    type Credential,
    httpStatus,
    removeDir,
    requireBinary,
    run,
    Skopeo,
    WRITER_UID,
} from "./registry-harness";

const PUSH: Credential = { username: "ci-push", password: "push-Secret-race-51c0" };
const HTTP_SECRET = "http-secret-gc-race-0123456789abcdef";
const isRoot = process.getuid?.() === 0;
/** Short in the test, a minute in the pod: how long an unrefreshed request holds the writer. */
const STALE_SECONDS = 4;

function asWriter(command: readonly string[]): string[] {
    return isRoot
        ? [
              requireBinary("setpriv", "util-linux"),
              `--reuid=${WRITER_UID}`,
              `--regid=${WRITER_UID}`,
              "--clear-groups",
              "--",
              ...command,
          ]
        : [...command];
}

const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
    readonly image: OciImage;
    readonly repo: string;
    /** Attempts refused before the one that went through. */
    readonly refusals: string[];
    readonly pushed: boolean;
}

describe("registry garbage collection while CI pushes (real docker-registry)", { timeout: 300_000 }, () => {
    let dir = "";
    let storage = "";
    let control = "";
    let endpoint = "";
    let writer: ChildProcess | undefined;
    let skopeo: Skopeo;
    const binary = (): string => requireBinary("docker-registry", "docker-registry");
    const configPath = (): string => join(dir, "config.yml");
    const writerLog = (): Promise<string> => readFile(join(dir, "writer.log"), "utf8");

    before(async () => {
        dir = await mkdtemp(join(tmpdir(), "cicd-gc-race-"));
        await chmod(dir, 0o755);
        storage = join(dir, "storage");
        control = join(storage, ".maintenance");
        await mkdir(storage, { mode: 0o755 });
        endpoint = `127.0.0.1:${await freePort()}`;
        const configs = renderRegistryConfigPair({
            rootDirectory: storage,
            pushAddr: endpoint,
            pullAddr: `127.0.0.1:${await freePort()}`,
            pushHtpasswdPath: join(dir, "push.htpasswd"),
            pullHtpasswdPath: join(dir, "pull.htpasswd"),
            deleteEnabled: true,
            garbageCollection: true,
            httpSecret: HTTP_SECRET,
        });
        await writeFile(configPath(), configs.push, { mode: 0o644 });
        await writeFile(join(dir, "push-read-only.yml"), configs.pushReadOnly, { mode: 0o644 });
        await writeFile(join(dir, "push.htpasswd"), renderHtpasswd(PUSH.username, PUSH.password, HTTP_SECRET, 4), {
            mode: 0o400,
        });
        if (isRoot) {
            await chown(storage, WRITER_UID, WRITER_UID);
            await chown(join(dir, "push.htpasswd"), WRITER_UID, WRITER_UID);
        }
        const work = join(dir, "work");
        await mkdir(work);
        skopeo = await Skopeo.create(work);

        const command = asWriter([
            "sh",
            "-c",
            WRITER_SUPERVISOR_SCRIPT,
            "registry-writer",
            binary(),
            configPath(),
            join(dir, "push-read-only.yml"),
            control,
            String(STALE_SECONDS),
        ]);
        const fd = openSync(join(dir, "writer.log"), "a");
        writer = spawn(command[0] as string, command.slice(1), { stdio: ["ignore", fd, fd], env });
        closeSync(fd);
        await waitUntil(async () => (await httpStatus(`http://${endpoint}/`).catch(() => 0)) === 200, 20_000);
    });

    after(async () => {
        if (writer?.pid !== undefined && writer.exitCode === null) {
            const exited = new Promise((resolve) => writer?.once("exit", resolve));
            // SIGTERM to the supervisor: it stops its registry process and exits.
            process.kill(writer.pid, "SIGTERM");
            await exited;
        }
        if (dir) {
            await removeDir(dir);
        }
    });

    async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            if (await check()) {
                return;
            }
            await sleep(200);
        }
        throw new Error(`timed out after ${timeoutMs} ms; writer log:\n${(await writerLog()).slice(-3000)}`);
    }

    const creds = `${PUSH.username}:${PUSH.password}`;
    const push = (image: OciImage, repo: string) =>
        skopeo.run([
            "copy",
            "--retry-times=0",
            "--preserve-digests",
            "--dest-tls-verify=false",
            `--dest-creds=${creds}`,
            image.reference,
            `docker://${endpoint}/${repo}`,
        ]);

    /** Pushes until it goes through (at most 10 attempts), keeping why each refused attempt failed. */
    async function pushWithRetries(image: OciImage, repo: string): Promise<Outcome> {
        const refusals: string[] = [];
        for (let attempt = 0; attempt < 10; attempt++) {
            const result = await push(image, repo);
            if (result.code === 0) {
                return { image, repo, refusals, pushed: true };
            }
            refusals.push(result.stderr.trim().split("\n").at(-1) ?? "");
            await sleep(500);
        }
        return { image, repo, refusals, pushed: false };
    }

    function collect(waitSeconds: number, extra: string[] = [], config = configPath(), controlDir = control) {
        return run(
            asWriter([
                "sh",
                "-c",
                COLLECTOR_SCRIPT,
                "garbage-collect",
                binary(),
                config,
                controlDir,
                String(waitSeconds),
                ...extra,
            ]),
            env,
            120_000,
        );
    }

    /** Every blob of the image is on disk and a pull by digest returns its content. */
    async function intact(outcome: Outcome, content: string): Promise<string[]> {
        const missing = [outcome.image.manifestDigest, outcome.image.configDigest, outcome.image.layerDigest].filter(
            (digest) => !existsSync(blobDataPath(storage, digest)),
        );
        await mkdir(join(dir, "pulled"), { recursive: true });
        const out = join(dir, "pulled", outcome.repo.replace(/[/:]/g, "-"));
        const repository = outcome.repo.split(":")[0] ?? "";
        const pulled = await skopeo.run([
            "copy",
            "--src-tls-verify=false",
            `--src-creds=${creds}`,
            `docker://${endpoint}/${repository}@${outcome.image.manifestDigest}`,
            `oci:${out}:pulled`,
        ]);
        if (pulled.code !== 0) {
            return [...missing, `pull by digest failed: ${pulled.stderr.trim()}`];
        }
        const layer = (await readOciLayer(out, "pulled")).layer.toString("latin1");
        return layer.includes(content) ? missing : [...missing, "layer content differs"];
    }

    it("collects nothing without the writer's acknowledgement; a failed collection restores the writer at once", async () => {
        // Nobody watches this directory, as when the writer runs without its supervisor.
        const unwatched = await collect(2, [], configPath(), join(storage, "unwatched"));
        assert.equal(unwatched.code, 1);
        assert.match(unwatched.stderr, /did not switch to read-only within 2s; nothing collected/);
        assert.equal(existsSync(join(dir, "unwatched", "gc-request")), false, "the request is withdrawn");

        const failed = await collect(10, [], join(dir, "nonexistent.yml"));
        assert.notEqual(failed.code, 0);
        assert.match(failed.stderr, /the writer is read-only; collecting/);
        assert.equal(existsSync(join(control, "gc-request")), false, "withdrawn after the failure");
        const probe = await writeOciImage(join(dir, "img", "after-failure"), "v1", { "f.txt": "after a failed run\n" });
        const outcome = await pushWithRetries(probe, "team/after-failure:v1");
        assert.ok(outcome.pushed, outcome.refusals.join(" | "));
    });

    it("pushes racing three collections: each completes with every blob present, or is refused and succeeds on retry", async () => {
        const MAX_RACE_PUSHES = 60;
        const base = await writeOciImage(join(dir, "img", "base"), "v1", { "f.txt": "base image\n" });
        assert.equal((await push(base, "team/base:v1")).code, 0);

        // Enough distinct images (each a new upload) to keep two pushers busy through every
        // collection: pushes are in flight whenever the writer switches, so the race is exercised.
        const images = await Promise.all(
            Array.from({ length: MAX_RACE_PUSHES }, (_, i) =>
                writeOciImage(join(dir, "img", `race-${i}`), "v1", { "f.txt": `race image ${i}\n` }),
            ),
        );
        const count = (log: string, pattern: RegExp): number => (log.match(pattern) ?? []).length;
        const switches = /serving read-only until it is done/g;
        const restores = /garbage collection over; accepting pushes/g;
        const before = await writerLog();
        let collecting = true;
        const collections: { code: number; stderr: string }[] = [];
        const collector = (async () => {
            for (let run = 0; run < 3; run++) {
                collections.push(await collect(30));
                await sleep(300);
            }
            collecting = false;
        })();
        // Two CI jobs pushing one image after another for as long as the collections run.
        const outcomes: Outcome[] = [];
        const pusher = async (offset: number): Promise<void> => {
            for (let i = offset; i < images.length && (collecting || i < offset + 4); i += 2) {
                outcomes.push(await pushWithRetries(images[i] as OciImage, `team/race-${i}:v1`));
            }
        };
        await Promise.all([pusher(0), pusher(1), collector]);
        assert.equal(collecting, false);

        for (const run of collections) {
            assert.equal(run.code, 0, run.stderr);
            assert.match(run.stderr, /the writer is read-only; collecting/);
        }
        const log = await writerLog();
        assert.equal(count(log, switches) - count(before, switches), 3, log.slice(-2000));
        assert.equal(count(log, restores) - count(before, restores), 3, log.slice(-2000));

        const lost: string[] = [];
        for (const [index, outcome] of outcomes.entries()) {
            assert.ok(outcome.pushed, `${outcome.repo} never went through: ${outcome.refusals.join(" | ")}`);
            const problems = await intact(outcome, `race image ${outcome.repo.match(/race-(\d+)/)?.[1] ?? index}`);
            lost.push(...problems.map((p) => `${outcome.repo}: ${p}`));
        }
        lost.push(...(await intact({ image: base, repo: "team/base:v1", refusals: [], pushed: true }, "base image")));
        const refused = outcomes.filter((o) => o.refusals.length > 0);
        console.log(
            `[gc race] ${outcomes.length} pushes, ${collections.length} collections; ` +
                `${refused.length} refused at least once and then succeeded on retry ` +
                `(${refused.flatMap((o) => o.refusals).length} refusals, e.g. ${JSON.stringify(refused[0]?.refusals[0] ?? "")}); ` +
                `lost: ${lost.length}`,
        );
        assert.deepEqual(lost, [], "every pushed image is whole and pulls by digest");
        assert.ok(refused.length > 0, "at least one push overlapped a collection (the race was exercised)");
    });

    it("a collector killed without its cleanup holds pushes for at most the stale time", async () => {
        // A request as a SIGKILLed collector leaves it: written, never refreshed, never withdrawn.
        await writeFile(join(control, "gc-request"), `${Math.floor(Date.now() / 1000)} killed-collector\n`);
        await waitUntil(() => Promise.resolve(existsSync(join(control, "writer-read-only"))), 10_000);
        const image = await writeOciImage(join(dir, "img", "stale"), "v1", { "f.txt": "after a stale request\n" });
        const refused = await push(image, "team/stale:v1");
        assert.notEqual(refused.code, 0, "refused while held");
        const start = Date.now();
        const outcome = await pushWithRetries(image, "team/stale:v1");
        assert.ok(outcome.pushed, outcome.refusals.join(" | "));
        assert.ok(Date.now() - start < (STALE_SECONDS + 5) * 1000, "released by the stale timeout");
        assert.deepEqual(await intact(outcome, "after a stale request"), []);
    });
});
