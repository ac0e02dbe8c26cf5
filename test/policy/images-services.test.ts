import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { parseImage } from "../../policy/src/lib/images";
import { checkResource, UNKNOWN_STRING } from "./harness";
import { container, DIGEST, deployment, everyWorkloadKind, podSpec } from "./objects";

function withImage(image: string, init = false): ReturnType<typeof deployment> {
    return deployment(
        podSpec(
            init ? { initContainers: [container({ name: "setup", image })] } : { containers: [container({ image })] },
        ),
    );
}

describe("parseImage", () => {
    it("tells a registry port from a tag and splits off the digest", () => {
        assert.deepEqual(parseImage("registry:5000/team/app"), {
            repository: "registry:5000/team/app",
            digest: undefined,
        });
        assert.deepEqual(parseImage("registry:5000/team/app:1.2"), {
            repository: "registry:5000/team/app",
            tag: "1.2",
            digest: undefined,
        });
        assert.deepEqual(parseImage(`app:1.2@${DIGEST}`), { repository: "app", tag: "1.2", digest: DIGEST });
    });
});

describe("image-tag-not-latest", () => {
    it("GIVEN version tags and digests THEN it passes", async () => {
        for (const image of [
            "registry.example.com/shop/web:1.4.2",
            `registry.example.com/shop/web@${DIGEST}`,
            "localhost:5000/web:v2",
        ]) {
            assert.deepEqual(await checkResource("image-tag-not-latest", withImage(image)), [], image);
        }
    });

    it("GIVEN :latest or no tag, in a container or an init container of any workload kind THEN it reports image and container", async () => {
        const latest = await checkResource("image-tag-not-latest", withImage("nginx:latest"));
        assert.match(
            latest[0]!,
            /container "app" \(spec\.template\.spec\.containers\[0\]\) runs image "nginx:latest" with the tag "latest"/,
        );
        const untagged = await checkResource("image-tag-not-latest", withImage("registry:5000/team/app", true));
        assert.match(
            untagged[0]!,
            /init container "setup" .*"registry:5000\/team\/app" without a tag or digest, which pulls "latest"/,
        );
        for (const workload of everyWorkloadKind(podSpec({ containers: [container({ image: "busybox" })] }))) {
            assert.equal((await checkResource("image-tag-not-latest", workload)).length, 1, workload.type);
        }
    });

    it("GIVEN an image unknown during preview THEN it skips it", async () => {
        assert.deepEqual(await checkResource("image-tag-not-latest", withImage(UNKNOWN_STRING)), []);
    });
});

describe("image-pinned-by-digest", () => {
    it("GIVEN repository@sha256:<64 hex> THEN it passes; a tag or a short digest fails with how to fix", async () => {
        assert.deepEqual(
            await checkResource("image-pinned-by-digest", withImage(`registry.example.com/shop/web@${DIGEST}`)),
            [],
        );
        const tagged = await checkResource(
            "image-pinned-by-digest",
            withImage("nginxinc/nginx-unprivileged:1.27.5-alpine"),
        );
        assert.match(
            tagged[0]!,
            /"nginxinc\/nginx-unprivileged:1\.27\.5-alpine", which is not pinned by digest.*Fix: reference it as repository@sha256:<digest>/,
        );
        assert.equal((await checkResource("image-pinned-by-digest", withImage("web@sha256:abc"))).length, 1);
    });
});

function service(
    type: string,
    name = "web",
    namespace = "shop",
    extra: Record<string, unknown> = {},
): { type: string; name: string; props: Record<string, unknown> } {
    return {
        type: "kubernetes:core/v1:Service",
        name,
        props: { metadata: { name, namespace }, spec: { type, ports: [{ port: 80 }], ...extra } },
    };
}

describe("service-no-external-exposure", () => {
    it("GIVEN ClusterIP or no type THEN it passes", async () => {
        assert.deepEqual(await checkResource("service-no-external-exposure", service("ClusterIP")), []);
        const untyped = service("ClusterIP");
        delete (untyped.props.spec as Record<string, unknown>).type;
        assert.deepEqual(await checkResource("service-no-external-exposure", untyped), []);
    });

    it("GIVEN LoadBalancer, NodePort or externalIPs THEN it reports the Service and the exact exception to add", async () => {
        const lb = await checkResource("service-no-external-exposure", service("LoadBalancer"));
        assert.match(
            lb[0]!,
            /Service shop\/web is of type LoadBalancer \(spec\.type\).*add "shop\/web" to service-no-external-exposure\.allowed/,
        );
        assert.equal((await checkResource("service-no-external-exposure", service("NodePort"))).length, 1);
        const ips = await checkResource(
            "service-no-external-exposure",
            service("ClusterIP", "web", "shop", { externalIPs: ["203.0.113.7"] }),
        );
        assert.match(ips[0]!, /lists spec\.externalIPs/);
    });

    it("GIVEN the Service in the stack's allowed list THEN it passes; an auto-named Service is allowed by its resource name", async () => {
        assert.deepEqual(
            await checkResource("service-no-external-exposure", service("LoadBalancer"), { allowed: ["shop/web"] }),
            [],
        );
        assert.equal(
            (await checkResource("service-no-external-exposure", service("LoadBalancer"), { allowed: ["other/web"] }))
                .length,
            1,
        );
        const auto = {
            type: "kubernetes:core/v1:Service",
            name: "ingress",
            props: { metadata: { namespace: "edge" }, spec: { type: "LoadBalancer" } },
        };
        assert.deepEqual(await checkResource("service-no-external-exposure", auto, { allowed: ["edge/ingress"] }), []);
        assert.match(
            (await checkResource("service-no-external-exposure", auto))[0]!,
            /Service edge\/<auto-named ingress-…>/,
        );
    });
});
