/**
 * The GitLab template, the GitHub workflow and the Jenkins library are glue: each maps its own
 * variables and credentials onto the step scripts of ci/steps and holds none of the steps' logic.
 * Read from the three files: every step is called by every forge, with the same documented
 * variables; no build, scan, sign or deploy tool is invoked outside the scripts; production waits
 * for the E2E stage on staging everywhere.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import { parse } from "yaml";

import {
    GITHUB_WORKFLOW,
    GITLAB_TEMPLATE,
    githubStepCalls,
    gitlabStepCalls,
    groovyStages,
    JENKINS_LIBRARY,
    jenkinsStepCalls,
    type StepCall,
} from "./forge-glue";
import { stepNames, stepVariables } from "./steps";

/**
 * What one forge hands a step that the others do not, and why. Nothing else may differ.
 */
const FORGE_ONLY: Readonly<Record<StepCall["forge"], readonly string[]>> = {
    // A GitLab CI/CD file variable can hold the fan-out's dockerconfigjson as it is; GitHub secrets
    // and Jenkins credentials hand the same credential over as a username and a password.
    gitlab: ["REGISTRY_AUTH_FILE"],
    github: [],
    jenkins: [],
};

const calls: readonly StepCall[] = [...gitlabStepCalls(), ...githubStepCalls(), ...jenkinsStepCalls()];

describe("the three forges are glue over ci/steps", () => {
    it("every step script is called by every forge", () => {
        for (const forge of ["gitlab", "github", "jenkins"] as const) {
            const called = new Set(calls.filter((c) => c.forge === forge).map((c) => c.step));
            assert.deepEqual([...called].sort(), stepNames(), forge);
        }
    });

    it("each step gets the same documented variables from every forge, its required ones included", () => {
        for (const step of stepNames()) {
            const documented = stepVariables(step);
            const bySite = calls
                .filter((c) => c.step === step)
                .map((c) => ({
                    where: `${c.forge} ${c.site}`,
                    names: documented
                        .map((v) => v.name)
                        .filter((name) => c.variables.has(name) && !FORGE_ONLY[c.forge].includes(name))
                        .sort(),
                }));
            const first = bySite[0];
            assert.ok(first !== undefined, step);
            for (const site of bySite) {
                assert.deepEqual(site.names, first.names, `${step}: ${site.where} against ${first.where}`);
            }
            const missing = documented.filter((v) => v.required && !first.names.includes(v.name)).map((v) => v.name);
            assert.deepEqual(missing, [], `${step}: required variables no forge sets`);
        }
    });

    it("no fourth copy: no forge file runs a step's tools itself", () => {
        const tools = /(^|[\s;|&(])(buildah|podman|skopeo|cosign|syft|trivy|secretlint|pulumi)\s|npm run canary/m;
        const gitlab = parse(readFileSync(GITLAB_TEMPLATE, "utf8").split("\n---\n")[1] ?? "") as Record<
            string,
            unknown
        >;
        for (const [name, job] of Object.entries(gitlab)) {
            const text = JSON.stringify([
                (job as Record<string, unknown>).script,
                (job as Record<string, unknown>).before_script,
            ]);
            assert.doesNotMatch(text.replace(/\\n/g, "\n"), tools, `GitLab ${name}`);
        }
        const github = parse(readFileSync(GITHUB_WORKFLOW, "utf8")) as {
            jobs: Record<string, { steps?: { run?: string }[] }>;
        };
        for (const [name, job] of Object.entries(github.jobs)) {
            for (const step of job.steps ?? []) {
                assert.doesNotMatch(step.run ?? "", tools, `GitHub ${name}`);
            }
        }
        for (const script of readFileSync(JENKINS_LIBRARY, "utf8").matchAll(/\bsh '([^']*)'/g)) {
            assert.doesNotMatch(script[1] as string, tools, "Jenkins");
        }
    });

    it("production waits for the E2E stage on staging, which waits for the staging deploy, on every forge", () => {
        const gitlab = parse(readFileSync(GITLAB_TEMPLATE, "utf8").split("\n---\n")[1] ?? "") as Record<
            string,
            { needs?: (string | { job: string })[] }
        >;
        const needs = (job: string) => (gitlab[job]?.needs ?? []).map((n) => (typeof n === "string" ? n : n.job));
        assert.ok(needs("container-app:deploy-production").includes("container-app:e2e-staging"));
        assert.ok(needs("container-app:e2e-staging").includes("container-app:deploy-staging"));
        const github = parse(readFileSync(GITHUB_WORKFLOW, "utf8")) as {
            jobs: Record<string, { needs?: string | string[] }>;
        };
        const ghNeeds = (job: string) => [github.jobs[job]?.needs ?? []].flat();
        assert.ok(ghNeeds("deploy-production").includes("e2e-staging"));
        assert.ok(ghNeeds("e2e-staging").includes("deploy-staging"));
        // Jenkins runs its top-level stages one after another.
        const stages = groovyStages(readFileSync(JENKINS_LIBRARY, "utf8")).map((s) => s.name);
        assert.ok(stages.indexOf("Deploy staging") < stages.indexOf("E2E staging"));
        assert.ok(stages.indexOf("E2E staging") < stages.indexOf("Deploy production"));
    });
});
