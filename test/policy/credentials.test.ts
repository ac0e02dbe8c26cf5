import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { dockerConfigJson } from "../../components/registry/registry-credentials";
import { findCredential, isCredentialName } from "../../policy/src/lib/credentials";
import { checkResource } from "./harness";
import { configMap, container, deployment, podSpec } from "./objects";

// Fake credentials, assembled at run time so no token-shaped literal sits in the repository.
const fake = {
    glrt: "glrt-" + "t1_" + "a1B2c3D4e5F6g7H8i9J0kLmN",
    glpat: "glpat-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm",
    registration: "GR1348941" + "aBcDeFgHiJkLmNoPqRsTu",
    ghp: "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345",
    githubPat: "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    awsId: "AKIA" + "IOSFODNN7EXAMPLE",
    awsSecret: "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    privateKey: "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
    password: "db.url=postgres://db:5432/shop\ndb." + "password=hunter2hunter2",
    urlPassword: "https://deploy:" + "s3cr3tpass@registry.example.com/v2/",
    docker: dockerConfigJson("registry.example.com", "ci-pull", "not-a-real-password"),
};

describe("findCredential", () => {
    it("recognises each kind of credential and names it without echoing the value", () => {
        const expected: Record<keyof typeof fake, RegExp> = {
            glrt: /GitLab runner authentication token/,
            glpat: /GitLab personal access token/,
            registration: /GitLab runner registration token/,
            ghp: /GitHub token/,
            githubPat: /GitHub fine-grained/,
            awsId: /AWS access key id/,
            awsSecret: /AWS secret access key/,
            privateKey: /private key block/,
            password: /literal credential assignment \(db\.password=…\)/,
            urlPassword: /URL with an embedded password/,
            docker: /dockerconfig JSON with auths/,
        };
        for (const [key, pattern] of Object.entries(expected)) {
            const finding = findCredential(fake[key as keyof typeof fake]);
            assert.match(finding ?? "none", pattern, key);
            assert.ok(!finding?.includes(fake[key as keyof typeof fake].slice(-8)), `${key}: finding echoes the value`);
        }
    });

    it("leaves references, placeholders and ordinary config alone", () => {
        for (const text of [
            "password=${DB_PASSWORD}",
            "token: $CI_JOB_TOKEN",
            'password: "{{ .Values.password }}"',
            "postgres://app:${PGPASSWORD}@db:5432/app",
            "token_ttl=3600",
            "upstream web { server web-stable.shop.svc:80 weight=90 max_fails=3 fail_timeout=30s; }",
            "sha256-3f1c9a6d2b7e4c0a8d5f6e7b9c1a2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c",
            '{"auths": {}}',
            // The private registry's config.yml: a mapping key named like a credential, no value.
            "auth:\n  htpasswd:\n    realm: cicd-platform-registry\n    path: /auth/htpasswd\n",
        ]) {
            assert.equal(findCredential(text), undefined, text);
        }
    });

    it("recognises credential variable names but not references to them", () => {
        for (const name of [
            "REGISTRY_PASSWORD",
            "CI_JOB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "DOCKER_CONFIG",
            "DOCKER_CONFIG_JSON",
            "api-token",
            "SSH_KEY",
            "KUBECONFIG",
            "BASIC_AUTH",
        ]) {
            assert.ok(isCredentialName(name), name);
        }
        for (const name of [
            "REGISTRY_USERNAME",
            "DEPLOY_ENVIRONMENT",
            "APP_VERSION",
            "DB_PASSWORD_FILE",
            "SECRET_NAME",
            "MONKEY",
            "AUTHOR",
            "TOKEN_TTL",
        ]) {
            assert.ok(!isCredentialName(name), name);
        }
    });
});

