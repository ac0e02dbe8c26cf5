/**
 * What a stack's state says it owns against what the API server holds, and processes of the local
 * control plane and of the engine stopped by the pid recorded when they were started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { ROOT, run } from "../support/engine";

/** One Kubernetes object: `Kind namespace/name` (cluster-scoped: `Kind name`). */
export type ObjectKey = string;

interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly id?: string;
}
interface PendingOperation {
    readonly type: string;
    readonly resource: { readonly urn: string; readonly type: string };
}
export interface StackState {
    readonly resources: readonly StateResource[];
    readonly pending: readonly PendingOperation[];
}

export async function exportState(env: NodeJS.ProcessEnv, stack: string): Promise<StackState> {
    const out = await run("pulumi", ["stack", "export", "--stack", stack], env);
    if (out.code !== 0) {
        throw new Error(`pulumi stack export: ${out.stderr}`);
    }
    const deployment = (
        JSON.parse(out.stdout) as {
            deployment: { resources?: StateResource[]; pending_operations?: PendingOperation[] };
        }
    ).deployment;
    return { resources: deployment.resources ?? [], pending: deployment.pending_operations ?? [] };
}

const kindOf = (type: string): string => type.slice(type.lastIndexOf(":") + 1);

/** The Kubernetes objects the state owns (a provider resource is no object). */
export function ownedObjects(state: StackState): ObjectKey[] {
    return state.resources
        .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:") && r.id)
        .map((r) => `${kindOf(r.type)} ${r.id ?? ""}`);
}

/** The namespaces the stack created. */
export function stackNamespaces(state: StackState): string[] {
    return state.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace").map((r) => r.id ?? "");
}

/** Every kind the local stack creates in its namespaces, as kubectl names them. */
const NAMESPACED_KINDS = [
    "deployments.apps",
    "services",
    "configmaps",
    "secrets",
    "serviceaccounts",
    "networkpolicies.networking.k8s.io",
    "poddisruptionbudgets.policy",
    "roles.rbac.authorization.k8s.io",
    "rolebindings.rbac.authorization.k8s.io",
    "resourcequotas",
    "limitranges",
    "cronjobs.batch",
    "persistentvolumeclaims",
];

/** The cluster-scoped kinds the local stack creates (the tenants' settings guards). */
const CLUSTER_KINDS = [
    "validatingadmissionpolicies.admissionregistration.k8s.io",
    "validatingadmissionpolicybindings.admissionregistration.k8s.io",
];

export interface ServerObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: {
        readonly name: string;
        readonly namespace?: string;
        readonly annotations?: Record<string, string>;
        readonly ownerReferences?: unknown[];
    };
}

/** What Kubernetes itself puts into every namespace: not the stack's. */
const isBuiltIn = (o: ServerObject): boolean =>
    (o.kind === "ConfigMap" && o.metadata.name === "kube-root-ca.crt") ||
    (o.kind === "ServiceAccount" && o.metadata.name === "default") ||
    (o.metadata.ownerReferences?.length ?? 0) > 0;

/**
 * The objects of those kinds in the namespaces, as the server has them (the namespaces too), and
 * the cluster-scoped objects of the kinds the stack creates (every control plane here is a test's own).
 */
export async function serverObjects(env: NodeJS.ProcessEnv, namespaces: readonly string[]): Promise<ServerObject[]> {
    const objects: ServerObject[] = [];
    for (const ns of namespaces) {
        const out = await run("kubectl", ["get", NAMESPACED_KINDS.join(","), "-n", ns, "-o", "json"], env);
        if (out.code !== 0) {
            throw new Error(`kubectl get -n ${ns}: ${out.stderr}`);
        }
        objects.push(...(JSON.parse(out.stdout) as { items: ServerObject[] }).items.filter((o) => !isBuiltIn(o)));
        const namespace = await run("kubectl", ["get", "namespace", ns, "-o", "json"], env);
        if (namespace.code === 0) {
            objects.push(JSON.parse(namespace.stdout) as ServerObject);
        }
    }
    const cluster = await run("kubectl", ["get", CLUSTER_KINDS.join(","), "-o", "json"], env);
    if (cluster.code !== 0) {
        throw new Error(`kubectl get ${CLUSTER_KINDS.join(",")}: ${cluster.stderr}`);
    }
    objects.push(...(JSON.parse(cluster.stdout) as { items: ServerObject[] }).items);
    return objects;
}

