import { createHmac } from "node:crypto";

import * as bcrypt from "bcryptjs";

import { isRegistryUser, REGISTRY_USER_PATTERN } from "../shared/validators";

/**
 * The private registry's htpasswd files: bcrypt entries with salts derived from a per-registry key.
 * No Pulumi here, so the component and the tests that start a real `docker-registry` process hash
 * exactly the same way.
 */

/**
 * Lowest and highest bcrypt cost accepted. Distribution 2.8 checks the hash on every request,
 * without caching (distribution/distribution#3017): measured here, an authenticated request took
 * about 60 ms at cost 8, 280 ms at cost 10 and 1.2 s at cost 12, and a pull makes one request per
 * layer plus three or four. Above 12 the registry is unusable.
 * @internal
 */
export const BCRYPT_COST_RANGE = { min: 4, max: 12 } as const;

/**
 * Shortest password accepted. These are machine credentials: with 16+ random characters (about
 * 95 bits), guessing is infeasible whatever the bcrypt cost, which is what lets the cost stay low.
 * @internal
 */
export const MIN_PASSWORD_LENGTH = 16;

/** @internal */
export function isBcryptCost(cost: number): boolean {
    return Number.isInteger(cost) && cost >= BCRYPT_COST_RANGE.min && cost <= BCRYPT_COST_RANGE.max;
}

/**
 * The bcrypt salt of one user, derived instead of drawn at random so the same inputs give the
 * same htpasswd and `pulumi up` does not replace the Secret (and restart the registry) each run.
 *
 * It depends on a per-registry secret key and the user name, NOT on the password: a salt that
 * were a fast function of the password would let anyone who reads the htpasswd test guesses at
 * HMAC speed against the salt and so skip bcrypt's cost.
 * @internal
 */
export function deterministicBcryptSalt(key: string, username: string, cost: number): string {
    if (!isBcryptCost(cost)) {
        throw new Error(`bcrypt cost ${cost} is not an integer ${BCRYPT_COST_RANGE.min}-${BCRYPT_COST_RANGE.max}`);
    }
    if (key === "") {
        throw new Error("the htpasswd salt key must not be empty");
    }
    const digest = createHmac("sha256", key).update(`cicd-platform/registry/htpasswd-salt\0${username}`).digest();
    const salt = bcrypt.encodeBase64(digest.subarray(0, 16), 16);
    // `$2y$` is what `htpasswd -B` writes; Go's x/crypto/bcrypt (Distribution) reads it too.
    return `$2y$${String(cost).padStart(2, "0")}$${salt}`;
}

/**
 * One `user:bcrypt-hash` line, stable for the same key, user, password and cost.
 * @internal
 */
export function htpasswdEntry(username: string, password: string, saltKey: string, cost: number): string {
    if (!isRegistryUser(username)) {
        throw new Error(`htpasswd: user name "${username}" must match ${REGISTRY_USER_PATTERN.source}`);
    }
    if (password.length < MIN_PASSWORD_LENGTH) {
        throw new Error(
            `htpasswd: the password of "${username}" has ${password.length} characters; use at least ` +
                `${MIN_PASSWORD_LENGTH} random ones (e.g. openssl rand -base64 24)`,
        );
    }
    if (bcrypt.truncates(password)) {
        throw new Error(`htpasswd: the password of "${username}" is longer than bcrypt's 72 bytes`);
    }
    return `${username}:${bcrypt.hashSync(password, deterministicBcryptSalt(saltKey, username, cost))}`;
}

/** An htpasswd file with one user. */
export function renderHtpasswd(username: string, password: string, saltKey: string, cost: number): string {
    return `${htpasswdEntry(username, password, saltKey, cost)}\n`;
}
