/** What the release components register, read the way their unit tests assert on it. */
import assert from "node:assert/strict";

export type Obj = Record<string, unknown>;
export const get = (value: unknown, ...path: (string | number)[]): unknown =>
    path.reduce<unknown>((v, key) => (v as Obj | undefined)?.[key as string], value);

export function podSpec(deployment: { inputs: Obj }): Obj {
    return get(deployment.inputs, "spec", "template", "spec") as Obj;
}

export function assertRestricted(deployment: { name: string; inputs: Obj }): void {
    const spec = podSpec(deployment);
    assert.deepEqual(
        get(spec, "securityContext"),
        {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
        },
        deployment.name,
    );
    for (const container of get(spec, "containers") as Obj[]) {
        assert.deepEqual(container.securityContext, {
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
        assert.ok(get(container, "resources", "limits", "cpu"), `${deployment.name}: cpu limit`);
        assert.ok(get(container, "resources", "limits", "memory"), `${deployment.name}: memory limit`);
        assert.ok(get(container, "resources", "requests", "cpu"), `${deployment.name}: cpu request`);
        assert.ok(get(container, "resources", "requests", "ephemeral-storage"), `${deployment.name}: disk request`);
        assert.ok(get(container, "resources", "limits", "ephemeral-storage"), `${deployment.name}: disk limit`);
        assert.ok(get(container, "readinessProbe", "httpGet"), `${deployment.name}: readiness probe`);
        // Liveness is the cheaper, more tolerant check: a TCP connect, with more failures allowed.
        assert.ok(get(container, "livenessProbe", "tcpSocket"), `${deployment.name}: liveness probe`);
        assert.notDeepEqual(container.livenessProbe, container.readinessProbe, `${deployment.name}: probes differ`);
        assert.ok(
            (get(container, "livenessProbe", "failureThreshold") as number) *
                (get(container, "livenessProbe", "periodSeconds") as number) >
                (get(container, "readinessProbe", "failureThreshold") as number) *
                    (get(container, "readinessProbe", "periodSeconds") as number),
            `${deployment.name}: liveness tolerates longer than readiness`,
        );
        assert.match(String(container.imagePullPolicy), /^(Always|IfNotPresent)$/, `${deployment.name}: pull policy`);
    }
    for (const volume of (get(spec, "volumes") as Obj[] | undefined) ?? []) {
        if ("emptyDir" in volume) {
            assert.ok(
                get(volume, "emptyDir", "sizeLimit"),
                `${deployment.name}: emptyDir ${String(volume.name)} sizeLimit`,
            );
        }
    }
    assert.equal(spec.automountServiceAccountToken, false);
}

export function assertSelectorMatchesTemplate(deployment: { name: string; inputs: Obj }): void {
    const selector = get(deployment.inputs, "spec", "selector", "matchLabels") as Obj;
    const labels = get(deployment.inputs, "spec", "template", "metadata", "labels") as Obj;
    for (const [key, value] of Object.entries(selector)) {
        assert.equal(labels[key], value, `${deployment.name}: template label ${key}`);
    }
}

export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const SERVICE = "kubernetes:core/v1:Service";
export const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
export const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
