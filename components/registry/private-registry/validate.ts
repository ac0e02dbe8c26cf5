import { APP_RESOURCES, PRIVATE_REGISTRY_DEFAULTS } from "../../shared/defaults";
import { DERIVED_NAMES, derivedNameProblem, NAME_RULES } from "../../shared/names";
import {
    ArgChecks,
    isCidr,
    isCron,
    isQuantity,
    isRegistryUser,
    REGISTRY_USER_PATTERN,
    resourceOrderProblems,
} from "../../shared/validators";
import { BCRYPT_COST_RANGE, isBcryptCost } from "../htpasswd";
import type { PrivateRegistryArgs } from "./args";

/** Records a problem with `field`; every check runs, so all problems are reported at once. */
type Fail = (field: string, message: string) => void;

/** The Services are named after the component, and the collector's CronJob too when there is one. */
function checkName(name: string, args: PrivateRegistryArgs, fail: Fail): void {
    if (!NAME_RULES.dns1123Label.pattern.test(name)) {
        fail("name", `"${name}" must be a DNS-1123 label (it names the Services)`);
    }
    const derived = [
        ...DERIVED_NAMES.privateRegistry,
        ...(args.garbageCollectSchedule === undefined ? [] : DERIVED_NAMES.privateRegistryGarbageCollection),
    ];
    const problem = derivedNameProblem(derived, "name", name);
    if (problem !== undefined) {
        fail("name", problem);
    }
}

function checkUsers(args: PrivateRegistryArgs, fail: Fail): void {
    const pushUser = args.pushUsername ?? PRIVATE_REGISTRY_DEFAULTS.pushUsername;
    const pullUser = args.pullUsername ?? PRIVATE_REGISTRY_DEFAULTS.pullUsername;
    for (const [field, user] of [
        ["pushUsername", pushUser],
        ["pullUsername", pullUser],
    ] as const) {
        if (!isRegistryUser(user)) {
            fail(field, `"${user}" must match ${REGISTRY_USER_PATTERN.source}`);
        }
    }
    if (pushUser === pullUser) {
        fail("pullUsername", `"${pullUser}" is also the push user; the two credentials must be separate`);
    }
}

function checkNetwork(args: PrivateRegistryArgs, fail: Fail): void {
    if (args.pushNamespaces.length === 0) {
        fail("pushNamespaces", "needs at least one namespace (where CI pushes from)");
    }
    for (const cidr of args.pullCidrs ?? []) {
        if (!isCidr(cidr)) {
            fail("pullCidrs", `"${cidr}" is not a CIDR (e.g. 10.0.0.0/16)`);
        }
    }
}

function checkStorage(args: PrivateRegistryArgs, fail: Fail): void {
    if (args.storageSize !== undefined && !isQuantity(args.storageSize)) {
        fail("storageSize", `"${args.storageSize}" is not a Kubernetes quantity (e.g. 20Gi)`);
    }
    if (args.existingClaimName !== undefined) {
        if (args.storageSize !== undefined || args.storageClassName !== undefined) {
            fail("existingClaimName", "storageSize and storageClassName do not apply to an existing claim");
        }
        if (args.allowDataDeletion !== undefined || args.protectData !== undefined) {
            fail(
                "existingClaimName",
                "allowDataDeletion and protectData do not apply to a claim the component does not own",
            );
        }
    }
    if (args.allowDataDeletion === true && args.protectData === true) {
        fail("protectData", "contradicts allowDataDeletion: true");
    }
}

function checkGarbageCollection(args: PrivateRegistryArgs, fail: Fail): void {
    if (args.garbageCollectSchedule !== undefined && !isCron(args.garbageCollectSchedule)) {
        fail("garbageCollectSchedule", `"${args.garbageCollectSchedule}" is not a 5-field cron schedule or @macro`);
    }
    if (args.garbageCollectDeleteUntagged === true && args.garbageCollectSchedule === undefined) {
        fail("garbageCollectDeleteUntagged", "needs garbageCollectSchedule");
    }
}

function checkNumbers(args: PrivateRegistryArgs, fail: Fail): void {
    const port = args.servicePort ?? PRIVATE_REGISTRY_DEFAULTS.servicePort;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        fail("servicePort", `${port} is not a port (1-65535)`);
    }
    const cost = args.bcryptCost ?? PRIVATE_REGISTRY_DEFAULTS.bcryptCost;
    if (!isBcryptCost(cost)) {
        fail("bcryptCost", `${cost} is not an integer ${BCRYPT_COST_RANGE.min}-${BCRYPT_COST_RANGE.max}`);
    }
}

function checkResources(args: PrivateRegistryArgs, fail: Fail): void {
    const defaults = { ...APP_RESOURCES, ...PRIVATE_REGISTRY_DEFAULTS.resources };
    for (const { field, message } of resourceOrderProblems(args.resources ?? {}, defaults)) {
        fail(`resources.${field}`, message);
    }
}

/**
 * Every check that needs no resolved Output, so a refused component registers nothing. The
 * predicates are the config schema's, so a stack the schema accepts passes here too.
 * @internal
 */
export function validatePrivateRegistry(name: string, args: PrivateRegistryArgs): void {
    const checks = new ArgChecks("PrivateRegistry", name);
    const fail: Fail = (field, message) => {
        checks.add(field, message);
    };
    checkName(name, args, fail);
    checkUsers(args, fail);
    checkNetwork(args, fail);
    checkStorage(args, fail);
    checkGarbageCollection(args, fail);
    checkNumbers(args, fail);
    checkResources(args, fail);
    checks.throwIfAny();
}
