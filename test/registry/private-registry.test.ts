/**
 * The PrivateRegistry's rendered config and htpasswd, run for real: Debian's docker-registry
 * (Distribution 2.8) on loopback, driven by Debian's skopeo with an OCI image written by hand.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { garbageCollectCommand, garbageCollectPrepareCommand } from "../../components/registry/registry-config";
import { dockerConfigJson } from "../../components/registry/registry-credentials";
import { PRIVATE_REGISTRY_DEFAULTS } from "../../components/shared/defaults";
import {
    basic,
    blobDataPath,
    type Credential,
    httpStatus,
    type OciImage,
    readOciLayer,
    type RegistryPair,
    removeDir,
    requireBinary,
    run,
    runAsWriter,
    Skopeo,
    startRegistryPair,
    writeOciImage,
} from "./registry-harness";

const PUSH: Credential = { username: "ci-push", password: "push-Secret-7f3a9c" };
const PULL: Credential = { username: "cluster-pull", password: "pull-Secret-2b8e41" };
const HTTP_SECRET = "http-secret-for-tests-0123456789abcdef";
/** The component's default cost: the registry pays it on every request, so timings are realistic. */
const BCRYPT_COST = PRIVATE_REGISTRY_DEFAULTS.bcryptCost;

const timings: string[] = [];

async function timed<T>(label: string, action: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await action();
    timings.push(`${label}: ${Math.round(performance.now() - start)} ms`);
    return result;
}

function assertOk(result: { code: number; stdout: string; stderr: string }, what: string): void {
    assert.equal(result.code, 0, `${what} failed (exit ${result.code}):\n${result.stderr}${result.stdout}`);
}

function assertFailed(result: { code: number; stderr: string }, pattern: RegExp, what: string): void {
    assert.notEqual(result.code, 0, `${what} unexpectedly succeeded`);
    assert.match(result.stderr, pattern, `${what}: unexpected error:\n${result.stderr}`);
}

async function request(
    method: string,
    url: string,
    credential?: Credential,
    headers: Record<string, string> = {},
): Promise<Response> {
    const response = await fetch(url, {
        method,
        headers: { ...headers, ...(credential ? { authorization: basic(credential) } : {}) },
    });
    await response.arrayBuffer();
    return response;
}

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

