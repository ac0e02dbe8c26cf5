/**
 * The releases the local stack held before they moved to release stacks (release/), as environment
 * stack config: the engine tests of the environment stack's own release handling (faults, server
 * refusals, the engine bench) still exercise `apps` and `blueGreen`, which the schema keeps for
 * stacks whose releases have not moved yet.
 */
import { readFileSync, writeFileSync } from "node:fs";

const ENVIRONMENT_RELEASES = `  cicd-platform:apps:
    - name: storefront
      image: registry.platform-local.svc:5000/shop/storefront
      stableVersion: "1.0.0"
      canaryVersion: "1.1.0"
      canaryPercent: 25
      replicas: 2
  cicd-platform:blueGreen:
    name: checkout
    image: registry.platform-local.svc:5000/shop/checkout
    blueVersion: "2.0.0"
    greenVersion: "2.1.0"
    active: blue
    replicas: 2
    healthCheck: kubectl --namespace "$TARGET_NAMESPACE" rollout status "deployment/$TARGET_DEPLOYMENT" --timeout=30s
    smokeTest: >-
      kubectl --namespace "$TARGET_NAMESPACE" get endpointslices -l "kubernetes.io/service-name=$TARGET_SERVICE" -o jsonpath='{.items[*].endpoints[*].conditions.ready}' | grep -q true
    gateExecutor: dynamic
    gateAttempts: 10
    gateIntervalSeconds: 2
`;

/** Appends the storefront canary and the checkout blue-green release to a copy of Pulumi.local.yaml. */
export function addEnvironmentReleases(configFile: string): void {
    const text = readFileSync(configFile, "utf8");
    if (!/^config:\n/m.test(text)) {
        throw new Error(`${configFile} has no config: section`);
    }
    writeFileSync(configFile, text.replace(/^config:\n/m, `config:\n${ENVIRONMENT_RELEASES}`));
}
