/**
 * The template's deploy job as release-deploy.test.ts runs it: rendered by gitlab-ci-local, then run
 * with bash and only the variables GitLab would hand it, so a variable the template's header does
 * not list fails the test instead of quietly making the job pass.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";

import { parse as parseYaml } from "yaml";

import { type AppSide, digest, ENVIRONMENT, git } from "./release-deploy-apps";
import { ROOT, run, type Run } from "./tools";

const JOB = "container-app:deploy-staging";
const GIT_USER = { name: "app-pipeline", email: "app-pipeline@example.invalid" };

/** Where the deploy jobs render and run; known once the world is set up. */
export interface JobSite {
    /** The test's scratch directory: renderings and checkouts go under it. */
    readonly work: string;
    /** The platform repository the template fetches over file://. */
    readonly platform: string;
    readonly gitlabCiLocal: string;
    /** What the template's header lists: all a job gets besides its own variables and GitLab's. */
    readonly headerNames: ReadonlySet<string>;
}

/** The variable names the template's header lists (the lines `#   NAME (…) - …`, also `A, B, C - …`). */
export function headerVariables(template: string): Set<string> {
    const header = template.slice(0, template.indexOf("\nspec:"));
    const names = new Set<string>();
    for (const line of header.split("\n")) {
        const match = /^#\s{3}([A-Z][A-Z0-9_]*(?:(?: \([^)]*\))?, [A-Z][A-Z0-9_]*)*)/.exec(line);
        for (const name of match?.[1]?.matchAll(/\b[A-Z][A-Z0-9_]{2,}\b/g) ?? []) {
            names.add(name[0]);
        }
    }
    return names;
}

/** GitLab's predefined variables the deploy job reads (GitLab sets them on every job). */
const PREDEFINED = ["CI_PROJECT_DIR", "CI_DEFAULT_BRANCH", "GITLAB_USER_NAME", "GITLAB_USER_EMAIL"];

/** PATH without this project's toolchain: the job installs its own. */
function runnerPath(): string {
    return (process.env.PATH ?? "")
        .split(delimiter)
        .filter((dir) => dir !== "" && !dir.includes("cicd-platform/toolchain"))
        .join(delimiter);
}

/** A failed job's story: the canary command's and the step's own lines, then the end of the rest. */
export function jobLog(result: Run): string {
    const all = `${result.stdout}\n${result.stderr}`;
    const decisions = all.split("\n").filter((line) => /^\[(canary|switch|deploy|toolchain)\]/.test(line));
    return `${decisions.join("\n")}\n--- end of the job's output:\n${all.slice(-4000)}`;
}

/** The deploy job of `side` as gitlab-ci-local renders it, with the platform at `ref`. */
export async function renderJob(
    site: JobSite,
    side: AppSide,
    ref: string,
    extraInputs: string[] = [],
): Promise<{ script: string; variables: Record<string, string>; resourceGroup: string; dir: string }> {
    const dir = mkdtempSync(join(site.work, `${side.app}-render-`));
    mkdirSync(join(dir, "templates", "gitlab"), { recursive: true });
    cpSync(
        join(ROOT, "templates", "gitlab", "container-app.yml"),
        join(dir, "templates", "gitlab", "container-app.yml"),
    );
    const unpulled = (name: string) => `${name}.invalid/${name}@${digest(name)}`;
    writeFileSync(
        join(dir, ".gitlab-ci.yml"),
        [
            "include:",
            "  - local: templates/gitlab/container-app.yml",
            "    inputs:",
            `      image: ${side.image}`,
            `      app: ${side.app}`,
            `      platform-repository: file://${site.platform}`,
            `      platform-ref: "${ref}"`,
            `      staging-stack: ${ENVIRONMENT}`,
            `      tools-image: "${unpulled("tools")}"`,
            ...extraInputs.map((input) => `      ${input}`),
            "",
        ].join("\n"),
    );
    await git(dir, "init", "--quiet", "--initial-branch=main");
    await git(dir, "add", "--all");
    await git(dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "ci");
    mkdirSync(join(dir, ".home"));
    const preview = await run(site.gitlabCiLocal, ["--preview"], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: join(dir, ".home"), LANG: "C.UTF-8" },
        timeoutMs: 120_000,
    });
    assert.equal(preview.code, 0, preview.stderr);
    const job = (
        parseYaml(preview.stdout) as Record<
            string,
            { script: string[]; variables: Record<string, string>; resource_group: string }
        >
    )[JOB];
    assert.ok(job !== undefined, `${JOB} is not in the rendered pipeline`);
    return { script: job.script.join("\n"), variables: job.variables, resourceGroup: job.resource_group, dir };
}

