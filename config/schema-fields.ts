import { z } from "zod";

import { DERIVED_NAMES, NAME_RULES, nameAndAppProblem, type NamedComponent } from "../components/shared/names";
import { isDnsLabel, isQuantity, resourceOrderProblems } from "../components/shared/validators";

/**
 * The building blocks of the stack config schema: strict objects whose errors name the allowed
 * fields, numbers, names, image references and quantities, each refusing with a message that says
 * what is allowed.
 */

/** An object that rejects unknown fields and names the allowed ones. */
export function strict<T extends z.ZodRawShape>(shape: T) {
    const allowed = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (issue) =>
            issue.code === "unrecognized_keys"
                ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} (allowed: ${allowed})`
                : undefined,
    });
}

export const describe = (value: unknown): string => (typeof value === "string" ? `"${value}"` : JSON.stringify(value));

export function integer(min: number, max: number, what = `an integer ${min}-${max}`) {
    return z
        .number({ error: (i) => `${describe(i.input)} is not a number` })
        .refine((v) => Number.isInteger(v) && v >= min && v <= max, {
            error: (i) => `${describe(i.input)} is not ${what}`,
        });
}

export function ratio(what: string) {
    return z
        .number({ error: (i) => `${describe(i.input)} is not a number` })
        .refine((v) => v > 0 && v <= 1, { error: (i) => `${describe(i.input)} is not ${what} (0 < r <= 1)` });
}

export const percentage = integer(0, 100, "a percentage (0-100)");

export const dnsLabel = z.string({ error: (i) => `${describe(i.input)} is not a string` }).refine(isDnsLabel, {
    error: (i) =>
        `${describe(i.input)} is not a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)`,
});

/**
 * A name a component derives its objects' names from (the platform passes it as both the component
 * name and `app`): bounded so that every derived name fits its Kubernetes limit.
 */
export function componentName(component: NamedComponent) {
    return z.string({ error: (i) => `${describe(i.input)} is not a string` }).superRefine((value, ctx) => {
        // The length bound is the components', so a name too long for them gets that bound, not 63.
        const problem = NAME_RULES.dns1123Label.pattern.test(value)
            ? nameAndAppProblem(DERIVED_NAMES[component], value)
            : `${describe(value)} is not a DNS-1123 label (lowercase letters, digits and '-', alphanumeric at both ends)`;
        if (problem !== undefined) {
            ctx.addIssue({ code: "custom", message: problem });
        }
    });
}

const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
export const imageRepository = z.string().regex(IMAGE_REPOSITORY, {
    error: (i) =>
        `${describe(i.input)} is not an image repository without tag (e.g. registry.example.com/team/app); put the tag in the version field`,
});

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
export const imageVersion = z
    .string({ error: (i) => `${describe(i.input)} is not a string` })
    .refine((v) => TAG.test(v) || DIGEST.test(v), {
        error: (i) => `${describe(i.input)} is not an image tag or a sha256:<64 hex> digest`,
    })
    .refine((v) => v !== "latest", { error: () => `"latest" is not allowed: pin a version or a digest` });

/** `repository:tag` or `repository@sha256:…`; `latest` and untagged references are refused. */
export const imageReference = z
    .string({ error: (i) => `${describe(i.input)} is not a string` })
    .refine(
        (v) => {
            const at = v.indexOf("@");
            if (at >= 0) {
                return IMAGE_REPOSITORY.test(v.slice(0, at)) && DIGEST.test(v.slice(at + 1));
            }
            const colon = v.lastIndexOf(":");
            return (
                colon > v.lastIndexOf("/") && IMAGE_REPOSITORY.test(v.slice(0, colon)) && TAG.test(v.slice(colon + 1))
            );
        },
        { error: (i) => `${describe(i.input)} is not an image reference pinned to a tag or sha256 digest` },
    )
    .refine((v) => !v.endsWith(":latest"), { error: () => `"latest" is not allowed: pin a version or a digest` });

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$/;
export const registryHost = z.string().regex(HOST, {
    error: (i) => `${describe(i.input)} is not a registry host[:port] (no scheme, no path)`,
});

export const quantity = z.string().refine(isQuantity, {
    error: (i) => `${describe(i.input)} is not a Kubernetes quantity (e.g. 100m, 256Mi)`,
});

const resourceFields = strict({
    cpuRequest: quantity.optional(),
    memoryRequest: quantity.optional(),
    cpuLimit: quantity.optional(),
    memoryLimit: quantity.optional(),
    ephemeralStorageRequest: quantity.optional(),
    ephemeralStorageLimit: quantity.optional(),
    tmpSizeLimit: quantity.optional(),
});

/**
 * A container's requests and limits, each request at most its limit once the component's
 * `defaults` fill the fields left out (the API server would refuse the pod only at `up`).
 */
export function resourcesSchema(defaults: Readonly<Record<string, string>>) {
    return resourceFields.superRefine((resources, ctx) => {
        for (const { field, message } of resourceOrderProblems(resources, defaults)) {
            ctx.addIssue({ code: "custom", path: [field], message });
        }
    });
}

export const ENVIRONMENTS = ["local", "staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
