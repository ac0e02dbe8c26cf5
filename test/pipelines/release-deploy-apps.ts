/**
 * The three applications release-deploy.test.ts deploys, and what their repositories, the cluster
 * and their canary labs say about them. The world fills in each side's cluster-facing fields once
 * the local stack is up, so they start empty.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";

import { parse as parseYaml } from "yaml";

import type { CanaryLab } from "../canary/lab";
import { trackEnvironment } from "../canary/fixture/track-scripts";
import type { LoadGenerator } from "../canary/processes";
import { run } from "./tools";

export const ENVIRONMENT = "local";
export const digest = (what: string): string => `sha256:${createHash("sha256").update(what).digest("hex")}`;

export interface AppSide {
    readonly app: string;
    readonly tenant: string;
    readonly image: string;
    readonly passphrase: string;
    /** The application's repository (bare, "GitLab's") and a work tree that commits to it. */
    origin: string;
    namespace: string;
    kubeconfig: string;
    backend: string;
    pullPrefix: string;
    lab?: CanaryLab;
    load?: LoadGenerator;
}

export const A: AppSide = {
    app: "storefront",
    tenant: "shop",
    image: "shop/storefront",
    passphrase: "cicd-release-local-storefront",
    origin: "",
    namespace: "",
    kubeconfig: "",
    backend: "",
    pullPrefix: "",
};
/** A blue-green app of tenant A's team: the local stack's demo checkout, already a release stack there. */
export const C: AppSide = {
    app: "checkout",
    tenant: "shop",
    image: "shop/checkout",
    passphrase: "cicd-release-local-checkout",
    origin: "",
    namespace: "",
    kubeconfig: "",
    backend: "",
    pullPrefix: "",
};
export const B: AppSide = {
    app: "headlines",
    tenant: "news",
    image: "news/headlines",
    passphrase: "passphrase-of-the-news-team",
    origin: "",
    namespace: "",
    kubeconfig: "",
    backend: "",
    pullPrefix: "",
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
    const result = await run("git", args, { cwd });
    assert.equal(result.code, 0, `git ${args.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
}

/** The release stack file on the application's default branch, and its last commit's subject. */
export async function record(side: AppSide): Promise<{ stable: string; subject: string; subjects: string[] }> {
    const file = await git(side.origin, "show", `main:deploy/Pulumi.${side.app}-${ENVIRONMENT}.yaml`);
    const canary = (parseYaml(file) as { config: Record<string, { stableVersion?: string }> }).config[
        "cicd-release:canary"
    ];
    const subjects = (await git(side.origin, "log", "--format=%s", "main")).split("\n");
    return { stable: String(canary?.stableVersion), subject: subjects[0] ?? "", subjects };
}

/** The canary share the release's router ConfigMap on the API server asks for (0 when it has no canary). */
export async function clusterCanaryPercent(env: NodeJS.ProcessEnv, side: AppSide): Promise<number | undefined> {
    const deployments = await run(
        "kubectl",
        [
            "get",
            "deployments",
            "-n",
            side.namespace,
            "-l",
            `app=${side.app}-router,app.kubernetes.io/component=router`,
            "-o",
            "json",
        ],
        { env },
    );
    if (deployments.code !== 0) return undefined;
    const items = (
        JSON.parse(deployments.stdout) as {
            items: { spec: { template: { spec: { volumes?: { configMap?: { name: string } }[] } } } }[];
        }
    ).items;
    const configMap = items[0]?.spec.template.spec.volumes?.find((v) => v.configMap !== undefined)?.configMap?.name;
    if (configMap === undefined) return undefined;
    const conf = await run(
        "kubectl",
        ["get", "configmap", "-n", side.namespace, configMap, "-o", "jsonpath={.data.nginx\\.conf}"],
        { env },
    );
    if (conf.code !== 0) return undefined;
    const canary = /weight=(\d+)[^\n]*# canary/.exec(conf.stdout);
    return canary === null ? 0 : Number(canary[1]);
}

/** 100 while the blue-green release's live Service serves green, 0 while blue: the lab's router follows. */
export async function clusterGreenPercent(env: NodeJS.ProcessEnv, side: AppSide): Promise<number | undefined> {
    const service = await run(
        "kubectl",
        [
            "get",
            "service",
            "-n",
            side.namespace,
            side.app,
            "-o",
            "jsonpath={.metadata.annotations.cicd\\.platform/active-color}",
        ],
        { env },
    );
    if (service.code !== 0) return undefined;
    return service.stdout.trim() === "green" ? 100 : 0;
}

/** name → resourceVersion of every object a release creates in a namespace. */
export async function objectVersions(env: NodeJS.ProcessEnv, namespace: string): Promise<Record<string, string>> {
    const out = await run(
        "kubectl",
        ["get", "deployments,services,configmaps,poddisruptionbudgets", "-n", namespace, "-o", "json"],
        { env },
    );
    assert.equal(out.code, 0, out.stderr);
    const items = (
        JSON.parse(out.stdout) as { items: { kind: string; metadata: { name: string; resourceVersion: string } }[] }
    ).items;
    return Object.fromEntries(items.map((i) => [`${i.kind}/${i.metadata.name}`, i.metadata.resourceVersion]));
}

/** The environment of a lab track's start and stop scripts for `side`. */
export function labTrack(side: AppSide, track: "stable" | "canary"): Record<string, string> {
    const lab = side.lab;
    assert.ok(lab, `${side.app} has no lab`);
    return {
        ...trackEnvironment({
            stateDir: lab.settings.stateDir,
            app: side.app,
            track,
            version: track,
            port: track === "stable" ? lab.settings.stablePort : lab.settings.canaryPort,
            errorRatio: 0,
            delayMs: 0,
        }),
        // The blue-green app's colours: blue behind the lab's stable port, green its canary port.
        ...(side === C ? { TRACK: track === "stable" ? "blue" : "green" } : {}),
    };
}