describe("PrivateRegistry on a real Distribution 2.8 (rendered config.yml + htpasswd)", () => {
    let pair: RegistryPair;
    let work: string;
    let skopeo: Skopeo;
    let v1: OciImage;
    let v2: OciImage;

    before(async () => {
        requireBinary("docker-registry", "docker-registry");
        requireBinary("skopeo", "skopeo");
        work = await mkdtemp(join(tmpdir(), "cicd-registry-work-"));
        skopeo = await Skopeo.create(work);
        v1 = await writeOciImage(join(work, "v1"), "v1", { "hello.txt": "hello from v1\n" });
        v2 = await writeOciImage(join(work, "v2"), "v2", { "hello.txt": "hello from v2, soon deleted\n" });
        pair = await startRegistryPair({
            push: PUSH,
            pull: PULL,
            httpSecret: HTTP_SECRET,
            bcryptCost: BCRYPT_COST,
            deleteEnabled: true,
            garbageCollection: true,
        });
    });

    after(async () => {
        await pair.stop();
        await removeDir(pair.dir);
        await removeDir(work);
        console.log(`[registry timings] ${timings.join("; ")}`);
    });

    const pushRef = (repo: string): string => `docker://${pair.pushEndpoint}/${repo}`;
    const pullRef = (repo: string): string => `docker://${pair.pullEndpoint}/${repo}`;
    const creds = (c: Credential): string => `${c.username}:${c.password}`;

    async function pushImage(image: OciImage, repo: string, credential = PUSH, endpoint = pushRef) {
        return skopeo.run([
            "copy",
            "--retry-times=0",
            // Fail rather than let skopeo rewrite the image: digests are compared below.
            "--preserve-digests",
            "--dest-tls-verify=false",
            `--dest-creds=${creds(credential)}`,
            image.reference,
            endpoint(repo),
        ]);
    }

    it("pushes a hand-written OCI image with the push credential and pulls it with the pull credential", async () => {
        assertOk(await timed("push v1 (push credential)", () => pushImage(v1, "team/app:v1")), "push");
        const out = join(work, "pulled-v1");
        const pulled = await timed("pull v1 (pull credential)", () =>
            skopeo.run([
                "copy",
                "--retry-times=0",
                "--src-tls-verify=false",
                `--src-creds=${creds(PULL)}`,
                pullRef("team/app:v1"),
                `oci:${out}:v1`,
            ]),
        );
        assertOk(pulled, "pull");
        const { manifestDigest, layer } = await readOciLayer(out, "v1");
        assert.equal(manifestDigest, v1.manifestDigest, "the pulled manifest is the pushed one, byte for byte");
        assert.match(layer.toString("latin1"), /hello\.txt[\s\S]*hello from v1\n/);
        assert.ok(existsSync(blobDataPath(pair.storage, v1.layerDigest)), "the layer is in the shared storage");
    });

    it("refuses every write by the pull credential: 405 on the read-only endpoint, 401 on the push endpoint", async () => {
        const viaPull = await pushImage(v2, "team/evil:x", PULL, pullRef);
        assertFailed(
            viaPull,
            /405|method not allowed|unsupported/i,
            "push with the pull credential to the pull endpoint",
        );
        const viaPush = await pushImage(v2, "team/evil:x", PULL, pushRef);
        assertFailed(
            viaPush,
            /401|unauthorized|authentication required/i,
            "push with the pull credential to the push endpoint",
        );

        const pullBase = `http://${pair.pullEndpoint}/v2`;
        const pushBase = `http://${pair.pushEndpoint}/v2`;
        assert.equal((await request("POST", `${pullBase}/team/evil/blobs/uploads/`, PULL)).status, 405);
        assert.equal(
            (await request("PUT", `${pullBase}/team/evil/manifests/x`, PULL, { "content-type": OCI_MANIFEST })).status,
            405,
        );
        assert.equal(
            (await request("DELETE", `${pullBase}/team/app/manifests/${v1.manifestDigest}`, PULL)).status,
            405,
        );
        assert.equal((await request("POST", `${pushBase}/team/evil/blobs/uploads/`, PULL)).status, 401);
        assert.equal(
            (await request("DELETE", `${pushBase}/team/app/manifests/${v1.manifestDigest}`, PULL)).status,
            401,
        );

        // Nothing was written, and v1 is untouched.
        assert.equal(existsSync(join(pair.storage, "docker/registry/v2/repositories/team/evil")), false);
        assert.equal((await request("GET", `${pushBase}/team/evil/tags/list`, PUSH)).status, 404);
        const head = await request("HEAD", `${pullBase}/team/app/manifests/v1`, PULL, { accept: OCI_MANIFEST });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("docker-content-digest"), v1.manifestDigest);
    });

    it("answers 401 with a Basic challenge to no credential, a wrong password and the other endpoint's user", async () => {
        for (const [endpoint, own, other] of [
            [pair.pushEndpoint, PUSH, PULL],
            [pair.pullEndpoint, PULL, PUSH],
        ] as const) {
            const base = `http://${endpoint}/v2`;
            const anonymous = await request("GET", `${base}/`);
            assert.equal(anonymous.status, 401, `${endpoint} anonymous`);
            assert.equal(anonymous.headers.get("www-authenticate"), 'Basic realm="cicd-platform-registry"');
            assert.equal((await request("GET", `${base}/team/app/manifests/v1`)).status, 401);
            assert.equal(
                (await request("GET", `${base}/`, { username: own.username, password: `${own.password}x` })).status,
                401,
                `${endpoint} wrong password`,
            );
            assert.equal((await request("GET", `${base}/`, other)).status, 401, `${endpoint} other user`);
            assert.equal((await request("GET", `${base}/`, own)).status, 200, `${endpoint} own user`);
            // The probe path answers without credentials, so kubelet probes need none.
            assert.equal(await httpStatus(`http://${endpoint}/`), 200);
        }
        assertFailed(
            await skopeo.run(["inspect", "--tls-verify=false", "--no-creds", pullRef("team/app:v1")]),
            /401|unauthorized|authentication required/i,
            "anonymous inspect",
        );
        assertFailed(
            await skopeo.run([
                "inspect",
                "--tls-verify=false",
                `--creds=${PULL.username}:wrong`,
                pullRef("team/app:v1"),
            ]),
            /401|unauthorized|authentication required/i,
            "inspect with a wrong password",
        );
    });

    it("accepts the dockerconfigjson RegistryCredentials writes, as-is, through skopeo --authfile", async () => {
        const pullAuth = join(work, "pull-auth.json");
        await writeFile(pullAuth, dockerConfigJson(pair.pullEndpoint, PULL.username, PULL.password));
        const inspected = await skopeo.run([
            "inspect",
            "--tls-verify=false",
            `--authfile=${pullAuth}`,
            pullRef("team/app:v1"),
        ]);
        assertOk(inspected, "inspect with the pull authfile");
        assert.equal((JSON.parse(inspected.stdout) as { Digest: string }).Digest, v1.manifestDigest);
        const out = join(work, "pulled-authfile");
        assertOk(
            await skopeo.run([
                "copy",
                "--src-tls-verify=false",
                `--src-authfile=${pullAuth}`,
                pullRef("team/app:v1"),
                `oci:${out}:v1`,
            ]),
            "pull with the pull authfile",
        );
        assert.equal((await readOciLayer(out, "v1")).manifestDigest, v1.manifestDigest);

        // The push credential, fanned out to CI the same way, pushes; the pull one does not.
        const pushAuth = join(work, "push-auth.json");
        await writeFile(pushAuth, dockerConfigJson(pair.pushEndpoint, PUSH.username, PUSH.password));
        assertOk(
            await skopeo.run([
                "copy",
                "--dest-tls-verify=false",
                `--dest-authfile=${pushAuth}`,
                v1.reference,
                pushRef("team/app:ci"),
            ]),
            "push with the push authfile",
        );
        const wrongAuth = join(work, "pull-auth-on-push.json");
        await writeFile(wrongAuth, dockerConfigJson(pair.pushEndpoint, PULL.username, PULL.password));
        assertFailed(
            await skopeo.run([
                "copy",
                "--dest-tls-verify=false",
                `--dest-authfile=${wrongAuth}`,
                v1.reference,
                pushRef("team/app:nope"),
            ]),
            /401|unauthorized|authentication required/i,
            "push with the pull authfile",
        );
    });

    it("garbage-collects with the rendered config: keeps the tagged image, sweeps a deleted one", async () => {
        assertOk(await pushImage(v2, "team/app:v2"), "push v2");
        const base = `http://${pair.pushEndpoint}/v2/team/app`;
        const head = await request("HEAD", `${base}/manifests/v2`, PUSH, { accept: OCI_MANIFEST });
        assert.equal(head.headers.get("docker-content-digest"), v2.manifestDigest);
        assert.equal((await request("DELETE", `${base}/manifests/${v2.manifestDigest}`, PUSH)).status, 202);
        assert.ok(existsSync(blobDataPath(pair.storage, v2.layerDigest)), "deleting a manifest leaves its blobs");

        const binary = requireBinary("docker-registry", "docker-registry");
        const gc = await timed("garbage-collect", () =>
            runAsWriter(garbageCollectCommand(binary, pair.pushConfigPath, false)),
        );
        assertOk(gc, "garbage-collect");
        assert.match(gc.stdout, new RegExp(`blob eligible for deletion: ${v2.layerDigest}`));
        assert.doesNotMatch(gc.stdout, new RegExp(`eligible for deletion: ${v1.layerDigest}`));
        assert.equal(existsSync(blobDataPath(pair.storage, v2.layerDigest)), false, "v2's layer swept");
        assert.equal(existsSync(blobDataPath(pair.storage, v2.configDigest)), false, "v2's config swept");
        for (const digest of [v1.layerDigest, v1.configDigest, v1.manifestDigest]) {
            assert.ok(existsSync(blobDataPath(pair.storage, digest)), `v1 blob ${digest} kept`);
        }

        const out = join(work, "pulled-after-gc");
        assertOk(
            await skopeo.run([
                "copy",
                "--src-tls-verify=false",
                `--src-creds=${creds(PULL)}`,
                pullRef("team/app:v1"),
                `oci:${out}:v1`,
            ]),
            "pull v1 after garbage collection",
        );
        assert.match((await readOciLayer(out, "v1")).layer.toString("latin1"), /hello from v1/);
        assertFailed(
            await skopeo.run(["inspect", "--tls-verify=false", `--creds=${creds(PULL)}`, pullRef("team/app:v2")]),
            /manifest unknown|not found|404/i,
            "inspect the deleted v2",
        );
    });

    it("garbage-collects with --delete-untagged: an overwritten tag's old image goes, the current one stays", async () => {
        const old = await writeOciImage(join(work, "old"), "v3", { "hello.txt": "v3, first build\n" });
        const current = await writeOciImage(join(work, "current"), "v3", { "hello.txt": "v3, rebuilt\n" });
        assertOk(await pushImage(old, "team/app:v3"), "push the first v3");
        assertOk(await pushImage(current, "team/app:v3"), "push the rebuilt v3 over it");
        const binary = requireBinary("docker-registry", "docker-registry");
        const gc = await runAsWriter(garbageCollectCommand(binary, pair.pushConfigPath, true));
        assertOk(gc, "garbage-collect --delete-untagged");
        assert.equal(existsSync(blobDataPath(pair.storage, old.layerDigest)), false, "the untagged build is swept");
        assert.ok(existsSync(blobDataPath(pair.storage, current.layerDigest)), "the tagged build stays");
        assert.ok(existsSync(blobDataPath(pair.storage, v1.layerDigest)), "v1 stays");
        const inspected = await skopeo.run([
            "inspect",
            "--tls-verify=false",
            `--creds=${creds(PULL)}`,
            pullRef("team/app:v3"),
        ]);
        assertOk(inspected, "inspect v3 after garbage collection");
        assert.equal((JSON.parse(inspected.stdout) as { Digest: string }).Digest, current.manifestDigest);
    });
});

