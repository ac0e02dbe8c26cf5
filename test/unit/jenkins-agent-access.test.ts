import { byName, ofType, registered, reset, settle } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";

import { parse as parseYaml } from "yaml";

import { JenkinsAgentAccess } from "../../components";

type Obj = Record<string, unknown>;
const AGENT_POD = join(__dirname, "..", "..", "templates", "jenkins", "resources", "cicd-platform", "agent-pod.yaml");

describe("JenkinsAgentAccess", () => {
    beforeEach(reset);

    it("GIVEN the build namespace WHEN created THEN a token-less service account, a namespaced Role for agent pods only, its binding", async () => {
        new JenkinsAgentAccess("jenkins", { namespace: "ci-build" });
        await settle();
        const account = byName("kubernetes:core/v1:ServiceAccount", "jenkins");
        assert.equal((account.inputs.metadata as Obj).namespace, "ci-build");
        assert.equal(account.inputs.automountServiceAccountToken, false);
        const role = byName("kubernetes:rbac.authorization.k8s.io/v1:Role", "jenkins");
        const rules = role.inputs.rules as { resources: string[]; verbs: string[] }[];
        assert.deepEqual(
            rules.map((r) => r.resources.join(",")),
            ["pods", "pods/exec", "pods/log", "events"],
        );
        // Nothing that reads Secrets, changes RBAC or leaves the namespace.
        assert.ok(rules.every((r) => !r.resources.some((x) => /secret|role|namespace|node/.test(x))));
        assert.equal(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").length, 0);
        const binding = byName("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "jenkins");
        assert.deepEqual(binding.inputs.subjects, [
            { kind: "ServiceAccount", name: "jenkins-mock", namespace: "ci-build" },
        ]);
        assert.equal(registered.length, 5);
    });

    it("opens egress to the controller's ports for exactly the pods the agent template labels", async () => {
        new JenkinsAgentAccess("jenkins", { namespace: "ci-build", controllerPorts: [8443] });
        await settle();
        const policy = byName("kubernetes:networking.k8s.io/v1:NetworkPolicy", "jenkins-to-controller");
        const spec = policy.inputs.spec as { podSelector: { matchLabels: Obj }; egress: { ports: Obj[] }[] };
        assert.deepEqual(spec.egress, [{ ports: [{ protocol: "TCP", port: 8443 }] }]);
        const pod = parseYaml(readFileSync(AGENT_POD, "utf8")) as { metadata: { labels: Obj } };
        assert.deepEqual(spec.podSelector.matchLabels, pod.metadata.labels);
    });

    it("refuses a controller port outside 1-65535, naming the field", () => {
        assert.throws(
            () => new JenkinsAgentAccess("jenkins", { namespace: "ci-build", controllerPorts: [0] }),
            /jenkins: controllerPorts: must be TCP ports \(1-65535\), got \[0\]/,
        );
    });
});