/** Runs a rendered deploy job for `side` with the digest the publish job would hand it. */
export async function deploy(
    site: JobSite,
    side: AppSide,
    ref: string,
    imageDigest: string,
): Promise<Run & { started: number; finished: number }> {
    const job = await renderJob(site, side, ref);
    // GitLab's checkout of the pipeline's commit, origin = the project's repository.
    const checkout = mkdtempSync(join(site.work, `${side.app}-job-`));
    await git(site.work, "clone", "--quiet", side.origin, checkout);
    const jobEnv: Record<string, string> = {
        // The runner's shell.
        PATH: runnerPath(),
        HOME: process.env.HOME ?? "/root",
        LANG: "C.UTF-8",
        // The job's own variables, as rendered.
        ...job.variables,
        // GitLab's predefined variables the job reads.
        CI_PROJECT_DIR: checkout,
        CI_DEFAULT_BRANCH: "main",
        GITLAB_USER_NAME: GIT_USER.name,
        GITLAB_USER_EMAIL: GIT_USER.email,
        // The publish job's dotenv report.
        IMAGE_DIGEST: imageDigest,
        // What the header lists: the tenant fan-out's, the team's, the runner's cache.
        TENANT_KUBECONFIG: side.kubeconfig,
        TENANT_STATE_BACKEND: side.backend,
        TENANT_PULL_PREFIX: side.pullPrefix,
        RELEASE_PASSPHRASE: side.passphrase,
        RELEASE_PUSH_TOKEN: ["push", "token", "of", side.app].join("-"),
        PROMETHEUS_URL: side.lab?.prometheus.url ?? "",
        CICD_CACHE: process.env.CICD_CACHE ?? join(process.env.HOME ?? "/root", ".cache", "cicd-platform"),
    };
    const allowed = new Set([
        ...site.headerNames,
        ...Object.keys(job.variables),
        ...PREDEFINED,
        "IMAGE_DIGEST",
        "PATH",
        "HOME",
        "LANG",
    ]);
    assert.deepEqual(
        Object.keys(jobEnv).filter((name) => !allowed.has(name)),
        [],
        "a variable the header does not list",
    );
    const started = Date.now();
    // As GitLab's shell executor runs a job's script: bash, stopping at the first failure.
    const result = await run("bash", ["-c", `set -eo pipefail\n${job.script}`], {
        cwd: checkout,
        env: jobEnv,
        timeoutMs: 25 * 60 * 1000,
    });
    return { ...result, started, finished: Date.now() };
}

/**
 * Runs deploys as GitLab's resource groups would: equal groups one after another in the order the
 * jobs were created, others side by side (stand-in). The groups are rendered first, so the order
 * does not depend on which rendering finishes first.
 */
export async function deployInResourceGroups(site: JobSite, deploys: { side: AppSide; ref: string; digest: string }[]) {
    const rendered = await Promise.all(deploys.map((d) => renderJob(site, d.side, d.ref)));
    const groups = new Map<string, Promise<unknown>>();
    const runs = deploys.map((d, index) => {
        const group = rendered[index]?.resourceGroup ?? "";
        const previous = groups.get(group) ?? Promise.resolve();
        const mine = previous.then(() => deploy(site, d.side, d.ref, d.digest));
        groups.set(
            group,
            mine.catch(() => undefined),
        );
        return mine.then((result) => ({ group, result }));
    });
    return Promise.all(runs);
}
