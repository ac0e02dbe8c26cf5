/**
 * ci/steps/test with real service containers: Podman (runc, the ulimits of the runners, from a
 * test-only CONTAINERS_CONF) runs Debian's PostgreSQL 15 (a locally built image, unprivileged as
 * its `postgres` user) and the fixture application's image in ONE network namespace that has only a
 * loopback interface; the application's integration test passes against it, and fails when the
 * service is missing, when the test is broken and when the service never becomes ready. The step
 * runs with exactly the variables its header documents.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { TEST_CONTAINERS_CONF } from "../support/podman-conf";
import { runStep } from "./steps";
import { ROOT, run } from "./tools";

const FIXTURES = join(ROOT, "test", "pipelines", "fixtures");
// A throwaway password of the fixture's database, the same the fixture's test connects with.
const DB_PASSWORD = ["app", "test", "only"].join("-");

/** Why podman cannot run containers here, or undefined when it can. */
function podmanUnavailable(): string | undefined {
    if (process.getuid?.() !== 0) {
        return "needs root (podman's root storage, as CI runs)";
    }
    for (const binary of ["podman", "runc", "mmdebstrap", "jq"]) {
        if (spawnSync("sh", ["-c", `command -v ${binary}`]).status !== 0) {
            return `${binary} is not installed (bash scripts/setup installs it)`;
        }
    }
    return undefined;
}

async function checked(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
    const result = await run(command, args, { env: env ?? process.env, timeoutMs: 20 * 60 * 1000 });
    assert.equal(result.code, 0, `${command} ${args.join(" ")}:\n${result.stderr.slice(-3000)}`);
    return result.stdout.trim();
}

