/**
 * The template's `container-app:test` job run for real: gitlab-ci-local (shell executor) runs the
 * build job and then the test job on fixture repositories whose image is built FROM a small Debian
 * base made locally (no registry is reachable here); the test job loads the built image into
 * podman and runs the test command in it with `--network none`.
 *
 * podman runs with runc and explicit ulimits here: this machine's crun refuses its hybrid cgroups
 * and root lacks CAP_SYS_RESOURCE for crun's rlimit defaults. That goes into a test-only
 * CONTAINERS_CONF (the jobs' environment), never into what the template or the runners ship.
 *
 * Proves: a passing test command passes the job; a failing one fails it (and so the pipeline).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { dockerConfigJson } from "../../components/registry/registry-credentials";
import {
    type Credential,
    type RegistryPair,
    requireBinary,
    Skopeo,
    startRegistryPair,
} from "../registry/registry-harness";
import { slimBaseLayout } from "../support/local-images";
import { TEST_CONTAINERS_CONF } from "../support/podman-conf";
import { checkedTool, type JobRunner, jobRunner, writeFixtureRepository } from "./container-app-fixture";
import { type Run } from "./tools";

const PUSH: Credential = { username: "ci-push", password: ["push", "test-job", "51d2"].join("-") };
const PULL: Credential = { username: "cluster-pull", password: ["pull", "test-job", "77a0"].join("-") };

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

function missingPrerequisite(): string | undefined {
    if (process.getuid?.() !== 0) {
        return "needs root (podman's root storage and runc's cgroups)";
    }
    for (const binary of ["podman", "runc", "buildah", "mmdebstrap"]) {
        try {
            requireBinary(binary, binary);
        } catch {
            return `needs ${binary} (bash scripts/setup installs it)`;
        }
    }
    return undefined;
}

describe("GitLab template container-app.yml: the test job runs the image with podman", () => {
    const skip = missingPrerequisite();
    let scratch = "";
    let jobs: JobRunner;
    let registry: RegistryPair | undefined;
    let variables: Record<string, string> = {};
    let base = "";

    before(async () => {
        if (skip !== undefined) {
            return;
        }
        const gitlabCiLocal = checkedTool("install-tools", "gitlab-ci-local");
        if (gitlabCiLocal === undefined) {
            throw new Error("gitlab-ci-local is not installed: run bash scripts/ci/install-tools");
        }
        scratch = mkdtempSync(join(tmpdir(), "container-app-test-job-"));
        const containersConf = join(scratch, "containers.conf");
        writeFileSync(containersConf, TEST_CONTAINERS_CONF);
        jobs = jobRunner(gitlabCiLocal, scratch, [], { CONTAINERS_CONF: containersConf });
        registry = await startRegistryPair({
            push: PUSH,
            pull: PULL,
            httpSecret: "http-secret-of-the-test-job-test-0123456789",
            bcryptCost: 4,
            deleteEnabled: false,
            garbageCollection: false,
        });
        const pushAuth = join(scratch, "push-auth.json");
        writeFileSync(pushAuth, dockerConfigJson(registry.pushEndpoint, PUSH.username, PUSH.password), { mode: 0o600 });
        variables = { REGISTRY_SERVER: registry.pushEndpoint, REGISTRY_AUTH_FILE: pushAuth };
        // The application's base image comes from the registry, as a real one's would.
        base = `${registry.pushEndpoint}/base/debian-slim:bookworm`;
        const skopeo = await Skopeo.create(join(scratch, "skopeo"));
        const pushed = await skopeo.run([
            "copy",
            "--dest-tls-verify=false",
            `--dest-authfile=${pushAuth}`,
            `oci:${slimBaseLayout()}:base`,
            `docker://${base}`,
        ]);
        assert.equal(pushed.code, 0, pushed.stderr);
    });

    after(async () => {
        await registry?.stop();
        if (scratch !== "") {
            rmSync(scratch, { recursive: true, force: true });
        }
    });

    /** Builds the fixture with the template's build job, then runs its test job. */
    async function buildAndTest(name: string, testCommand: string): Promise<Run> {
        const repo = join(scratch, name);
        writeFixtureRepository(repo, { base, testCommand });
        assertJob(await jobs.job(repo, "container-app:build", variables), "container-app:build", true);
        return jobs.job(repo, "container-app:test", variables);
    }

    it("passes when the test command passes inside the built image", async (t) => {
        if (skip !== undefined) {
            t.skip(`not run here: ${skip}`);
            return;
        }
        const started = Date.now();
        // The file the Containerfile copied in, read by the image's own shell and tools.
        const result = await buildAndTest(
            "passing",
            'test "$(cat /srv/hello.txt)" = "hello from the fixture application" && cat /proc/net/dev && echo TEST-COMMAND-RAN',
        );
        assertJob(result, "container-app:test", true);
        assert.match(result.stdout, /TEST-COMMAND-RAN/);
        // --network none: the loopback interface and nothing else.
        assert.match(result.stdout, /\blo:/);
        assert.doesNotMatch(result.stdout, /\b(eth|ens|tap|veth|enp)\w*:/);
        t.diagnostic(`build + test jobs: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

    it("fails the job when the test command fails", async (t) => {
        if (skip !== undefined) {
            t.skip(`not run here: ${skip}`);
            return;
        }
        const result = await buildAndTest(
            "failing",
            'echo TEST-COMMAND-RAN; test "$(cat /srv/hello.txt)" = "something else"',
        );
        assertJob(result, "container-app:test", false);
        // It failed in the test command, not before it.
        assert.match(result.stdout, /TEST-COMMAND-RAN/);
    });
});
