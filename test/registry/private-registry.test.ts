/**
 * The PrivateRegistry's rendered config and htpasswd, run for real: Debian's docker-registry
 * (Distribution 2.8) on loopback, driven by Debian's skopeo with an OCI image written by hand.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { garbageCollectCommand } from "../../components/registry/registry-config";
import { dockerConfigJson } from "../../components/registry/registry-credentials";
import { type OciImage, readOciLayer, writeOciImage } from "./oci-image";
import {
    blobDataPath,
    type Credential,
    httpStatus,
    type RegistryPair,
    removeDir,
    requireBinary,
    runAsWriter,
    Skopeo,
    startRegistryPair,
} from "./registry-harness";
import {
    assertFailed,
    assertOk,
    BCRYPT_COST,
    HTTP_SECRET,
    OCI_MANIFEST,
    PULL,
    PUSH,
    request,
    timed,
    timings,
} from "./registry-checks";

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
