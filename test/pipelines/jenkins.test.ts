/**
 * The Jenkins library (templates/jenkins): npm-groovy-lint (CodeNarc on Debian's JRE) over the
 * library and the example Jenkinsfile; the agent pod against the build runner's job-pod rules; the
 * pipeline's stages, gates and credentials read from the library's text. What only a Jenkins
 * controller can check is reported as not run, with the reason. The scripts the stages call are
 * run by step-scripts.test.ts and step-test-services.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { parse as parseYaml } from "yaml";

import { groovyBlock, groovyStages, JENKINS_AGENT_POD, JENKINS_LIBRARY, jenkinsStepCalls } from "./forge-glue";
import { stepNames } from "./steps";
import { ROOT, run } from "./tools";

const JENKINS_DIR = join(ROOT, "templates", "jenkins");
const library = readFileSync(JENKINS_LIBRARY, "utf8");

interface Container {
    name: string;
    image: string;
    securityContext?: {
        runAsUser?: number;
        runAsNonRoot?: boolean;
        privileged?: boolean;
        allowPrivilegeEscalation?: boolean;
        capabilities?: { drop?: string[]; add?: string[] };
    };
}
interface AgentPod {
    spec: {
        hostUsers?: boolean;
        automountServiceAccountToken?: boolean;
        nodeSelector?: Record<string, string>;
        securityContext: {
            runAsUser: number;
            fsGroup: number;
            seccompProfile: { type: string; localhostProfile: string };
        };
        containers: Container[];
    };
}

describe("Jenkins library templates/jenkins", () => {
    describe("npm-groovy-lint (CodeNarc on Debian's JRE)", { timeout: 15 * 60 * 1000 }, () => {
        let scratch = "";
        let report: { files: Record<string, { errors: { severity: string; rule: string; msg: string }[] }> } = {
            files: {},
        };
        before(async () => {
            // A test-only tool: installed (cached by version) here, never by `scripts/local up`.
            const install = await run("bash", [join(ROOT, "scripts", "ci", "install-groovy-lint")], {
                timeoutMs: 10 * 60 * 1000,
            });
            assert.equal(install.code, 0, install.stderr);
            const check = spawnSync("bash", [join(ROOT, "scripts", "ci", "install-groovy-lint"), "--check"], {
                encoding: "utf8",
            });
            const lint = /^npm-groovy-lint (\S+)$/m.exec(check.stdout)?.[1];
            assert.ok(lint !== undefined, check.stderr);
            scratch = mkdtempSync(join(tmpdir(), "groovy-lint-"));
            cpSync(JENKINS_DIR, join(scratch, "jenkins"), { recursive: true });
            // A copy with a syntax error: the lint must tell it apart (one JVM run for all files).
            writeFileSync(join(scratch, "broken.groovy"), library.replace("stage('Build') {", "stage('Build' {"));
            const result = await run(
                lint,
                [
                    "--noserver",
                    "--output",
                    "json",
                    "--config",
                    join(JENKINS_DIR, ".groovylintrc.json"),
                    join(scratch, "jenkins", "vars", "containerApp.groovy"),
                    join(scratch, "jenkins", "Jenkinsfile"),
                    join(scratch, "broken.groovy"),
                ],
                { timeoutMs: 10 * 60 * 1000 },
            );
            const json = result.stdout.slice(result.stdout.indexOf("{"));
            report = JSON.parse(json) as typeof report;
        });
        after(() => {
            if (scratch !== "") {
                rmSync(scratch, { recursive: true, force: true });
            }
        });
        const findings = (suffix: string) =>
            Object.entries(report.files).find(([file]) => file.endsWith(suffix))?.[1].errors ?? [];

        it("the library and the example Jenkinsfile: no error, no warning", () => {
            assert.ok(Object.keys(report.files).length === 3, JSON.stringify(report).slice(0, 2000));
            for (const file of ["vars/containerApp.groovy", "jenkins/Jenkinsfile"]) {
                const bad = findings(file).filter((f) => f.severity === "error" || f.severity === "warning");
                assert.deepEqual(bad, [], file);
            }
        });

        it("a copy with a syntax error is reported as a parse error (the lint reads the Groovy)", () => {
            assert.ok(
                findings("broken.groovy").some((f) => f.severity === "error" && f.rule === "NglParseError"),
                JSON.stringify(findings("broken.groovy")),
            );
        });
    });

    it("the agent pod is the build runner's job pod: user namespace, Localhost seccomp, three capabilities on build only", () => {
        const pod = parseYaml(readFileSync(JENKINS_AGENT_POD, "utf8")) as AgentPod;
        assert.equal(pod.spec.hostUsers, false);
        assert.equal(pod.spec.automountServiceAccountToken, false);
        assert.deepEqual(pod.spec.nodeSelector, { "cicd.platform/rootless-build": "true" });
        assert.equal(pod.spec.securityContext.seccompProfile.type, "Localhost");
        assert.equal(pod.spec.securityContext.seccompProfile.localhostProfile, "@SECCOMP_PROFILE@");
        assert.match(library, /seccompProfile: 'cicd-platform\/rootless-buildah\.json'/);
        assert.equal(pod.spec.securityContext.runAsUser, 1000);
        assert.equal(pod.spec.securityContext.fsGroup, 1000);
        const byName = new Map(pod.spec.containers.map((c) => [c.name, c]));
        assert.deepEqual([...byName.keys()].sort(), ["build", "deploy", "jnlp"]);
        for (const container of pod.spec.containers) {
            const context = container.securityContext ?? {};
            assert.deepEqual(context.capabilities?.drop, ["ALL"], container.name);
            assert.notEqual(context.privileged, true, container.name);
            assert.equal(context.allowPrivilegeEscalation, false, container.name);
        }
        assert.deepEqual(byName.get("build")?.securityContext?.capabilities?.add, ["SETUID", "SETGID", "SETFCAP"]);
        assert.equal(byName.get("build")?.securityContext?.runAsUser, 0);
        assert.equal(byName.get("jnlp")?.securityContext?.runAsNonRoot, true);
        assert.equal(byName.get("jnlp")?.securityContext?.capabilities?.add, undefined);
        assert.equal(byName.get("build")?.image, "@TOOLS_IMAGE@");
        assert.equal(byName.get("jnlp")?.image, "@AGENT_IMAGE@");
    });

    it("the stages and gates: the GitLab template's order, E2E on staging before production, production behind input", () => {
        const names = groovyStages(library).map((s) => s.name);
        assert.deepEqual(names, [
            "Build",
            "Checks",
            "Test",
            "Secret scan",
            "Vulnerability scan",
            "SBOM",
            "Publish",
            "Verify",
            "Deploy staging",
            "E2E staging",
            "Deploy production",
        ]);
        const production = groovyStages(library).find((s) => s.name === "Deploy production")?.body ?? "";
        const input = groovyBlock(production, "input") ?? "";
        assert.match(input, /submitter "\$\{settings\.productionSubmitters\}"/);
        assert.match(library, /productionSubmitters: 'production-approvers'/);
        // The input is asked before the agent is held for it, and only on the deploy branch.
        assert.match(groovyBlock(production, "when") ?? "", /beforeInput true/);
        // Every step script but the deploy's is called by some stage.
        const called = new Set(jenkinsStepCalls().map((c) => c.step));
        assert.deepEqual([...called].sort(), stepNames());
    });

    it("credentials only through withCredentials, never interpolated by Groovy", () => {
        const secrets = [
            "REGISTRY_PASSWORD",
            "SIGNING_KEY",
            "SIGNING_PASSPHRASE",
            "TENANT_KUBECONFIG",
            "PULUMI_CONFIG_PASSPHRASE",
            "PUSH_TOKEN",
        ];
        for (const secret of secrets) {
            assert.match(library, new RegExp(`(variable|passwordVariable): '${secret}'`), secret);
        }
        // A secret in a Groovy string would be interpolated before the shell masks it.
        assert.doesNotMatch(library, /\bsh\s+"/, "a double-quoted sh step (Groovy interpolation)");
        assert.doesNotMatch(library, /credentials\(/, "credentials() in an environment block");
        const environment = groovyBlock(groovyBlock(library, "pipeline") ?? "", "environment") ?? "";
        for (const secret of secrets) {
            assert.doesNotMatch(environment, new RegExp(`\\b${secret}\\b`), secret);
        }
    });

    it("what only Jenkins can check", (t) => {
        t.skip(
            "not run here: a Jenkins controller (the declarative validator: `input submitter`, `withCredentials` " +
                "bindings, `when { beforeInput }`, libraryResource, the kubernetes plugin's pod agent) cannot run " +
                "on this machine; the Groovy is linted above and the step scripts the stages call are run by the " +
                "step tests",
        );
    });
});
