/**
 * templates/gitlab/container-app.yml run for real: gitlab-ci-local (shell executor) runs the
 * template's jobs on a fixture repository with Debian's buildah (vfs) and skopeo, against Debian's
 * docker-registry on 127.0.0.1 configured by the PrivateRegistry renderers (push and pull users),
 * with the auth file RegistryCredentials renders and a cosign key pair made for the run.
 *
 * Proves: the include renders; the build job builds and fills the registry's layer cache, logging
 * in with the password on stdin; syft writes the SBOM; the publish job pushes by digest, signs that
 * digest and attests the SBOM to it; the image comes back by digest through the read-only pull
 * endpoint with its labels, its signature and its attestation; the verify job passes
 * for the signed digest and fails for a tampered digest, an unsigned image and a foreign key; the
 * secret scan fails on a planted key and passes without it.
 * Steps this machine cannot run are reported as skipped with the reason; none is imitated.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";

import { parse as parseYaml } from "yaml";

import { dockerConfigJson } from "../../components/registry/registry-credentials";
import { writeOciImage } from "../registry/oci-image";
import {
    type Credential,
    type RegistryPair,
    requireBinary,
    Skopeo,
    startRegistryPair,
} from "../registry/registry-harness";
import {
    APP,
    checkedTool,
    IMAGE_REPOSITORY,
    jobArtifact,
    type JobRunner,
    jobRunner,
    writeFixtureRepository,
} from "./container-app-fixture";
import { slimBaseLayout } from "../support/local-images";
import { run, type Run } from "./tools";

// Assembled at run time: nothing here is a credential, and scanners of this repository stay quiet.
const PUSH: Credential = { username: "ci-push", password: ["push", "app-pipeline", "4c1d"].join("-") };
const PULL: Credential = { username: "cluster-pull", password: ["pull", "app-pipeline", "9e27"].join("-") };
const PASSPHRASE = ["signing", "passphrase", "for", "tests"].join("-");

function missing(what: string, script: string): Error {
    return new Error(`${what} is not installed: run bash scripts/ci/${script}`);
}

function assertJob(result: Run, job: string, pass: boolean): void {
    const output = `${result.stdout}${result.stderr}`;
    if (pass) {
        assert.equal(result.code, 0, `${job} failed:\n${output.slice(-4000)}`);
        assert.match(output, new RegExp(`PASS\\s+${job}`), output.slice(-2000));
    } else {
        assert.notEqual(result.code, 0, `${job} passed but must fail:\n${output.slice(-4000)}`);
        assert.match(output, new RegExp(`FAIL\\s+${job}`), output.slice(-2000));
    }
}

describe("GitLab template container-app.yml, run by gitlab-ci-local", () => {
    let scratch = "";
    let repo = "";
    let commit = "";
    let jobs: JobRunner;
    let registry: RegistryPair | undefined;
    let cosign = "";
    let secretlint = "";
    let syft = "";
    let pushAuth = "";
    let pullAuth = "";
    let keys = { key: "", pub: "", otherPub: "" };
    const published = { digest: "", reference: "" };

    before(async () => {
        const gitlabCiLocal = checkedTool("install-tools", "gitlab-ci-local");
        if (gitlabCiLocal === undefined) {
            throw missing("gitlab-ci-local", "install-tools");
        }
        cosign = checkedTool("install-app-tools", "cosign") ?? "";
        syft = checkedTool("install-app-tools", "syft") ?? "";
        secretlint = checkedTool("install-app-tools", "secretlint") ?? "";
        const absent = Object.entries({ cosign, secretlint, syft }).find(([, path]) => path === "");
        if (absent !== undefined) {
            throw missing(absent[0], "install-app-tools");
        }
        requireBinary("buildah", "buildah");
        scratch = mkdtempSync(join(tmpdir(), "container-app-"));
        repo = join(scratch, "repo");
        // The jobs find cosign and syft on PATH, as in job images that have them.
        jobs = jobRunner(gitlabCiLocal, scratch, [dirname(cosign), dirname(syft)]);
        registry = await startRegistryPair({
            push: PUSH,
            pull: PULL,
            httpSecret: "http-secret-of-the-pipeline-test-0123456789",
            bcryptCost: 4,
            deleteEnabled: false,
            garbageCollection: false,
        });
        pushAuth = join(scratch, "push-auth.json");
        pullAuth = join(scratch, "pull-auth.json");
        writeFileSync(pushAuth, dockerConfigJson(registry.pushEndpoint, PUSH.username, PUSH.password), { mode: 0o600 });
        writeFileSync(pullAuth, dockerConfigJson(registry.pullEndpoint, PULL.username, PULL.password), { mode: 0o600 });
        // The application's base image: a small Debian base made locally, pulled from the registry
        // as a real application's base would be.
        const base = `${registry.pushEndpoint}/base/debian-slim:bookworm`;
        const baseCopy = await (
            await Skopeo.create(join(scratch, "skopeo-base"))
        ).run([
            "copy",
            "--dest-tls-verify=false",
            `--dest-authfile=${pushAuth}`,
            `oci:${slimBaseLayout()}:base`,
            `docker://${base}`,
        ]);
        assert.equal(baseCopy.code, 0, baseCopy.stderr);
        commit = writeFixtureRepository(repo, { base });
        // A key pair for the run, and a second one whose public key must not verify.
        keys = {
            key: join(scratch, "keys", "cosign.key"),
            pub: join(scratch, "keys", "cosign.pub"),
            otherPub: join(scratch, "other", "cosign.pub"),
        };
        for (const dir of ["keys", "other"]) {
            mkdirSync(join(scratch, dir));
            const made = await run(cosign, ["generate-key-pair"], {
                cwd: join(scratch, dir),
                env: { ...process.env, COSIGN_PASSWORD: PASSPHRASE },
            }).catch((error: unknown) => ({ code: 1, stdout: "", stderr: String(error) }));
            assert.equal(made.code, 0, made.stderr);
        }
    });

    after(async () => {
        await registry?.stop();
        if (scratch !== "") {
            rmSync(scratch, { recursive: true, force: true });
        }
    });

    const baseVariables = (): Record<string, string> => ({
        REGISTRY_SERVER: registry?.pushEndpoint ?? "",
        REGISTRY_AUTH_FILE: pushAuth,
    });

    it("renders clean with gitlab-ci-local --preview: every job, the inputs interpolated", async () => {
        const result = await jobs.preview(repo);
        assert.equal(result.code, 0, result.stderr);
        const doc = parseYaml(result.stdout) as Record<string, Record<string, unknown>>;
        const names = Object.keys(doc).filter((k) => k.startsWith("container-app:"));
        assert.deepEqual(names.sort(), [
            "container-app:build",
            "container-app:deploy-production",
            "container-app:deploy-staging",
            "container-app:e2e-staging",
            "container-app:publish",
            "container-app:sbom",
            "container-app:secret-scan",
            "container-app:test",
            "container-app:verify",
            "container-app:vulnerability-scan",
        ]);
        assert.doesNotMatch(result.stdout, /\$\[\[/, "an input left uninterpolated");
        assert.doesNotMatch(result.stdout, /:latest\b|kubectl set image|\s-p\s|--password[ =]/);
        // Building and running images need the build runner; everything else the general one.
        assert.deepEqual(doc["container-app:build"]?.tags, ["kubernetes", "rootless-build"]);
        assert.deepEqual(doc["container-app:test"]?.tags, ["kubernetes", "rootless-build"]);
        assert.deepEqual(doc["container-app:publish"]?.tags, ["kubernetes"]);
        assert.deepEqual(doc["container-app:secret-scan"]?.tags, ["kubernetes"]);
        assert.deepEqual(doc["container-app:deploy-production"]?.environment, {
            name: "production",
            deployment_tier: "production",
        });
    });

    it("build: rootless Buildah (vfs) builds the image and fills the registry's layer cache", async () => {
        const result = await jobs.job(repo, "container-app:build", baseVariables());
        assertJob(result, "container-app:build", true);
        assert.match(result.stdout, new RegExp(`Pushing cache ${registry?.pushEndpoint}/${IMAGE_REPOSITORY}/cache:`));
        assert.ok(existsSync(jobArtifact(repo, "container-app:build", "image.tar")));
    });

    it("build: logs in with the password on stdin when no auth file is given, and never prints it", async () => {
        const result = await jobs.job(repo, "container-app:build", {
            REGISTRY_SERVER: registry?.pushEndpoint ?? "",
            REGISTRY_USERNAME: PUSH.username,
            REGISTRY_PASSWORD: PUSH.password,
        });
        assertJob(result, "container-app:build", true);
        // The build step logs in on its stderr, which gitlab-ci-local passes on as its own.
        assert.match(`${result.stdout}${result.stderr}`, /Login Succeeded/);
        // The cache pushes need the credential: a failed login would fail them.
        assert.match(result.stdout, /Pushing cache /);
        assert.ok(!`${result.stdout}${result.stderr}`.includes(PUSH.password), "the password reached the log");
    });

    it("sbom: syft writes the image's SPDX document", async () => {
        const result = await jobs.job(repo, "container-app:sbom", {});
        assertJob(result, "container-app:sbom", true);
        const sbom = JSON.parse(readFileSync(jobArtifact(repo, "container-app:sbom", "sbom.spdx.json"), "utf8")) as {
            spdxVersion: string;
            packages?: { name: string; primaryPackagePurpose?: string }[];
        };
        assert.match(sbom.spdxVersion, /^SPDX-2\./);
        // The fixture image has no package manager data: the document describes the image itself.
        assert.deepEqual(
            (sbom.packages ?? []).filter((p) => p.primaryPackagePurpose === "CONTAINER").map((p) => p.name),
            ["image.tar"],
        );
    });

    it("test: run by container-app-test-job.test.ts; vulnerability scan: not run here", (t) => {
        t.skip(
            "container-app:test runs with podman in test/pipelines/container-app-test-job.test.ts; " +
                "container-app:vulnerability-scan is not run here: it needs Trivy's vulnerability database, a download this machine cannot make",
        );
    });

    it("publish: pushes by digest with the fan-out's push credential and signs the digest", async () => {
        const result = await jobs.job(repo, "container-app:publish", {
            ...baseVariables(),
            SIGNING_KEY: keys.key,
            SIGNING_PASSPHRASE: PASSPHRASE,
        });
        assertJob(result, "container-app:publish", true);
        const env = readFileSync(jobArtifact(repo, "container-app:publish", "image.env"), "utf8");
        published.digest = /^IMAGE_DIGEST=(sha256:[0-9a-f]{64})$/m.exec(env)?.[1] ?? "";
        published.reference = /^IMAGE_REFERENCE=(\S+)$/m.exec(env)?.[1] ?? "";
        assert.equal(published.reference, `${registry?.pushEndpoint}/${IMAGE_REPOSITORY}@${published.digest}`);
    });

    it("the pushed digest comes back through the read-only pull endpoint, labelled and signed", async (t) => {
        if (published.digest === "" || registry === undefined) {
            t.skip("not run here: nothing was published (see the publish case)");
            return;
        }
        const skopeo = await Skopeo.create(join(scratch, "skopeo"));
        const pulled = `${registry.pullEndpoint}/${IMAGE_REPOSITORY}@${published.digest}`;
        const inspect = await skopeo.run([
            "inspect",
            "--tls-verify=false",
            `--authfile=${pullAuth}`,
            `docker://${pulled}`,
        ]);
        assert.equal(inspect.code, 0, inspect.stderr);
        const info = JSON.parse(inspect.stdout) as { Digest: string; Labels: Record<string, string> };
        assert.equal(info.Digest, published.digest);
        assert.equal(info.Labels["org.opencontainers.image.revision"], commit);
        assert.equal(info.Labels["org.opencontainers.image.title"], APP);
        assert.match(info.Labels["org.opencontainers.image.created"] ?? "", /^\d{4}-\d\d-\d\dT/);
        const copied = await skopeo.run([
            "copy",
            "--src-tls-verify=false",
            `--src-authfile=${pullAuth}`,
            `docker://${pulled}`,
            `dir:${mkdtempSync(join(scratch, "pulled-"))}`,
        ]);
        assert.equal(copied.code, 0, copied.stderr);
        // The signature is read through the same read-only endpoint, with the pull credential.
        const dockerConfig = join(scratch, "pull-docker-config");
        mkdirSync(dockerConfig, { recursive: true });
        writeFileSync(join(dockerConfig, "config.json"), readFileSync(pullAuth));
        const verifyWith = (pub: string): Promise<Run> =>
            run(
                cosign,
                [
                    "verify",
                    "--key",
                    pub,
                    "--insecure-ignore-tlog=true",
                    "--allow-insecure-registry",
                    "--allow-http-registry",
                    pulled,
                ],
                { env: { PATH: process.env.PATH, HOME: join(scratch, "home"), DOCKER_CONFIG: dockerConfig } },
            );
        const good = await verifyWith(keys.pub);
        assert.equal(good.code, 0, good.stderr);
        const foreign = await verifyWith(keys.otherPub);
        assert.notEqual(foreign.code, 0, "a foreign key must not verify");
        assert.match(foreign.stderr, /signature/i);
        // The SBOM is attested to the same digest with the same key.
        const attestation = await run(
            cosign,
            [
                "verify-attestation",
                "--key",
                keys.pub,
                "--type",
                "spdxjson",
                "--insecure-ignore-tlog=true",
                "--allow-insecure-registry",
                "--allow-http-registry",
                pulled,
            ],
            { env: { PATH: process.env.PATH, HOME: join(scratch, "home"), DOCKER_CONFIG: dockerConfig } },
        );
        assert.equal(attestation.code, 0, attestation.stderr);
    });

    describe("verify", () => {
        /**
         * Runs the verify job as if the publish job had handed on `reference`: its dotenv artifact is
         * rewritten (a tampered hand-over between the jobs), then restored.
         */
        const verify = async (reference: string, publicKey: string): Promise<Run> => {
            // gitlab-ci-local keeps the dotenv report beside the artifact paths: rewrite every copy.
            const artifacts = dirname(jobArtifact(repo, "container-app:publish", "image.env"));
            const copies = readdirSync(artifacts, { recursive: true, encoding: "utf8" })
                .filter((file) => file.endsWith("image.env"))
                .map((file) => join(artifacts, file));
            const originals = copies.map((file) => readFileSync(file, "utf8"));
            const digest = reference.slice(reference.indexOf("@") + 1);
            for (const file of copies) {
                writeFileSync(file, `IMAGE_DIGEST=${digest}\nIMAGE_REFERENCE=${reference}\n`);
            }
            try {
                return await jobs.job(repo, "container-app:verify", {
                    ...baseVariables(),
                    SIGNING_PUBLIC_KEY: publicKey,
                });
            } finally {
                copies.forEach((file, index) => {
                    writeFileSync(file, originals[index] ?? "");
                });
            }
        };

        it("passes for the signed digest", async (t) => {
            if (published.digest === "") {
                t.skip("not run here: nothing was published (see the publish case)");
                return;
            }
            const result = await verify(published.reference, keys.pub);
            assertJob(result, "container-app:verify", true);
            assert.match(
                result.stdout,
                new RegExp(`verified ${published.reference.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
            );
        });

        it("fails for a tampered digest, an unsigned image and a foreign key", async (t) => {
            if (published.digest === "" || registry === undefined) {
                t.skip("not run here: nothing was published (see the publish case)");
                return;
            }
            const last = published.digest.at(-1) === "0" ? "1" : "0";
            const tampered = `${published.reference.slice(0, -1)}${last}`;
            assertJob(await verify(tampered, keys.pub), "container-app:verify", false);

            const unsignedDir = join(scratch, "unsigned");
            const unsigned = await writeOciImage(unsignedDir, "unsigned", { "srv/hello.txt": "not signed\n" });
            const skopeo = await Skopeo.create(join(scratch, "skopeo-push"));
            const pushed = await skopeo.run([
                "copy",
                "--dest-tls-verify=false",
                `--dest-authfile=${pushAuth}`,
                unsigned.reference,
                `docker://${registry.pushEndpoint}/${IMAGE_REPOSITORY}:unsigned`,
            ]);
            assert.equal(pushed.code, 0, pushed.stderr);
            const unsignedRef = `${registry.pushEndpoint}/${IMAGE_REPOSITORY}@${unsigned.manifestDigest}`;
            const noSignature = await verify(unsignedRef, keys.pub);
            assertJob(noSignature, "container-app:verify", false);
            assert.match(noSignature.stdout + noSignature.stderr, /signature/i);

            assertJob(await verify(published.reference, keys.otherPub), "container-app:verify", false);
        });
    });

    describe("secret scan", () => {
        const scan = (dir: string): Promise<Run> =>
            jobs.job(dir, "container-app:secret-scan", { SECRETLINT_PREFIX: secretlint });

        it("passes on the clean repository", async () => {
            assertJob(await scan(repo), "container-app:secret-scan", true);
        });

        it("fails on a repository with a planted private key, naming the file", async () => {
            const planted = join(scratch, "planted");
            writeFixtureRepository(planted, { plantedKey: true });
            const result = await scan(planted);
            assertJob(result, "container-app:secret-scan", false);
            assert.match(result.stdout, /deploy_key\.pem/);
            assert.match(result.stdout, /PrivateKey/);
        });
    });

    it("deploy: run by release-deploy.test.ts", (t) => {
        t.skip(
            "run elsewhere: container-app:deploy-staging needs the local stack (its tenants) up on a control plane " +
                "and the canary lab, which test/pipelines/release-deploy.test.ts brings up; container-app:deploy-production " +
                "is the same script behind a manual start or the protected environment's approvals",
        );
    });
});