describe("no-credentials-outside-secrets", () => {
    const check = (resource: Parameters<typeof checkResource>[1]): Promise<string[]> =>
        checkResource("no-credentials-outside-secrets", resource);

    it("GIVEN the router ConfigMap and a restricted Deployment as the components build them THEN it passes", async () => {
        assert.deepEqual(
            await check(configMap({ "nginx.conf": "upstream storefront { server a:80 weight=100; }" })),
            [],
        );
        assert.deepEqual(
            await check(
                deployment(podSpec({ containers: [container({ env: [{ name: "APP_TRACK", value: "stable" }] })] })),
            ),
            [],
        );
    });

    it("GIVEN a runner token or a dockerconfig in a ConfigMap THEN it reports the key and says to move it to a Secret", async () => {
        const token = await check(configMap({ "config.toml": `[[runners]]\n  token = "${fake.glrt}"\n` }));
        assert.equal(token.length, 1);
        assert.match(
            token[0]!,
            /ConfigMap shop\/<auto-named settings-…>: data\["config\.toml"\] holds a GitLab runner authentication token \(glrt-…\).*Fix: move the credential to a Secret/,
        );
        assert.ok(!token[0]!.includes(fake.glrt), "message echoes the token");
        const docker = await check(configMap({ ".dockerconfigjson": fake.docker }));
        assert.match(docker[0]!, /registry credential \(dockerconfig JSON with auths\)/);
        const binary = await check({
            ...configMap({}),
            props: {
                metadata: { namespace: "shop" },
                binaryData: { key: Buffer.from(fake.privateKey).toString("base64") },
            },
        });
        assert.match(binary[0]!, /binaryData\["key"\] holds a private key block/);
        const named = await check(configMap({ password: "correct horse battery staple" }));
        assert.match(named[0]!, /data\["password"\] is named like a credential/);
    });

    it("GIVEN credentials in env literals, args, labels or annotations THEN it reports each place", async () => {
        const spec = podSpec({
            containers: [
                container({
                    env: [
                        { name: "REGISTRY_PASSWORD", value: "hunter2" },
                        { name: "GITLAB_URL", value: fake.urlPassword },
                        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
                    ],
                    args: ["--token", fake.ghp],
                }),
            ],
        });
        const workload = deployment(spec);
        (workload.props.metadata as Record<string, unknown>).annotations = { "ci/token": fake.glpat };
        const messages = await check(workload);
        assert.equal(messages.length, 4, messages.join("\n"));
        assert.match(messages.join("\n"), /metadata\.annotations\["ci\/token"\] holds a GitLab personal access token/);
        assert.match(
            messages.join("\n"),
            /env REGISTRY_PASSWORD \(env\[0\]\.value\) is named like a credential.*valueFrom\.secretKeyRef/,
        );
        assert.match(messages.join("\n"), /env GITLAB_URL \(env\[1\]\.value\) holds a URL with an embedded password/);
        assert.match(messages.join("\n"), /args\[1\] holds a GitHub token/);
    });

    it("GIVEN the same data in a Secret THEN it passes: that is where it belongs", async () => {
        const inSecret = {
            type: "kubernetes:core/v1:Secret",
            name: "pull",
            props: {
                metadata: { namespace: "shop" },
                type: "kubernetes.io/dockerconfigjson",
                stringData: { ".dockerconfigjson": fake.docker },
            },
        };
        assert.deepEqual(await check(inSecret), []);
    });

    it("GIVEN a GitHub Actions variable holding or named like a credential THEN it says to use a secret", async () => {
        const variable = (variableName: string, value: string): Parameters<typeof checkResource>[1] => ({
            type: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
            name: `github-production-var-${variableName}`,
            props: { repository: "shop", environment: "production", variableName, value },
        });
        assert.deepEqual(await check(variable("REGISTRY_USERNAME", "ci-pull")), []);
        assert.match(
            (await check(variable("REGISTRY_PASSWORD", "x")))[0]!,
            /GitHub Actions variable REGISTRY_PASSWORD .* is named like a credential.*github\.ActionsEnvironmentSecret/,
        );
        assert.match((await check(variable("SETTINGS", fake.ghp)))[0]!, /holds a GitHub token/);
    });
});
