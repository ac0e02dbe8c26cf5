/**
 * runners.build.jenkinsAgents, under Pulumi mocks: the committed stacks give their Jenkins
 * controller access to the build runner's namespace (JenkinsAgentAccess), a stack without the key
 * gives none, and bad values are refused naming the key.
 */
import { byName, ofType, reset, runProgram, settle, valueOf } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { parsePlainConfig } from "../../config/schema";
import { committedStackConfig } from "../support/stack-secrets";

type Obj = Record<string, unknown>;

function withJenkins(stack: string, build: Obj): { values: Record<string, unknown>; secrets: string[] } {
    const { values, secrets } = committedStackConfig(stack);
    const runners = values.runners as Obj;
    return { values: { ...values, runners: { ...runners, build: { ...(runners.build as Obj), ...build } } }, secrets };
}

function plain(values: Record<string, unknown>, secrets: string[]): Record<string, unknown> {
    return Object.fromEntries(Object.entries(values).filter(([key]) => !secrets.includes(key)));
}

describe("runners.build.jenkinsAgents in the stacks", { concurrency: 1 }, () => {
    beforeEach(async () => {
        await settle();
        reset();
    });

    for (const stack of ["staging", "production"]) {
        it(`${stack}: the controller's service account and Role in the build runner's namespace, egress to port 443`, async () => {
            const { values, secrets } = committedStackConfig(stack);
            const outputs = runProgram(values, secrets);
            await settle();
            const namespace = `ci-build-${stack}`;
            const account = byName("kubernetes:core/v1:ServiceAccount", "jenkins-agents");
            assert.equal((account.inputs.metadata as Obj).namespace, namespace);
            assert.equal(account.inputs.automountServiceAccountToken, false);
            assert.equal(
                (byName("kubernetes:rbac.authorization.k8s.io/v1:Role", "jenkins-agents").inputs.metadata as Obj)
                    .namespace,
                namespace,
            );
            const policy = byName("kubernetes:networking.k8s.io/v1:NetworkPolicy", "jenkins-agents-to-controller");
            assert.equal((policy.inputs.metadata as Obj).namespace, namespace);
            const egress = ((policy.inputs.spec as Obj).egress as Obj[])[0] as Obj;
            assert.deepEqual(egress.ports, [{ protocol: "TCP", port: 443 }]);
            const exported = outputs.runners.build?.jenkinsServiceAccount;
            assert.ok(exported !== undefined, "runners.build.jenkinsServiceAccount is not an output");
            // The mocks name a resource after its logical name.
            assert.match(await valueOf(exported), /^jenkins-agents/);
        });
    }

    it("without the key: no Jenkins access, and no output for it", async () => {
        const { values, secrets } = withJenkins("staging", { jenkinsAgents: undefined });
        const outputs = runProgram(values, secrets);
        await settle();
        assert.equal(ofType("cicd:runners:JenkinsAgentAccess").length, 0);
        assert.equal(outputs.runners.build?.jenkinsServiceAccount, undefined);
    });

    it("the default ports are the controller's web and agent ports", () => {
        const { values, secrets } = withJenkins("staging", { jenkinsAgents: {} });
        const parsed = parsePlainConfig(plain(values, secrets));
        assert.ok(parsed.ok);
        assert.deepEqual(parsed.config.runners.build.jenkinsAgents?.controllerPorts, [443, 50000]);
    });

    it("refuses bad values naming the key", () => {
        const problems = (build: Obj) => {
            const { values, secrets } = withJenkins("staging", build);
            const parsed = parsePlainConfig(plain(values, secrets));
            assert.ok(!parsed.ok);
            return parsed.problems;
        };
        assert.deepEqual(problems({ jenkinsAgents: { controllerPorts: [443, 70000] } }), [
            { path: "runners.build.jenkinsAgents.controllerPorts[1]", message: "70000 is not a TCP port (1-65535)" },
        ]);
        assert.deepEqual(problems({ jenkinsAgents: { controllerPorts: [] } }), [
            {
                path: "runners.build.jenkinsAgents.controllerPorts",
                message: "must name at least one port of the controller",
            },
        ]);
        assert.equal(problems({ jenkinsAgents: { controllerPort: 443 } })[0]?.path, "runners.build.jenkinsAgents");
        const off = problems({ enabled: false, jenkinsAgents: { controllerPorts: [443] } });
        assert.deepEqual(
            off.map((p) => p.path),
            ["runners.build.jenkinsAgents"],
        );
        assert.match(off[0]?.message ?? "", /needs runners\.build\.enabled/);
    });
});
