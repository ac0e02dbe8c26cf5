/**
 * Kubernetes objects as the platform's components build them (restricted pods from
 * components/workload.ts), to be broken one field at a time by the tests.
 */
import {
    resourceRequirements,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../../components/shared/workload";

export type Obj = Record<string, unknown>;

export const DIGEST = "sha256:3f1c9a6d2b7e4c0a8d5f6e7b9c1a2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c";

export function container(overrides: Obj = {}): Obj {
    return {
        name: "app",
        image: `registry.example.com/shop/web@${DIGEST}`,
        securityContext: restrictedContainerSecurityContext(),
        resources: resourceRequirements(undefined),
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
        ...overrides,
    };
}

export function podSpec(overrides: Obj = {}): Obj {
    return {
        automountServiceAccountToken: false,
        securityContext: restrictedPodSecurityContext(),
        containers: [container()],
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
        ...overrides,
    };
}

export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

export function deployment(spec: Obj = podSpec(), extra: Obj = {}): { type: string; props: Obj; name: string } {
    return {
        type: DEPLOYMENT,
        name: "web",
        props: {
            metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
            spec: {
                replicas: 2,
                selector: { matchLabels: { app: "web" } },
                template: { metadata: { labels: { app: "web" } }, spec },
                ...extra,
            },
        },
    };
}

/** The same pod spec in each workload kind the pod policies cover. */
export function everyWorkloadKind(spec: Obj): { type: string; props: Obj; name: string }[] {
    const template = { metadata: { labels: { app: "web" } }, spec };
    const meta = { name: "web", namespace: "shop" };
    return [
        { type: "kubernetes:core/v1:Pod", name: "pod", props: { metadata: meta, spec } },
        { type: DEPLOYMENT, name: "deployment", props: { metadata: meta, spec: { template } } },
        { type: "kubernetes:apps/v1:StatefulSet", name: "statefulset", props: { metadata: meta, spec: { template } } },
        { type: "kubernetes:apps/v1:DaemonSet", name: "daemonset", props: { metadata: meta, spec: { template } } },
        { type: "kubernetes:apps/v1:ReplicaSet", name: "replicaset", props: { metadata: meta, spec: { template } } },
        { type: "kubernetes:batch/v1:Job", name: "job", props: { metadata: meta, spec: { template } } },
        {
            type: "kubernetes:batch/v1:CronJob",
            name: "cronjob",
            props: { metadata: meta, spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } } },
        },
    ];
}

export function configMap(data: Obj, name = "settings", extra: Obj = {}): { type: string; props: Obj; name: string } {
    return {
        type: "kubernetes:core/v1:ConfigMap",
        name,
        props: { metadata: { namespace: "shop", ...extra }, data },
    };
}

export function secret(stringData: Obj, name = "runner-config"): { type: string; props: Obj; name: string } {
    return {
        type: "kubernetes:core/v1:Secret",
        name,
        props: { metadata: { namespace: "ci" }, type: "Opaque", stringData },
    };
}

/** Deep copy with `path` set to `value` (creating objects on the way). */
export function withField(value: Obj, path: (string | number)[], field: unknown): Obj {
    const copy = structuredClone(value);
    let cursor: Obj = copy;
    path.slice(0, -1).forEach((key) => {
        const next = cursor[key as string];
        if (typeof next !== "object" || next === null) {
            cursor[key as string] = {};
        }
        cursor = cursor[key as string] as Obj;
    });
    const last = path[path.length - 1] as string;
    if (field === undefined) {
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing one field is the point
        delete cursor[last];
    } else {
        cursor[last] = field;
    }
    return copy;
}
