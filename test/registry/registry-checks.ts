/** The credentials and request helpers both PrivateRegistry test files use against their real registries. */
import assert from "node:assert/strict";

import { PRIVATE_REGISTRY_DEFAULTS } from "../../components/shared/defaults";
import { basic, type Credential } from "./registry-harness";

export const PUSH: Credential = { username: "ci-push", password: "push-Secret-7f3a9c" };
export const PULL: Credential = { username: "cluster-pull", password: "pull-Secret-2b8e41" };
export const HTTP_SECRET = "http-secret-for-tests-0123456789abcdef";
/** The component's default cost: the registry pays it on every request, so timings are realistic. */
export const BCRYPT_COST = PRIVATE_REGISTRY_DEFAULTS.bcryptCost;

export const timings: string[] = [];

export async function timed<T>(label: string, action: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await action();
    timings.push(`${label}: ${Math.round(performance.now() - start)} ms`);
    return result;
}

export function assertOk(result: { code: number; stdout: string; stderr: string }, what: string): void {
    assert.equal(result.code, 0, `${what} failed (exit ${result.code}):\n${result.stderr}${result.stdout}`);
}

export function assertFailed(result: { code: number; stderr: string }, pattern: RegExp, what: string): void {
    assert.notEqual(result.code, 0, `${what} unexpectedly succeeded`);
    assert.match(result.stderr, pattern, `${what}: unexpected error:\n${result.stderr}`);
}

export async function request(
    method: string,
    url: string,
    credential?: Credential,
    headers: Record<string, string> = {},
): Promise<Response> {
    const response = await fetch(url, {
        method,
        headers: { ...headers, ...(credential ? { authorization: basic(credential) } : {}) },
    });
    await response.arrayBuffer();
    return response;
}

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