describe("PrivateRegistry default config (no deletes, no GC: descriptor cache on) and TLS", () => {
    let work: string;
    const pairs: RegistryPair[] = [];

    before(async () => {
        work = await mkdtemp(join(tmpdir(), "cicd-registry-work-"));
        // The registry processes run as other uids and read the TLS files from here.
        await chmod(work, 0o755);
    });
    after(async () => {
        for (const p of pairs) {
            await p.stop();
            await removeDir(p.dir);
        }
        await removeDir(work);
    });

    it("serves push and pull with the cache on; collection on a new, empty registry succeeds", async () => {
        const pair = await startRegistryPair({
            push: PUSH,
            pull: PULL,
            httpSecret: HTTP_SECRET,
            bcryptCost: BCRYPT_COST,
            deleteEnabled: false,
            garbageCollection: false,
        });
        pairs.push(pair);

        // A scheduled collection before the first push: Distribution 2.8 fails on storage without
        // a blob directory; the CronJob's prepare step makes that run a no-op success.
        const binary = requireBinary("docker-registry", "docker-registry");
        const bare = await runAsWriter(garbageCollectCommand(binary, pair.pushConfigPath, false));
        assertFailed(bare, /Path not found: \/docker\/registry\/v2\//, "garbage-collect on empty storage");
        assertOk(await runAsWriter(garbageCollectPrepareCommand(pair.storage)), "prepare");
        const prepared = await runAsWriter(garbageCollectCommand(binary, pair.pushConfigPath, false));
        assertOk(prepared, "garbage-collect on prepared empty storage");
        assert.match(prepared.stdout, /0 blobs marked, 0 blobs and 0 manifests eligible for deletion/);

        const skopeo = await Skopeo.create(join(work, "plain"));
        const image = await writeOciImage(join(work, "img"), "1.0.0", { "hello.txt": "cached\n" });
        assertOk(
            await skopeo.run([
                "copy",
                "--dest-tls-verify=false",
                `--dest-creds=${PUSH.username}:${PUSH.password}`,
                image.reference,
                `docker://${pair.pushEndpoint}/team/cached:1.0.0`,
            ]),
            "push",
        );
        const inspected = await skopeo.run([
            "inspect",
            "--tls-verify=false",
            `--creds=${PULL.username}:${PULL.password}`,
            `docker://${pair.pullEndpoint}/team/cached:1.0.0`,
        ]);
        assertOk(inspected, "inspect through the reader");
        assert.equal((JSON.parse(inspected.stdout) as { Digest: string }).Digest, image.manifestDigest);
        // Deletes are off on the writer too.
        const base = `http://${pair.pushEndpoint}/v2/team/cached`;
        assert.equal((await request("DELETE", `${base}/manifests/${image.manifestDigest}`, PUSH)).status, 405);
    });

    it("serves HTTPS with the certificate paths the renderer writes", async () => {
        const openssl = requireBinary("openssl", "openssl");
        const dir = join(work, "tls");
        const certificatePath = join(dir, "tls.crt");
        const keyPath = join(dir, "tls.key");
        await mkdir(dir, { recursive: true, mode: 0o755 });
        assertOk(
            await run(
                [
                    openssl,
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    "-keyout",
                    keyPath,
                    "-out",
                    certificatePath,
                ],
                { PATH: process.env.PATH ?? "/usr/bin:/bin" },
            ),
            "openssl",
        );
        // Both processes (two uids) read the key, as both containers mount the TLS Secret.
        await chmod(dir, 0o755);
        await chmod(keyPath, 0o444);
        await chmod(certificatePath, 0o444);
        const ca = await readFile(certificatePath);
        const pair = await startRegistryPair({
            push: PUSH,
            pull: PULL,
            httpSecret: HTTP_SECRET,
            bcryptCost: 4,
            deleteEnabled: false,
            garbageCollection: false,
            tls: { certificatePath, keyPath, ca },
        });
        pairs.push(pair);
        for (const [endpoint, own] of [
            [pair.pushEndpoint, PUSH],
            [pair.pullEndpoint, PULL],
        ] as const) {
            assert.equal(await httpStatus(`https://${endpoint}/`, ca), 200, `${endpoint} HTTPS probe path`);
            assert.equal(await httpStatus(`https://${endpoint}/v2/`, ca), 401);
            assert.equal(await httpStatus(`https://${endpoint}/v2/`, ca, { authorization: basic(own) }), 200);
            await assert.rejects(httpStatus(`https://${endpoint}/`), /self[- ]signed|certificate/i);
        }
        // skopeo verifying the certificate (no --tls-verify=false): CA from --cert-dir.
        const certDir = join(work, "certs");
        await mkdir(certDir, { recursive: true });
        await writeFile(join(certDir, "ca.crt"), ca);
        const skopeo = await Skopeo.create(join(work, "tls-skopeo"));
        const image = await writeOciImage(join(work, "tls-img"), "1", { "hello.txt": "over tls\n" });
        assertOk(
            await skopeo.run([
                "copy",
                `--dest-cert-dir=${certDir}`,
                `--dest-creds=${PUSH.username}:${PUSH.password}`,
                image.reference,
                `docker://${pair.pushEndpoint}/team/tls:1`,
            ]),
            "push over verified TLS",
        );
        const inspected = await skopeo.run([
            "inspect",
            `--cert-dir=${certDir}`,
            `--creds=${PULL.username}:${PULL.password}`,
            `docker://${pair.pullEndpoint}/team/tls:1`,
        ]);
        assertOk(inspected, "inspect over verified TLS");
        assert.equal((JSON.parse(inspected.stdout) as { Digest: string }).Digest, image.manifestDigest);
    });
});
