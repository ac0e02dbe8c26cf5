import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { restrictedPodSecurityLabels } from "../../components/namespaces/environment-namespace";
import { renderNginxConfig } from "../../components/traffic/nginx-config";
import { checkResource, checkStack, type StackInput, UNKNOWN_STRING, urnOf } from "./harness";
import { configMap } from "./objects";

const render = (canaryPercent: number): string =>
    renderNginxConfig({
        name: "storefront",
        stable: "storefront-stable.shop.svc:80",
        canary: "storefront-canary.shop.svc:80",
        canaryPercent,
    });

describe("nginx-upstream-weights", () => {
    it("GIVEN what renderNginxConfig writes at every percentage THEN it passes", async () => {
        for (let percent = 0; percent <= 100; percent += 5) {
            assert.deepEqual(
                await checkResource("nginx-upstream-weights", configMap({ "nginx.conf": render(percent) })),
                [],
                String(percent),
            );
        }
    });

    it("GIVEN weight=0 (the seed's promotion) or a fractional weight THEN it reports upstream, server and fix", async () => {
        const seed = "upstream app {\n  server stable:80 weight=0;\n  server canary:80 weight=10;\n}\n";
        const zero = await checkResource("nginx-upstream-weights", configMap({ "nginx.conf": seed }));
        assert.equal(zero.length, 1);
        assert.match(
            zero[0]!,
            /data\["nginx\.conf"\] upstream app, server stable:80 has weight=0, which nginx rejects.*Fix: leave a server/,
        );
        const fraction = await checkResource(
            "nginx-upstream-weights",
            configMap({ "nginx.conf": "upstream app { server a:80 weight=2.5; }" }),
        );
        assert.match(fraction[0]!, /weight=2\.5, which is not an integer/);
    });

    it("GIVEN weights in comments, keys not ending in .conf or an unknown config THEN it ignores them", async () => {
        assert.deepEqual(
            await checkResource(
                "nginx-upstream-weights",
                configMap({ "nginx.conf": "upstream a { server a:80; # weight=0\n}" }),
            ),
            [],
        );
        assert.deepEqual(
            await checkResource(
                "nginx-upstream-weights",
                configMap({ "README.md": "upstream a { server a weight=0; }" }),
            ),
            [],
        );
        assert.deepEqual(
            await checkResource("nginx-upstream-weights", configMap({ "nginx.conf": UNKNOWN_STRING })),
            [],
        );
    });
});

function canaryStack(stable: unknown, canary: unknown, conf: string): StackInput[] {
    return [
        { type: "cicd:release:CanaryRelease", name: "storefront", props: { weights: { stable, canary } } },
        { type: "cicd:traffic:WeightedUpstream", name: "storefront-router", parent: "storefront", props: {} },
        { ...configMap({ "nginx.conf": conf }, "storefront-router-conf"), parent: "storefront-router" },
    ];
}

describe("canary-percent-in-range", () => {
    it("GIVEN a release at 0, 25 and 100 percent as the components render it THEN it passes", async () => {
        for (const percent of [0, 25, 100]) {
            assert.deepEqual(
                await checkStack("canary-percent-in-range", canaryStack(100 - percent, percent, render(percent))),
                [],
            );
        }
    });

    it("GIVEN weights outside 0-100 or not summing to 100 THEN it reports the release by URN", async () => {
        const violations = await checkStack("canary-percent-in-range", canaryStack(-20, 120, render(100)));
        assert.equal(violations.length, 1);
        assert.match(violations[0]!.message, /Canary release "storefront" splits traffic stable -20 \/ canary 120/);
        assert.equal(violations[0]!.urn, urnOf({ type: "cicd:release:CanaryRelease", name: "storefront" }));
    });

    it("GIVEN a hand-edited router ConfigMap whose weights do not add up to 100 THEN it reports the upstream", async () => {
        const edited = render(25).replace("weight=75", "weight=7").replace("weight=25", "weight=2");
        const violations = await checkStack("canary-percent-in-range", canaryStack(75, 25, edited));
        assert.equal(violations.length, 1);
        assert.match(violations[0]!.message, /upstream storefront splits 7 \+ 2 = 9, not 100 percent/);
    });

    it("GIVEN a ConfigMap outside a WeightedUpstream or weights unknown in preview THEN it does not judge them", async () => {
        assert.deepEqual(
            await checkStack(
                "canary-percent-in-range",
                [configMap({ "nginx.conf": "upstream a { server a weight=3; }" })].map((c) => ({ ...c })),
            ),
            [],
        );
        assert.deepEqual(
            await checkStack("canary-percent-in-range", canaryStack(UNKNOWN_STRING, UNKNOWN_STRING, UNKNOWN_STRING)),
            [],
        );
    });
});

