import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { checkResource, UNKNOWN_STRING } from "./harness";
import { container, deployment, everyWorkloadKind, podSpec, withField } from "./objects";

const POD_POLICIES = [
    "pod-no-privileged-containers",
    "pod-no-privilege-escalation",
    "pod-run-as-non-root",
    "pod-drop-all-capabilities",
    "pod-seccomp-runtime-default",
    "pod-read-only-root-filesystem",
    "pod-resource-requests-and-limits",
    "pod-no-host-namespaces-or-paths",
];

/** Runs one policy over a Deployment whose pod spec is `spec`. */
async function check(policy: string, spec: Record<string, unknown>): Promise<string[]> {
    return checkResource(policy, deployment(spec));
}

describe("pod policies", () => {
    it("GIVEN the restricted pod the components build WHEN checked in every workload kind THEN no pod policy objects", async () => {
        for (const workload of everyWorkloadKind(podSpec({ initContainers: [container({ name: "setup" })] }))) {
            for (const name of POD_POLICIES) {
                assert.deepEqual(await checkResource(name, workload), [], `${name} on ${workload.type}`);
            }
        }
    });

    it("GIVEN a privileged init container WHEN checked in every workload kind THEN each reports it with kind, name and path", async () => {
        const spec = podSpec({
            initContainers: [
                container({
                    name: "dind",
                    securityContext: { ...(container().securityContext as object), privileged: true },
                }),
            ],
        });
        for (const workload of everyWorkloadKind(spec)) {
            const messages = await checkResource("pod-no-privileged-containers", workload);
            assert.equal(messages.length, 1, workload.type);
            assert.match(
                messages[0]!,
                /init container "dind" \(.*initContainers\[0\]\) sets securityContext\.privileged: true/,
            );
            assert.match(messages[0]!, /shop\/web/);
            assert.match(messages[0]!, /Fix: /);
        }
        const cron = everyWorkloadKind(spec).find((w) => w.type.endsWith("CronJob"))!;
        assert.match(
            (await checkResource("pod-no-privileged-containers", cron))[0]!,
            /spec\.jobTemplate\.spec\.template\.spec\.initContainers\[0\]/,
        );
    });

    it("GIVEN allowPrivilegeEscalation unset or true THEN pod-no-privilege-escalation reports both; false passes", async () => {
        const unset = podSpec({
            containers: [container({ securityContext: { ...restricted(), allowPrivilegeEscalation: undefined } })],
        });
        assert.match(
            (await check("pod-no-privilege-escalation", unset))[0]!,
            /does not set securityContext\.allowPrivilegeEscalation \(the default is true\)/,
        );
        const yes = podSpec({
            containers: [container({ securityContext: { ...restricted(), allowPrivilegeEscalation: true } })],
        });
        assert.match(
            (await check("pod-no-privilege-escalation", yes))[0]!,
            /sets securityContext\.allowPrivilegeEscalation: true/,
        );
    });

    it("GIVEN runAsNonRoot on the pod only THEN it passes; on neither, or runAsUser 0, THEN it fails", async () => {
        const podLevel = podSpec({
            containers: [container({ securityContext: { ...restricted(), runAsNonRoot: undefined } })],
        });
        assert.deepEqual(await check("pod-run-as-non-root", podLevel), []);
        const containerLevel = podSpec({
            securityContext: { seccompProfile: { type: "RuntimeDefault" } },
            containers: [container()],
        });
        assert.deepEqual(await check("pod-run-as-non-root", containerLevel), []);
        const neither = podSpec({
            securityContext: { seccompProfile: { type: "RuntimeDefault" } },
            containers: [container({ securityContext: { ...restricted(), runAsNonRoot: undefined } })],
        });
        assert.match((await check("pod-run-as-non-root", neither))[0]!, /set neither on the container nor on the pod/);
        const root = podSpec({ containers: [container({ securityContext: { ...restricted(), runAsUser: 0 } })] });
        assert.match(
            (await check("pod-run-as-non-root", root))[0]!,
            /runs as uid 0 \(runAsUser: 0 in its securityContext\)/,
        );
    });

    it("GIVEN capabilities not dropped, or SYS_ADMIN added THEN pod-drop-all-capabilities reports; NET_BIND_SERVICE may be added", async () => {
        const none = podSpec({
            containers: [container({ securityContext: { ...restricted(), capabilities: undefined } })],
        });
        assert.match((await check("pod-drop-all-capabilities", none))[0]!, /capabilities\.drop is not set/);
        const added = podSpec({
            containers: [
                container({
                    securityContext: {
                        ...restricted(),
                        capabilities: { drop: ["ALL"], add: ["SYS_ADMIN", "NET_BIND_SERVICE"] },
                    },
                }),
            ],
        });
        const messages = await check("pod-drop-all-capabilities", added);
        assert.equal(messages.length, 1);
        assert.match(messages[0]!, /adds capabilities SYS_ADMIN \(securityContext\.capabilities\.add\)/);
    });

    it("GIVEN seccomp Unconfined on a container, or no profile anywhere THEN pod-seccomp-runtime-default reports", async () => {
        const unconfined = podSpec({
            containers: [container({ securityContext: { ...restricted(), seccompProfile: { type: "Unconfined" } } })],
        });
        assert.match(
            (await check("pod-seccomp-runtime-default", unconfined))[0]!,
            /seccompProfile\.type is "Unconfined"/,
        );
        const nowhere = podSpec({
            securityContext: { runAsNonRoot: true, runAsUser: 10001 },
            containers: [container({ securityContext: { ...restricted(), seccompProfile: undefined } })],
        });
        assert.match((await check("pod-seccomp-runtime-default", nowhere))[0]!, /no seccompProfile is set/);
    });

    it("GIVEN a writable root filesystem THEN pod-read-only-root-filesystem reports", async () => {
        const writable = podSpec({
            containers: [container({ securityContext: { ...restricted(), readOnlyRootFilesystem: false } })],
        });
        assert.match((await check("pod-read-only-root-filesystem", writable))[0]!, /readOnlyRootFilesystem is false/);
    });

    it("GIVEN missing limits on an init container THEN pod-resource-requests-and-limits names the missing fields; ephemeral containers are exempt", async () => {
        const spec = podSpec({
            initContainers: [container({ name: "setup", resources: { requests: { cpu: "10m", memory: "16Mi" } } })],
            ephemeralContainers: [container({ name: "debug", resources: undefined })],
        });
        const messages = await check("pod-resource-requests-and-limits", spec);
        assert.equal(messages.length, 1);
        assert.match(
            messages[0]!,
            /init container "setup".* does not set resources\.limits\.cpu, resources\.limits\.memory/,
        );
    });

    it("GIVEN hostNetwork, hostPID, hostIPC, a hostPath volume and a hostPort THEN pod-no-host-namespaces-or-paths reports each", async () => {
        const spec = podSpec({
            hostNetwork: true,
            hostPID: true,
            hostIPC: true,
            volumes: [{ name: "sock", hostPath: { path: "/var/run/docker.sock" } }],
            containers: [container({ ports: [{ containerPort: 8080, hostPort: 80 }] })],
        });
        const messages = await check("pod-no-host-namespaces-or-paths", spec);
        assert.equal(messages.length, 5);
        assert.match(messages.join("\n"), /Network namespace/);
        assert.match(
            messages.join("\n"),
            /volume "sock" \(spec\.template\.spec\.volumes\[0\]\) mounts hostPath \/var\/run\/docker\.sock/,
        );
        assert.match(messages.join("\n"), /binds host port 80/);
    });

    it("GIVEN a securityContext unknown during preview THEN the policies skip it instead of failing or throwing", async () => {
        const spec = withField(podSpec(), ["containers", 0, "securityContext"], UNKNOWN_STRING);
        for (const name of POD_POLICIES) {
            assert.deepEqual(await check(name, spec), [], name);
        }
        const specUnknown = deployment();
        specUnknown.props = withField(specUnknown.props, ["spec", "template"], UNKNOWN_STRING);
        for (const name of POD_POLICIES) {
            assert.deepEqual(await checkResource(name, specUnknown), [], name);
        }
    });

    it("GIVEN a Patch kind or a non-workload THEN pod policies ignore it", async () => {
        const patch = { ...deployment(podSpec({ hostNetwork: true })), type: "kubernetes:apps/v1:DeploymentPatch" };
        assert.deepEqual(await checkResource("pod-no-host-namespaces-or-paths", patch), []);
    });
});

function restricted(): Record<string, unknown> {
    return container().securityContext as Record<string, unknown>;
}
