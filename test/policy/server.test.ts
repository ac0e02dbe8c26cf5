/**
 * The pack as a process, without the CLI: started the way the engine starts it (the
 * pulumi-analyzer-policy plugin in the pack's directory, which runs index.ts through ts-node with
 * type checking), then driven over the analyzer gRPC protocol with the pack's own @pulumi/pulumi
 * protos: GetAnalyzerInfo, Configure with each stack's config file, Analyze of a Deployment.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";

import { PACK_NAME, policies } from "../../policy/src/pack";

const POLICY_DIR = resolve(__dirname, "../../policy");
const ROOT = join(POLICY_DIR, "..");
const fromPack = createRequire(join(POLICY_DIR, "node_modules", "@pulumi", "pulumi", "proto", "analyzer_pb.js"));

/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-explicit-any -- generated protobuf/grpc modules without types */
const grpc: any = fromPack("@grpc/grpc-js");
const analyzerPb: any = fromPack("./analyzer_pb.js");
const analyzerGrpc: any = fromPack("./analyzer_grpc_pb.js");
const structPb: any = fromPack("google-protobuf/google/protobuf/struct_pb.js");
const emptyPb: any = fromPack("google-protobuf/google/protobuf/empty_pb.js");

const LEVELS: Record<string, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };
const LEVEL_NAMES = Object.fromEntries(Object.entries(LEVELS).map(([k, v]) => [v, k]));

function call<T>(client: any, method: string, request: unknown): Promise<T> {
    return new Promise((resolveCall, reject) => {
        client[method](request, (error: Error | null, response: T) => {
            if (error) {
                reject(error);
            } else {
                resolveCall(response);
            }
        });
    });
}

/** Configure as the CLI does after reconciling a --policy-pack-config file (levels per policy, "all" spread). */
function configureRequest(file: string): unknown {
    const raw = JSON.parse(readFileSync(join(POLICY_DIR, "config", file), "utf8")) as Record<string, unknown>;
    const all = typeof raw.all === "string" ? raw.all : undefined;
    const request = new analyzerPb.ConfigureAnalyzerRequest();
    for (const p of policies) {
        const given = raw[p.name];
        const level =
            typeof given === "string"
                ? given
                : ((given as { enforcementLevel?: string } | undefined)?.enforcementLevel ??
                  all ??
                  p.enforcementLevel ??
                  "mandatory");
        const properties: Record<string, unknown> = {};
        for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            if ("default" in schema) {
                properties[key] = schema.default;
            }
        }
        if (typeof given === "object" && given !== null) {
            Object.assign(properties, given);
            delete properties.enforcementLevel;
        }
        const config = new analyzerPb.PolicyConfig();
        config.setEnforcementlevel(LEVELS[level]);
        config.setProperties(structPb.Struct.fromJavaScript(properties));
        request.getPolicyconfigMap().set(p.name, config);
    }
    return request;
}

function analyzeRequest(type: string, name: string, props: Record<string, unknown>): unknown {
    const request = new analyzerPb.AnalyzeRequest();
    request.setType(type);
    request.setName(name);
    request.setUrn(`urn:pulumi:test::fixture::${type}::${name}`);
    request.setProperties(structPb.Struct.fromJavaScript(props));
    request.setOptions(new analyzerPb.AnalyzerResourceOptions());
    return request;
}

const latestDeployment = {
    metadata: { name: "web", namespace: "shop" },
    spec: {
        replicas: 2,
        template: {
            spec: {
                securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
                containers: [
                    {
                        name: "app",
                        image: "registry.example.com/shop/web:latest",
                        securityContext: {
                            allowPrivilegeEscalation: false,
                            readOnlyRootFilesystem: true,
                            capabilities: { drop: ["ALL"] },
                        },
                        resources: {
                            requests: { cpu: "100m", memory: "128Mi" },
                            limits: { cpu: "500m", memory: "256Mi" },
                        },
                    },
                ],
            },
        },
    },
};

describe("the policy pack as an analyzer process", { timeout: 180_000 }, () => {
    let child: ChildProcess | undefined;
    let client: any;

    before(async () => {
        child = spawn(join(ROOT, "scripts", "toolchain", "shims", "pulumi-analyzer-policy"), ["127.0.0.1:0", "."], {
            cwd: POLICY_DIR,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const port = await new Promise<string>((resolvePort, reject) => {
            child?.stdout?.once("data", (chunk: Buffer) => {
                resolvePort(chunk.toString().trim());
            });
            child?.once("exit", (code) => {
                reject(new Error(`the pack exited (${String(code)}) before listening:\n${stderr}`));
            });
        });
        assert.match(port, /^[0-9]+$/, `the pack printed ${port} instead of its port; stderr:\n${stderr}`);
        client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        child?.kill();
    });

    it("GetAnalyzerInfo lists every policy of the pack, with config support", async () => {
        const info = await call<any>(client, "getAnalyzerInfo", new emptyPb.Empty());
        assert.equal(info.getName(), PACK_NAME);
        assert.ok(info.getSupportsconfig());
        const names = info
            .getPoliciesList()
            .map((p: any) => p.getName() as string)
            .sort();
        assert.deepEqual(names, policies.map((p) => p.name).sort());
    });

    for (const [file, digestLevel] of [
        ["production.json", "mandatory"],
        ["staging.json", "advisory"],
        ["local.json", undefined],
    ] as const) {
        it(`with ${file}: a latest image is mandatory, digest pinning is ${digestLevel ?? "off"}`, async () => {
            await call(client, "configure", configureRequest(file));
            const response = await call<any>(
                client,
                "analyze",
                analyzeRequest("kubernetes:apps/v1:Deployment", "web", latestDeployment),
            );
            const entries = response
                .getDiagnosticsList()
                .map((d: any) => [d.getPolicyname() as string, LEVEL_NAMES[d.getEnforcementlevel() as number]]) as [
                string,
                string,
            ][];
            const found = Object.fromEntries(entries);
            const expected: Record<string, string> = { "image-tag-not-latest": "mandatory" };
            if (digestLevel !== undefined) {
                expected["image-pinned-by-digest"] = digestLevel;
            }
            assert.deepEqual(found, expected);
        });
    }
});
/* eslint-enable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-explicit-any */
