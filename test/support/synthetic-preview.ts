/**
 * SYNTHETIC `pulumi preview --json` documents for unit tests, built by hand in the shape of
 * pulumi/pulumi's previewDigest (pkg/display/json.go). Not output of a real preview: the tests on
 * real previews of our stacks run the engine (test/pipelines/gitlab-preview-job.test.ts).
 */
import type { PreviewDigest, PreviewStep } from "../../preview-summary/preview-json";

const PROJECT = "cicd-platform";

export function urn(stack: string, parentTypes: readonly string[], type: string, name: string): string {
    return `urn:pulumi:${stack}::${PROJECT}::${[...parentTypes, type].join("$")}::${name}`;
}

export interface SyntheticCounts {
    readonly create: number;
    readonly update: number;
    readonly replace: number;
    readonly delete: number;
    readonly same: number;
}

const TYPES = [
    "kubernetes:apps/v1:Deployment",
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "kubernetes:core/v1:Secret",
    "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
] as const;

/** The type of the i-th synthetic resource (round robin), so per-type counts are predictable. */
export function syntheticType(index: number): string {
    return TYPES[index % TYPES.length] as string;
}

/**
 * A preview with exactly `counts` resources per operation, spread round-robin over TYPES. Every
 * Secret carries `secretValue` in an `additionalSecretOutputs` property the way a provider that
 * forgot to mark it would, and its inputs as the engine's "[secret]" placeholder.
 */
export function syntheticPreview(stack: string, counts: SyntheticCounts, secretValue?: string): PreviewDigest {
    const steps: PreviewStep[] = [{ op: "same", urn: urn(stack, [], "pulumi:pulumi:Stack", `${PROJECT}-${stack}`) }];
    let index = 0;
    const add = (op: keyof SyntheticCounts, amount: number): void => {
        for (let i = 0; i < amount; i++, index++) {
            const type = syntheticType(index);
            const name = `res-${op}-${i}`;
            const u = urn(stack, ["cicd:release:CanaryRelease"], type, name);
            const state = {
                urn: u,
                type,
                custom: true,
                inputs: type.endsWith(":Secret") ? { stringData: "[secret]" } : { metadata: { name } },
                outputs: type.endsWith(":Secret") && secretValue ? { data: { password: secretValue } } : {},
                additionalSecretOutputs: type.endsWith(":Secret") ? ["data"] : [],
            };
            switch (op) {
                case "create":
                    steps.push({ op: "create", urn: u, newState: state });
                    break;
                case "update":
                    steps.push({
                        op: "update",
                        urn: u,
                        oldState: state,
                        newState: state,
                        diffReasons: ["spec"],
                        detailedDiff: { "spec.replicas": { kind: "update", inputDiff: true } },
                    });
                    break;
                case "replace":
                    for (const replaceOp of ["create-replacement", "replace", "delete-replaced"]) {
                        steps.push({
                            op: replaceOp,
                            urn: u,
                            oldState: state,
                            newState: state,
                            replaceReasons: ["metadata"],
                            detailedDiff: { "metadata.name": { kind: "update-replace", inputDiff: true } },
                        });
                    }
                    break;
                case "delete":
                    steps.push({ op: "delete", urn: u, oldState: state });
                    break;
                case "same":
                    steps.push({ op: "same", urn: u, oldState: state, newState: state });
                    break;
            }
        }
    };
    (["create", "update", "replace", "delete", "same"] as const).forEach((op) => {
        add(op, counts[op]);
    });
    return {
        config: { [`${PROJECT}:environment`]: stack, [`${PROJECT}:registryPassword`]: "[secret]" },
        steps,
        diagnostics: [{ severity: "warning", message: "configured Kubernetes cluster is unreachable" }],
        changeSummary: {
            create: counts.create,
            update: counts.update,
            replace: counts.replace,
            delete: counts.delete,
            same: counts.same + 1,
        },
    };
}

/** Type tokens the small preview and its readers name. */
export const CM = "kubernetes:core/v1:ConfigMap";
export const DEPLOY = "kubernetes:apps/v1:Deployment";

/** A small staging preview: one of each operation, a replacement with its reasons, a warning. */
export function smallPreview(): PreviewDigest {
    return {
        config: { "cicd-platform:environment": "staging", "cicd-platform:registryPassword": "[secret]" },
        steps: [
            { op: "same", urn: urn("staging", [], "pulumi:pulumi:Stack", "cicd-platform-staging") },
            {
                op: "create",
                urn: urn("staging", ["cicd:platform:EnvironmentNamespace"], "kubernetes:core/v1:Namespace", "apps"),
                newState: { type: "kubernetes:core/v1:Namespace", inputs: { metadata: { name: "shop-staging-XYZ" } } },
            },
            ...["create-replacement", "replace", "delete-replaced"].map((op) => ({
                op,
                urn: urn("staging", ["cicd:traffic:WeightedUpstream"], CM, "storefront-router-conf"),
                replaceReasons: ["data"],
                detailedDiff: {
                    'data["nginx.conf"]': { kind: "update-replace", inputDiff: true },
                    "metadata.labels": { kind: "update", inputDiff: true },
                },
                diffReasons: ["data", "metadata"],
            })),
            {
                op: "update",
                urn: urn("staging", ["cicd:release:CanaryRelease"], DEPLOY, "storefront-canary"),
                diffReasons: ["spec"],
                detailedDiff: { "spec.template.spec.containers[0].image": { kind: "update", inputDiff: true } },
                oldState: { type: DEPLOY, inputs: { image: "registry.example.com/shop/storefront:1.5.0" } },
                newState: { type: DEPLOY, inputs: { image: "registry.example.com/shop/storefront:1.6.0" } },
            },
            {
                op: "delete",
                urn: urn("staging", [], "kubernetes:core/v1:Service", "old-service"),
                oldState: { type: "kubernetes:core/v1:Service" },
            },
        ],
        diagnostics: [{ severity: "warning", message: "configured Kubernetes cluster is unreachable" }],
        changeSummary: { create: 1, replace: 1, update: 1, delete: 1, same: 30 },
    };
}