export const keyOf = (o: ServerObject): ObjectKey =>
    `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

export interface Drift {
    /** On the server, owned by no resource of the state. */
    readonly orphaned: ObjectKey[];
    /** In the state, gone from the server. */
    readonly missing: ObjectKey[];
    /** Owned by more than one resource of the state. */
    readonly duplicated: ObjectKey[];
    /** The state's pending operations, `type urn`. */
    readonly pending: string[];
    readonly owned: number;
}

/** The state against the server, over the namespaces the state created. */
export async function drift(env: NodeJS.ProcessEnv, stack: string): Promise<Drift> {
    const state = await exportState(env, stack);
    const owned = ownedObjects(state);
    const onServer = new Set((await serverObjects(env, stackNamespaces(state))).map(keyOf));
    const ownedSet = new Set(owned);
    return {
        orphaned: [...onServer].filter((k) => !ownedSet.has(k)).sort(),
        missing: owned.filter((k) => !onServer.has(k)).sort(),
        duplicated: owned.filter((k, i) => owned.indexOf(k) !== i).sort(),
        pending: state.pending.map((p) => `${p.type} ${p.resource.urn}`),
        owned: owned.length,
    };
}

export const describeDrift = (d: Drift): string =>
    `${d.owned} owned; orphaned ${d.orphaned.length} [${d.orphaned.join(", ")}]; missing ${d.missing.length} [${d.missing.join(", ")}]; duplicated ${d.duplicated.length}; pending ${d.pending.length} [${d.pending.join(", ")}]`;

/** Field 22 of /proc/<pid>/stat (start time), or undefined when the process is gone or a zombie. */
function startTime(pid: number): string | undefined {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return fields[0] === "Z" || fields[0] === "X" ? undefined : fields[19];
    } catch {
        return undefined;
    }
}

/**
 * Kills the control-plane component by the pid `cp start` recorded ("<pid> <start time>"), only if
 * that pid is still the process it started, and waits until it is gone. Returns the pid.
 */
export async function killComponent(cpDir: string, component: string, signal: NodeJS.Signals): Promise<number> {
    const [pidText = "", recorded = ""] = readFileSync(join(cpDir, "run", `${component}.pid`), "utf8")
        .trim()
        .split(/\s+/);
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 1 || startTime(pid) !== recorded) {
        throw new Error(`${component}: recorded pid ${pidText} is not the process cp started`);
    }
    process.kill(pid, signal);
    await waitGone(pid, 30_000);
    return pid;
}

async function waitGone(pid: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (startTime(pid) !== undefined) {
        if (Date.now() > deadline) {
            throw new Error(`pid ${pid} still runs ${timeoutMs} ms after the signal`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

/**
 * The pids whose session is `session`: what a process started `detached` (a session leader) left,
 * including its plugins, which the pulumi CLI starts in process groups of their own.
 */
export function sessionMembers(session: number): number[] {
    return procsWhere((fields) => Number(fields[3]) === session);
}

/**
 * Stops everything a `detached` process started: SIGKILL to each process group in its session, by
 * pgid, until none is left.
 */
export async function stopSession(session: number, timeoutMs = 30_000): Promise<number[]> {
    const seen = new Set<number>();
    const deadline = Date.now() + timeoutMs;
    for (let left = sessionMembers(session); left.length > 0; left = sessionMembers(session)) {
        if (Date.now() > deadline) {
            throw new Error(`session ${session}: pids ${left.join(", ")} still run ${timeoutMs} ms after SIGKILL`);
        }
        for (const pid of left) {
            seen.add(pid);
            const group = procGroup(pid);
            try {
                process.kill(group === undefined ? pid : -group, "SIGKILL");
            } catch {
                // gone meanwhile
            }
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    return [...seen];
}

function procGroup(pid: number): number | undefined {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    } catch {
        return undefined;
    }
}

/** The live (not zombie) pids whose /proc stat fields after the command name pass `test`. */
function procsWhere(test: (fields: string[]) => boolean): number[] {
    const pids: number[] = [];
    for (const entry of readdirSync("/proc")) {
        const pid = Number(entry);
        if (!Number.isInteger(pid)) {
            continue;
        }
        try {
            const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
            const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            if (test(fields) && fields[0] !== "Z") {
                pids.push(pid);
            }
        } catch {
            // gone meanwhile
        }
    }
    return pids;
}

export interface Started {
    readonly child: ChildProcess;
    readonly pid: number;
    output: string;
    readonly exited: Promise<number | null>;
}

/** Starts a command as the leader of its own process group, collecting its output. */
export function startGroup(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Started {
    const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid === undefined) {
        throw new Error(`${command} did not start`);
    }
    const started: Started = {
        child,
        pid: child.pid,
        output: "",
        exited: new Promise((resolve) => {
            child.on("close", (code) => {
                resolve(code);
            });
        }),
    };
    child.stdout.on("data", (chunk: Buffer) => (started.output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (started.output += chunk.toString()));
    return started;
}

/** Resolves once `test` holds for the output so far; rejects after `timeoutMs`. */
export async function waitForOutput(started: Started, test: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test.test(started.output)) {
        if (Date.now() > deadline || started.child.exitCode !== null) {
            throw new Error(
                `never saw ${String(test)} (exit ${String(started.child.exitCode)}):\n${started.output.slice(-3000)}`,
            );
        }
        await new Promise((r) => setTimeout(r, 50));
    }
}
