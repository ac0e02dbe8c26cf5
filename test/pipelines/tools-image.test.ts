/**
 * The platform pipeline's tools-image job (.gitlab-ci.yml), its script run as the job runs it:
 * with the job's own variables and the project variables it documents, from a copy of this
 * repository whose origin is a bare repository (standing in for the forge: the push token is not
 * checked by anything here), against Debian's docker-registry on 127.0.0.1 (push and pull users).
 *
 * The job's image is not used: its script runs with this machine's buildah and skopeo (the Debian
 * packages the image installs) and cosign and syft from the project's tool cache, as the other
 * pipeline tests run the templates' jobs. No registry is reachable, so the Containerfile's two
 * starting images are made locally and pushed to the test registry, then named by digest as the
 * job requires: BASE is the project's Debian minbase with the official image's apt sources, and
 * the Go and Node builder stages are replaced through the job's TOOLS_PREBUILT_IMAGE by an image
 * of their output layout made from the project's tool cache and this machine's Node.js and npm
 * (the output says what). The apt installs of the Containerfile run for real against Debian's
 * archive (HTTPS downloads cannot work inside the builds here: the machine's egress re-signs TLS).
 *
 * Proves: the job builds the image rootless (vfs, chroot isolation) with ci/steps/build, writes its
 * SBOM, pushes and signs it with ci/steps/publish; the digest it records equals the registry's
 * manifest digest; the commit it pushes makes the GitLab template's tools-image default, the
 * Jenkins library's toolsImage and the job's own TOOLS_JOB_IMAGE name exactly that digest; the
 * signature verifies; pulled by digest and run with podman, the image holds ci/steps byte for byte
 * at /opt/cicd-platform/steps and runs every tool the steps call, and its secret scan runs offline.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, it } from "node:test";

import { parse as parseYaml } from "yaml";

import { dockerConfigJson } from "../../components/registry/registry-credentials";
import {
    type Credential,
    type RegistryPair,
    requireBinary,
    Skopeo,
    startRegistryPair,
} from "../registry/registry-harness";
import { TEST_CONTAINERS_CONF } from "../support/podman-conf";
import { checkedTool } from "./container-app-fixture";
import { run, type Run, ROOT } from "./tools";
import {
    copyRepository,
    debianSlimLayout,
    git,
    prebuiltLayout,
    RECORD_TOKEN as TOKEN,
    sha256,
    TOOLS,
    toolsImageJob,
} from "./tools-image-fixture";

const PUSH: Credential = { username: "ci-push", password: ["push", "tools-image", "b81e"].join("-") };
const PULL: Credential = { username: "cluster-pull", password: ["pull", "tools-image", "3f0a"].join("-") };
const PASSPHRASE = ["signing", "passphrase", "tools", "image"].join("-");

function output(result: Run): string {
    return `${result.stdout}${result.stderr}`;
}

function skipReason(): string | undefined {
    if (process.getuid?.() !== 0) {
        return "needs root (buildah's root storage, podman, the registry's users)";
    }
    for (const [binary, pkg] of [
        ["buildah", "buildah"],
        ["skopeo", "skopeo"],
        ["podman", "podman"],
        ["runc", "runc"],
        ["docker-registry", "docker-registry"],
    ] as const) {
        try {
            requireBinary(binary, pkg);
        } catch (error) {
            return String(error);
        }
    }
    return undefined;
}

describe("the platform pipeline's tools-image job: build, push, sign and record the job image", () => {
    const skip = skipReason();
    let scratch = "";
    let repo = "";
    let origin = "";
    let commit = "";
    let registry: RegistryPair | undefined;
    let env: NodeJS.ProcessEnv = {};
    let pullAuth = "";
    let publicKey = "";
    let substituted: string[] = [];
    let containersConf = "";
    let script: readonly string[] = [];
    let versions = new Map<string, string>();
    const trivyLeftOut = (): boolean => substituted.some((line) => line.startsWith("trivy: left out"));
    let job: Run | undefined;
    let digest = "";

    before(async () => {
        if (skip !== undefined) {
            return;
        }
        const cosign = checkedTool("install-app-tools", "cosign");
        const syft = checkedTool("install-app-tools", "syft");
        if (cosign === undefined || syft === undefined) {
            throw new Error("cosign and syft are not installed: run bash scripts/ci/install-app-tools");
        }
        const trivy = checkedTool("install-app-tools", "trivy");
        scratch = mkdtempSync(join(tmpdir(), "tools-image-"));
        repo = join(scratch, "platform");
        origin = join(scratch, "origin.git");
        commit = copyRepository(repo, origin);

        registry = await startRegistryPair({
            push: PUSH,
            pull: PULL,
            httpSecret: "http-secret-of-the-tools-image-test-0123456",
            bcryptCost: 4,
            deleteEnabled: false,
            garbageCollection: false,
        });
        const pushAuth = join(scratch, "push-auth.json");
        pullAuth = join(scratch, "pull-auth.json");
        writeFileSync(pushAuth, dockerConfigJson(registry.pushEndpoint, PUSH.username, PUSH.password), { mode: 0o600 });
        writeFileSync(pullAuth, dockerConfigJson(registry.pullEndpoint, PULL.username, PULL.password), { mode: 0o600 });

        // The two images the Containerfile starts from, pushed and named by digest as in real use.
        const skopeo = await Skopeo.create(join(scratch, "skopeo"));
        const pushLayout = async (layout: string, repository: string): Promise<string> => {
            const digestFile = join(scratch, `${repository.replace(/\//g, "-")}.digest`);
            const copied = await skopeo.run([
                "copy",
                "--dest-tls-verify=false",
                `--dest-authfile=${pushAuth}`,
                `--digestfile=${digestFile}`,
                `oci:${layout}:base`,
                `docker://${registry?.pushEndpoint ?? ""}/${repository}:pinned`,
            ]);
            assert.equal(copied.code, 0, copied.stderr);
            return `${registry?.pushEndpoint ?? ""}/${repository}@${readFileSync(digestFile, "utf8").trim()}`;
        };
        const baseImage = await pushLayout(debianSlimLayout(), "mirror/debian-bookworm-slim");
        const secretlint = checkedTool("install-app-tools", "secretlint");
        if (secretlint === undefined) {
            throw new Error("secretlint is not installed: run bash scripts/ci/install-app-tools");
        }
        const npm = join(spawnSync("npm", ["root", "-g"], { encoding: "utf8" }).stdout.trim(), "npm");
        const bin: Record<string, string> = { cosign, syft, node: process.execPath };
        if (trivy !== undefined) {
            bin.trivy = trivy;
        }
        const prebuilt = await pushLayout(prebuiltLayout({ bin, npm, secretlint }), "mirror/tools-prebuilt");
        substituted = [
            `BASE: debian:bookworm-slim <- the local Debian minbase (scripts/images/debian-image) with the official apt sources, ${baseImage}`,
            `PREBUILT: the Go and Node builder stages <- ${Object.keys(bin).sort().join(", ")} (node ${process.version}: this machine's), ` +
                `npm (this machine's), secretlint from the project's tool cache, ${prebuilt}`,
        ];
        if (trivy === undefined) {
            substituted.push(
                "trivy: left out (not in the tool cache: bash scripts/ci/install-app-tools --only trivy builds it, many minutes)",
            );
        }

        const keys = join(scratch, "keys");
        mkdirSync(keys);
        const made = await run(cosign, ["generate-key-pair"], {
            cwd: keys,
            env: { ...process.env, COSIGN_PASSWORD: PASSPHRASE },
        });
        assert.equal(made.code, 0, made.stderr);
        publicKey = join(keys, "cosign.pub");

        const home = join(scratch, "home");
        const builds = join(scratch, "builds");
        mkdirSync(home);
        mkdirSync(builds);
        const storageConf = join(scratch, "storage.conf");
        writeFileSync(
            storageConf,
            `[storage]\ndriver = "vfs"\ngraphroot = "${scratch}/containers/graph"\nrunroot = "${scratch}/containers/run"\n`,
        );
        containersConf = join(scratch, "containers.conf");
        writeFileSync(containersConf, TEST_CONTAINERS_CONF);
        // The project variables of the tools-image environment (.gitlab-ci.yml's header); they
        // take precedence over the job's own, as in GitLab.
        const project: Record<string, string> = {
            REGISTRY_SERVER: registry.pushEndpoint,
            TOOLS_PULL_SERVER: registry.pullEndpoint,
            REGISTRY_AUTH_FILE: pushAuth,
            TLS_VERIFY: "false",
            SIGNING_KEY: join(keys, "cosign.key"),
            SIGNING_PASSPHRASE: PASSPHRASE,
            TOOLS_BASE_IMAGE: baseImage,
            TOOLS_PREBUILT_IMAGE: prebuilt,
            TOOLS_PUSH_TOKEN: TOKEN,
        };
        // GitLab's predefined variables the job's variables name.
        const predefined: Record<string, string> = {
            CI_COMMIT_SHA: commit,
            CI_PROJECT_URL: "https://gitlab.example.com/platform/cicd-platform",
            CI_DEFAULT_BRANCH: "main",
            CI_BUILDS_DIR: builds,
            GITLAB_USER_NAME: "Platform Maintainer",
            GITLAB_USER_EMAIL: "maintainer@example.com",
        };
        const jobDefinition = toolsImageJob({ ...predefined, ...project });
        assert.deepEqual(jobDefinition.tags, ["staging", "kubernetes", "rootless-build"]);
        script = jobDefinition.script;
        env = {
            // The runner's environment: tools on PATH, a home, the containers storage of the job.
            PATH: [join(cosign, ".."), join(syft, ".."), process.env.PATH ?? "/usr/bin:/bin"].join(delimiter),
            HOME: home,
            LANG: "C.UTF-8",
            CONTAINERS_STORAGE_CONF: storageConf,
            ...predefined,
            ...jobDefinition.variables,
            ...project,
        };
    });

    after(async () => {
        await registry?.stop();
        if (scratch !== "") {
            rmSync(scratch, { recursive: true, force: true });
        }
    });

    it("the job's script builds, pushes, signs and records the image (substitutions named)", async (t) => {
        if (skip !== undefined) {
            t.skip(`not run here: ${skip}`);
            return;
        }
        for (const line of substituted) {
            t.diagnostic(`substituted: ${line}`);
        }
        const started = Date.now();
        for (const line of script) {
            job = await run("bash", ["-eo", "pipefail", "-c", line], { cwd: repo, env, timeoutMs: 40 * 60 * 1000 });
            assert.equal(job.code, 0, `${line}\n${output(job).slice(-6000)}`);
        }
        t.diagnostic(`the job took ${Math.round((Date.now() - started) / 1000)} s`);
        assert.ok(!output(job as Run).includes(TOKEN), "the push token reached the log");
        assert.ok(!output(job as Run).includes(PUSH.password), "the registry password reached the log");
        assert.match(output(job as Run), /not from the builder stages/);
        const recorded = readFileSync(join(repo, "tools-image.env"), "utf8");
        digest = /^IMAGE_DIGEST=(sha256:[0-9a-f]{64})$/m.exec(recorded)?.[1] ?? "";
        assert.notEqual(digest, "", recorded);
    });

    it("the recorded digest is the registry's manifest digest of the pushed tag, and it is signed", async (t) => {
        if (skip !== undefined || digest === "" || registry === undefined) {
            t.skip(`not run here: ${skip ?? "nothing was published (see the job case)"}`);
            return;
        }
        const skopeo = await Skopeo.create(join(scratch, "skopeo-inspect"));
        const inspect = await skopeo.run([
            "inspect",
            "--tls-verify=false",
            `--authfile=${pullAuth}`,
            `docker://${registry.pullEndpoint}/ci/tools:${commit}`,
        ]);
        assert.equal(inspect.code, 0, inspect.stderr);
        const info = JSON.parse(inspect.stdout) as { Digest: string; Labels: Record<string, string> };
        assert.equal(info.Digest, digest);
        assert.equal(info.Labels["org.opencontainers.image.revision"], commit);
        const verify = await run("bash", [join(ROOT, "ci", "steps", "verify")], {
            env: {
                PATH: env.PATH,
                HOME: env.HOME,
                IMAGE_REFERENCE: `${registry.pullEndpoint}/ci/tools@${digest}`,
                SIGNING_PUBLIC_KEY: publicKey,
                TLS_VERIFY: "false",
                REGISTRY_AUTH_FILE: pullAuth,
            },
        });
        assert.equal(verify.code, 0, output(verify));
    });

    it("the commit on the default branch makes every default name exactly that digest", (t) => {
        if (skip !== undefined || digest === "" || registry === undefined) {
            t.skip(`not run here: ${skip ?? "nothing was published (see the job case)"}`);
            return;
        }
        const reference = `${registry.pullEndpoint}/ci/tools@${digest}`;
        const tip = git(origin, "log", "-1", "--format=%s%n%an", "main").split("\n");
        assert.equal(tip[0], `Job image: ${reference} [skip ci]`);
        assert.equal(tip[1], "Platform Maintainer");
        assert.equal(git(origin, "rev-parse", "main~1"), commit, "one commit on top of the built one");
        const changed = git(origin, "diff", "--name-only", commit, "main").split("\n").sort();
        assert.deepEqual(changed, [
            ".gitlab-ci.yml",
            "templates/gitlab/container-app.yml",
            "templates/jenkins/vars/containerApp.groovy",
        ]);
        const show = (file: string): string => git(origin, "show", `main:${file}`);
        const template = parseYaml(show("templates/gitlab/container-app.yml").split("\n---\n")[0] ?? "") as {
            spec: { inputs: Partial<Record<string, { default?: string; regex?: string }>> };
        };
        const input = template.spec.inputs["tools-image"];
        assert.ok(input !== undefined, "no tools-image input");
        assert.equal(input.default, reference);
        assert.match(reference, new RegExp(input.regex ?? "^$"));
        assert.match(
            show("templates/jenkins/vars/containerApp.groovy"),
            new RegExp(`^ {8}toolsImage: '${reference}',$`, "m"),
        );
        const pipeline = parseYaml(show(".gitlab-ci.yml")) as { variables: Record<string, string> };
        assert.equal(pipeline.variables.TOOLS_JOB_IMAGE, reference);
    });

    it("pulled by digest and run with podman: ci/steps byte for byte, every tool runs, the secret scan runs offline", async (t) => {
        if (skip !== undefined || digest === "" || registry === undefined) {
            t.skip(`not run here: ${skip ?? "nothing was published (see the job case)"}`);
            return;
        }
        const podmanEnv = {
            PATH: env.PATH,
            HOME: env.HOME,
            CONTAINERS_STORAGE_CONF: env.CONTAINERS_STORAGE_CONF,
            // Only for the podman that inspects the result, never for the job.
            CONTAINERS_CONF: containersConf,
        };
        const reference = `${registry.pullEndpoint}/ci/tools@${digest}`;
        const pulled = await run(
            "podman",
            ["pull", "--quiet", "--tls-verify=false", `--authfile=${pullAuth}`, reference],
            { env: podmanEnv, timeoutMs: 10 * 60 * 1000 },
        );
        assert.equal(pulled.code, 0, output(pulled));
        const probe = [
            'cd /opt/cicd-platform/steps && for f in *; do printf \'%s %s %s\\n\' "$(sha256sum "$f" | cut -d\' \' -f1)" "$(stat -c %a "$f")" "$f"; done',
            "echo ---",
            ...Object.entries(TOOLS).map(
                ([name, command]) =>
                    `if command -v ${name} >/dev/null 2>&1 || [ ${name} = secretlint ]; then printf '%s: ' ${name}; ${command} 2>&1 | head -n1 || echo FAILED; else echo "${name}: MISSING"; fi`,
            ),
            "echo ---",
            'mkdir -p /tmp/checkout && cd /tmp/checkout && printf "hello\\n" >README && "$CICD_STEPS/secret-scan" && echo SECRET-SCAN-OK',
            "id -u",
        ].join("\n");
        const ran = await run("podman", ["run", "--rm", "--network", "none", reference, "sh", "-c", probe], {
            env: podmanEnv,
            timeoutMs: 5 * 60 * 1000,
        });
        assert.equal(ran.code, 0, output(ran));
        const [stepsPart = "", toolsPart = "", scanPart = ""] = ran.stdout.split("---\n");
        const expected = readdirSync(join(ROOT, "ci", "steps"))
            .sort()
            .map((f) => {
                const path = join(ROOT, "ci", "steps", f);
                return `${sha256(path)} ${(statSync(path).mode & 0o777).toString(8)} ${f}`;
            });
        assert.deepEqual(stepsPart.trim().split("\n"), expected);
        versions = new Map(
            toolsPart
                .trim()
                .split("\n")
                .map(
                    (line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)] as [string, string],
                ),
        );
        for (const name of Object.keys(TOOLS)) {
            const version = versions.get(name) ?? "MISSING";
            if (name === "trivy" && trivyLeftOut()) {
                continue; // its own case below says why
            }
            assert.ok(!/MISSING|FAILED|not found/i.test(version), `${name}: ${version}`);
            t.diagnostic(`${name}: ${version}`);
        }
        assert.match(versions.get("cosign") ?? "", /"v2\.4\.1"/);
        assert.match(versions.get("syft") ?? "", /1\.20\.0/);
        assert.match(scanPart, /SECRET-SCAN-OK\n1000\n?$/);
    });

    it("trivy runs in the image", (t) => {
        if (skip !== undefined || versions.size === 0) {
            t.skip(`not run here: ${skip ?? "the image was not run (see the cases above)"}`);
            return;
        }
        if (trivyLeftOut()) {
            t.skip(
                "not run here: the tool cache has no Trivy (bash scripts/ci/install-app-tools --only trivy builds it, many minutes), " +
                    "so the substituted builder output and the locally built image have none; in real use the Go stage builds it",
            );
            return;
        }
        assert.match(versions.get("trivy") ?? "", /0\.70\.0/);
    });
});