const NAMESPACE = "kubernetes:core/v1:Namespace";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

function namespace(name: string, labels: Record<string, unknown> = restrictedPodSecurityLabels("latest")): StackInput {
    return { type: NAMESPACE, name: `ns-${name}`, props: { metadata: { name, labels } } };
}

function networkPolicy(namespaceName: string, spec: Record<string, unknown>, name = "default-deny"): StackInput {
    return {
        type: NETWORK_POLICY,
        name: `${namespaceName}-${name}`,
        props: { metadata: { name, namespace: namespaceName }, spec },
    };
}

const DENY = { podSelector: {}, policyTypes: ["Ingress", "Egress"] };

describe("namespace-pod-security-restricted", () => {
    it("GIVEN the labels EnvironmentNamespace sets THEN it passes; baseline or none fails", async () => {
        assert.deepEqual(await checkResource("namespace-pod-security-restricted", namespace("shop")), []);
        const baseline = await checkResource(
            "namespace-pod-security-restricted",
            namespace("shop", { "pod-security.kubernetes.io/enforce": "baseline" }),
        );
        assert.match(
            baseline[0]!,
            /Namespace shop has pod-security\.kubernetes\.io\/enforce=baseline.*Fix: label it pod-security\.kubernetes\.io\/enforce: restricted/,
        );
        assert.match(
            (await checkResource("namespace-pod-security-restricted", namespace("shop", {})))[0]!,
            /has no pod-security\.kubernetes\.io\/enforce label/,
        );
    });

    it("GIVEN the build runner's namespace (baseline, restricted audited and warned) THEN it passes; without the audit it fails", async () => {
        const labels = {
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
            "cicd.platform/runner-role": "build",
        };
        assert.deepEqual(await checkResource("namespace-pod-security-restricted", namespace("ci-build", labels)), []);
        const { "pod-security.kubernetes.io/audit": _audit, ...unaudited } = labels;
        assert.equal(
            (await checkResource("namespace-pod-security-restricted", namespace("ci-build", unaudited))).length,
            1,
        );
        // The role label does not open privileged.
        const privileged = { ...labels, "pod-security.kubernetes.io/enforce": "privileged" };
        assert.equal(
            (await checkResource("namespace-pod-security-restricted", namespace("ci-build", privileged))).length,
            1,
        );
    });
});

describe("namespace-default-deny", () => {
    it("GIVEN a namespace with the default-deny policy EnvironmentNamespace creates THEN it passes", async () => {
        assert.deepEqual(
            await checkStack("namespace-default-deny", [namespace("shop"), networkPolicy("shop", DENY)]),
            [],
        );
    });

    it("GIVEN no policy, a policy with rules, a selecting policy or one direction only THEN it reports the namespace", async () => {
        const cases: StackInput[][] = [
            [namespace("shop")],
            [namespace("shop"), networkPolicy("shop", { ...DENY, ingress: [{}] })],
            [namespace("shop"), networkPolicy("shop", { ...DENY, podSelector: { matchLabels: { app: "web" } } })],
            [namespace("shop"), networkPolicy("shop", { podSelector: {}, policyTypes: ["Ingress"] })],
            [namespace("shop"), networkPolicy("other", DENY)],
        ];
        for (const resources of cases) {
            const violations = await checkStack("namespace-default-deny", resources);
            assert.equal(violations.length, 1, JSON.stringify(resources));
            assert.match(violations[0]!.message, /Namespace shop has no default-deny NetworkPolicy in this stack/);
            assert.equal(violations[0]!.urn, urnOf({ type: NAMESPACE, name: "ns-shop" }));
        }
    });
});
