/**
 * The PrivateRegistry's default config (no deletes, no collection: the descriptor cache on) and its
 * TLS paths, run for real on Debian's docker-registry (Distribution 2.8) on loopback.
 */
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { garbageCollectCommand, garbageCollectPrepareCommand } from "../../components/registry/registry-config";
import { writeOciImage } from "./oci-image";
import {
    basic,
    httpStatus,
    type RegistryPair,
    removeDir,
    requireBinary,
    run,
    runAsWriter,
    Skopeo,
    startRegistryPair,
} from "./registry-harness";
import { assertFailed, assertOk, BCRYPT_COST, HTTP_SECRET, PULL, PUSH, request } from "./registry-checks";

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
