import { at, dict, type Dict, isUnknown, list, str } from "./values";

/** `kubernetes:apps/v1:Deployment` → group `apps`, version `v1`, kind `Deployment`. */
export interface KubeType {
    readonly group: string;
    readonly version: string;
    readonly kind: string;
}

const KUBE_TYPE = /^kubernetes:([^/:]+)\/([^:]+):([A-Za-z0-9]+)$/;

export function kubeType(type: string): KubeType | undefined {
    const match = KUBE_TYPE.exec(type);
    if (!match) {
        return undefined;
    }
    const [, group, version, kind] = match as unknown as [string, string, string, string];
    return { group, version, kind };
}

/** True for `kubernetes:<group>/<any version>:<kind>` (kind given exactly, e.g. not `DeploymentPatch`). */
export function isKube(type: string, group: string, kind: string): boolean {
    const parsed = kubeType(type);
    return parsed !== undefined && parsed.group === group && parsed.kind === kind;
}

/** Where the pod spec lives in each workload kind; Patch and List kinds are partial and not checked. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
    Pod: ["spec"],
    PodTemplate: ["template", "spec"],
    Deployment: ["spec", "template", "spec"],
    StatefulSet: ["spec", "template", "spec"],
    DaemonSet: ["spec", "template", "spec"],
    ReplicaSet: ["spec", "template", "spec"],
    ReplicationController: ["spec", "template", "spec"],
    Job: ["spec", "template", "spec"],
    CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** A resource under check: its Pulumi type and name and its (plain) properties. */
export interface Subject {
    readonly type: string;
    /** The Pulumi resource name (the auto-name prefix when `metadata.name` is absent). */
    readonly name: string;
    readonly props: Dict;
}

/** `Deployment shop/web-stable`, or `Deployment shop/<auto-named web-stable-…>` without metadata.name. */
export function describe(subject: Subject): string {
    const kind = kubeType(subject.type)?.kind ?? subject.type;
    const metadataName = at(subject.props, "metadata", "name");
    const namespace = str(at(subject.props, "metadata", "namespace"));
    const name =
        typeof metadataName === "string"
            ? metadataName
            : isUnknown(metadataName)
              ? `<name known after creation, resource "${subject.name}">`
              : `<auto-named ${subject.name}-…>`;
    return namespace === undefined ? `${kind} ${name}` : `${kind} ${namespace}/${name}`;
}

/** `namespace/name` as exceptions in pack config spell it: metadata.name, else the Pulumi resource name. */
export function objectKey(subject: Subject): string {
    const namespace = str(at(subject.props, "metadata", "namespace")) ?? "default";
    const name = str(at(subject.props, "metadata", "name")) ?? subject.name;
    return `${namespace}/${name}`;
}

export interface PodSpec {
    readonly spec: Dict;
    /** Dotted path of the pod spec in the resource, e.g. `spec.template.spec`. */
    readonly path: string;
    /** The pod template's metadata (labels, annotations), when the kind has a template. */
    readonly metadata?: Dict;
}

/** The pod spec of a workload kind; undefined for other kinds or when it is unknown during preview. */
export function podSpecOf(subject: Subject): PodSpec | undefined {
    const parsed = kubeType(subject.type);
    const path = parsed ? POD_SPEC_PATHS[parsed.kind] : undefined;
    if (!path) {
        return undefined;
    }
    const spec = dict(at(subject.props, ...path));
    if (!spec) {
        return undefined;
    }
    const metadataPath = path.length > 1 ? [...path.slice(0, -1), "metadata"] : ["metadata"];
    return { spec, path: path.join("."), metadata: dict(at(subject.props, ...metadataPath)) };
}

export type ContainerList = "containers" | "initContainers" | "ephemeralContainers";

export interface ContainerRef {
    readonly container: Dict;
    readonly list: ContainerList;
    readonly name: string;
    /** e.g. `spec.template.spec.initContainers[0]`. */
    readonly path: string;
}

/** Every container of a pod: regular, init and ephemeral. Unknown entries are skipped. */
export function containersOf(pod: PodSpec): ContainerRef[] {
    const result: ContainerRef[] = [];
    for (const kind of ["containers", "initContainers", "ephemeralContainers"] as const) {
        list(pod.spec[kind]).forEach((entry, index) => {
            const container = dict(entry);
            if (container) {
                result.push({
                    container,
                    list: kind,
                    name: str(container.name) ?? `#${index}`,
                    path: `${pod.path}.${kind}[${index}]`,
                });
            }
        });
    }
    return result;
}

/** `container "app"` / `init container "setup"` / `ephemeral container "debug"`. */
export function containerLabel(ref: ContainerRef): string {
    const prefix =
        ref.list === "initContainers"
            ? "init container"
            : ref.list === "ephemeralContainers"
              ? "ephemeral container"
              : "container";
    return `${prefix} "${ref.name}" (${ref.path})`;
}
