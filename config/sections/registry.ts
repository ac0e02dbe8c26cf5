import { z } from "zod";

import { PRIVATE_REGISTRY_DEFAULTS, REGISTRY_CREDENTIAL_DEFAULTS } from "../../components/shared/defaults";
import { isCidr, isCron, isRegistryUser } from "../../components/shared/validators";
import { describe, dnsLabel, imageReference, integer, quantity, registryHost, strict } from "../schema-fields";

/** The `registry` (the credential every namespace pulls with) and `privateRegistry` sections. */

export const registrySchema = strict({
    server: registryHost,
    username: z.string().min(1, { error: "must not be empty" }),
    secretName: dnsLabel.default(REGISTRY_CREDENTIAL_DEFAULTS.secretName),
});

const registryUser = z
    .string()
    .refine(isRegistryUser, { error: (i) => `${describe(i.input)} is not a registry user name` });
const cidr = z.string().refine(isCidr, { error: (i) => `${describe(i.input)} is not a CIDR (e.g. 10.0.0.0/16)` });
const cronSchedule = z.string().refine(isCron, {
    error: (i) => `${describe(i.input)} is not a 5-field cron schedule or @macro`,
});

export const privateRegistrySchema = strict({
    enabled: z.boolean({ error: "must be true or false" }).default(PRIVATE_REGISTRY_DEFAULTS.enabled),
    namespace: dnsLabel.default(PRIVATE_REGISTRY_DEFAULTS.namespace),
    pushNamespaces: z
        .array(dnsLabel)
        .min(1, { error: "needs at least one namespace (where CI pushes from)" })
        .default([...PRIVATE_REGISTRY_DEFAULTS.pushNamespaces]),
    pullNamespaces: z.array(dnsLabel).default([]),
    ingressNamespaces: z.array(dnsLabel).default([]),
    pullCidrs: z.array(cidr).default([]),
    pushUsername: registryUser.default(PRIVATE_REGISTRY_DEFAULTS.pushUsername),
    pullUsername: registryUser.default(PRIVATE_REGISTRY_DEFAULTS.pullUsername),
    image: imageReference.default(PRIVATE_REGISTRY_DEFAULTS.image),
    storageSize: quantity.optional(),
    storageClassName: z.string().min(1).optional(),
    existingClaimName: z.string().min(1).optional(),
    allowDataDeletion: z.boolean().optional(),
    protectData: z.boolean().optional(),
    deleteEnabled: z.boolean().default(PRIVATE_REGISTRY_DEFAULTS.deleteEnabled),
    garbageCollectSchedule: cronSchedule.optional(),
    garbageCollectDeleteUntagged: z.boolean().default(PRIVATE_REGISTRY_DEFAULTS.garbageCollectDeleteUntagged),
    tlsSecretName: dnsLabel.optional(),
    publicPullEndpoint: registryHost.optional(),
    publicPushEndpoint: registryHost.optional(),
    bcryptCost: integer(4, 12).default(PRIVATE_REGISTRY_DEFAULTS.bcryptCost),
});

/** The pull credential must not push; untagged manifests are only deleted by a scheduled collection. */
export function registryRules(
    config: { readonly privateRegistry: z.output<typeof privateRegistrySchema> },
    ctx: z.RefinementCtx,
): void {
    const pr = config.privateRegistry;
    if (pr.enabled && pr.pushUsername === pr.pullUsername) {
        ctx.addIssue({
            code: "custom",
            path: ["privateRegistry", "pullUsername"],
            message: `must differ from pushUsername ("${pr.pushUsername}"): the pull credential must not push`,
        });
    }
    if (pr.garbageCollectDeleteUntagged && pr.garbageCollectSchedule === undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["privateRegistry", "garbageCollectDeleteUntagged"],
            message: "needs garbageCollectSchedule",
        });
    }
}