describe("ci/steps/test with service containers (real podman, runc, PostgreSQL)", { timeout: 30 * 60 * 1000 }, () => {
    const why = podmanUnavailable();
    let scratch = "";
    let job: Record<string, string> = {};
    let appArchive = "";
    let serviceArchive = "";

    const services = (overrides: Record<string, unknown> = {}): string =>
        JSON.stringify([
            {
                alias: "db",
                image: `oci-archive:${serviceArchive}`,
                environment: { POSTGRES_USER: "app", POSTGRES_PASSWORD: DB_PASSWORD },
                readiness: "pg_isready -q -h 127.0.0.1",
                timeoutSeconds: 120,
                ...overrides,
            },
        ]);
    const testStep = (variables: Record<string, string>) =>
        runStep(
            "test",
            { IMAGE_ARCHIVE: appArchive, STORAGE_DRIVER: "overlay", ...variables },
            { cwd: scratch, job, timeoutMs: 10 * 60 * 1000 },
        );

    before(async () => {
        if (why !== undefined) {
            return;
        }
        scratch = mkdtempSync(join(tmpdir(), "step-test-services-"));
        const containersConf = join(scratch, "containers.conf");
        writeFileSync(containersConf, TEST_CONTAINERS_CONF);
        // A private storage for the step, as a job container has its own.
        const storage = join(scratch, "storage");
        mkdirSync(storage);
        const storageConf = join(scratch, "storage.conf");
        writeFileSync(
            storageConf,
            `[storage]\ndriver = "overlay"\ngraphroot = "${storage}/graph"\nrunroot = "${storage}/run"\n`,
        );
        job = { CONTAINERS_CONF: containersConf, CONTAINERS_STORAGE_CONF: storageConf, TMPDIR: scratch };

        // Debian's PostgreSQL 15 (server and client), cached by version; the service and the app
        // image add only configuration and files to it (no RUN step).
        const base = await checked("bash", [
            join(ROOT, "scripts", "images", "debian-image"),
            "postgres",
            "--include",
            "postgresql-15",
        ]);
        const tag = `localhost/cicd-test/${process.pid}`;
        const hostEnv = { ...process.env, CONTAINERS_CONF: containersConf };
        for (const [name, dir] of [
            ["service", join(FIXTURES, "postgres-service")],
            ["app", join(FIXTURES, "services-app")],
        ] as const) {
            await checked(
                "podman",
                ["build", "--quiet", "--pull=never", "--build-arg", `BASE=${base}`, "--tag", `${tag}-${name}`, dir],
                hostEnv,
            );
            const archive = join(scratch, `${name}.tar`);
            await checked(
                "podman",
                ["save", "--quiet", "--format", "oci-archive", "--output", archive, `${tag}-${name}`],
                hostEnv,
            );
            await checked("podman", ["rmi", `${tag}-${name}`], hostEnv);
            if (name === "service") {
                serviceArchive = archive;
            } else {
                appArchive = archive;
            }
        }
    });

    after(() => {
        if (scratch !== "") {
            // The step removed its containers; the private storage goes with the scratch directory.
            spawnSync("podman", ["--storage-driver", "overlay", "system", "reset", "--force"], {
                env: { ...process.env, ...job },
            });
            rmSync(scratch, { recursive: true, force: true });
        }
    });

    it("the integration test passes against PostgreSQL; the two share only a loopback (no route out)", async (t) => {
        if (why !== undefined) {
            t.skip(`not run here: ${why}`);
            return;
        }
        const result = await testStep({
            TEST_COMMAND: 'sh it/db-test.sh 42 && echo "routes: $(($(wc -l </proc/net/route) - 1))"',
            TEST_SERVICES: services(),
        });
        const output = `${result.stdout}${result.stderr}`;
        assert.equal(result.code, 0, output.slice(-4000));
        assert.match(output, /\[test\] service db: ready/);
        assert.match(result.stdout, /db-test: the orders sum to 42/);
        // No route at all: the namespace has a loopback and nothing else.
        assert.match(result.stdout, /^routes: 0$/m);
        assert.ok(!output.includes(DB_PASSWORD), "the service's password reached the log");
    });

    it("fails when the service is missing: the test cannot reach db", async (t) => {
        if (why !== undefined) {
            t.skip(`not run here: ${why}`);
            return;
        }
        const result = await testStep({ TEST_COMMAND: "sh it/db-test.sh 42" });
        assert.equal(result.code, 1, `${result.stdout}${result.stderr}`);
        assert.match(result.stderr, /could not translate host name "db"/);
        assert.match(result.stderr, /\[test\] the tests failed/);
    });

    it("fails when the test is broken, with the service up", async (t) => {
        if (why !== undefined) {
            t.skip(`not run here: ${why}`);
            return;
        }
        const result = await testStep({ TEST_COMMAND: "sh it/db-test.sh 43", TEST_SERVICES: services() });
        assert.equal(result.code, 1, `${result.stdout}${result.stderr}`);
        assert.match(result.stderr, /\[test\] service db: ready/);
        assert.match(result.stderr, /db-test: the orders sum to 42, expected 43/);
    });

    it("fails within the readiness timeout when a service never becomes ready", async (t) => {
        if (why !== undefined) {
            t.skip(`not run here: ${why}`);
            return;
        }
        const result = await testStep({
            TEST_COMMAND: "true",
            TEST_SERVICES: services({ readiness: "pg_isready -q -h 127.0.0.1 -p 1", timeoutSeconds: 5 }),
        });
        assert.equal(result.code, 1, `${result.stdout}${result.stderr}`);
        assert.match(result.stderr, /service db was not ready within 5s/);
    });

    it("refuses a bad service list before starting anything, naming each field", async () => {
        const result = await runStep(
            "test",
            {
                TEST_COMMAND: "true",
                IMAGE_ARCHIVE: join(ROOT, "package.json"),
                TEST_SERVICES: JSON.stringify([{ alias: "DB", image: "", readiness: "true", port: 5432 }]),
            },
            { cwd: ROOT },
        );
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /TEST_SERVICES\[0\]\.alias: a host name is required/);
        assert.match(result.stderr, /TEST_SERVICES\[0\]\.image: an image reference is required/);
        assert.match(result.stderr, /TEST_SERVICES\[0\]\.port: unknown field/);
    });
});
