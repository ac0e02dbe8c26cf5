/**
 * Runs the pack's policies directly, the way the policy SDK's analyzer server calls them: props
 * wrapped in the SDK's unknown-checking proxy, config = schema defaults + the given properties (as
 * the CLI reconciles it), a collecting reportViolation, and notApplicable throwing.
 */
import { policies } from "../../policy/src/pack";
import {
    type Policy,
    type PolicyResource,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidationPolicy,
    unknownCheckingProxy as sdkUnknownCheckingProxy,
} from "../../policy/src/sdk";

/** The SDK's proxy that throws on unknown values, as the analyzer server wraps props in it. */
const unknownCheckingProxy = sdkUnknownCheckingProxy as (value: unknown) => unknown;

/** What the engine sends for a value it does not know during preview. */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export class NotApplicable extends Error {}

export function policy(name: string): Policy {
    const found = policies.find((p) => p.name === name);
    if (!found) {
        throw new Error(`no policy named ${name}`);
    }
    return found;
}

export function resourcePolicy(name: string): ResourceValidationPolicy {
    return policy(name) as ResourceValidationPolicy;
}

export function stackPolicy(name: string): StackValidationPolicy {
    return policy(name) as StackValidationPolicy;
}

/** Config as the CLI hands it to a policy: schema defaults, then the given properties. */
export function effectiveConfig(p: Policy, config: Record<string, unknown>): Record<string, unknown> {
    const defaults: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
        if ("default" in schema) {
            defaults[key] = schema.default;
        }
    }
    return { ...defaults, ...config };
}

export interface ResourceInput {
    readonly type: string;
    readonly props: Record<string, unknown>;
    readonly name?: string;
}

const options = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

function notApplicable(reason?: string): never {
    throw new NotApplicable(reason);
}

/** Violation messages of one resource policy for one resource. */
export async function checkResource(
    name: string,
    resource: ResourceInput,
    config: Record<string, unknown> = {},
): Promise<string[]> {
    const p = resourcePolicy(name);
    const resourceName = resource.name ?? "subject";
    const args: ResourceValidationArgs = {
        type: resource.type,
        props: unknownCheckingProxy(resource.props) as Record<string, unknown>,
        urn: `urn:pulumi:test::policy-test::${resource.type}::${resourceName}`,
        name: resourceName,
        opts: options,
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the SDK's signature
        getConfig: <T extends object>() => effectiveConfig(p, config) as T,
        notApplicable,
    };
    const messages: string[] = [];
    const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
    for (const validate of validations) {
        try {
            await validate?.(args, (message) => messages.push(message));
        } catch (error) {
            if (!(error instanceof NotApplicable)) {
                throw error;
            }
        }
    }
    return messages;
}

/** A stack resource; `parent` names another entry of the same list. */
export interface StackInput extends ResourceInput {
    readonly name: string;
    readonly parent?: string;
}

export interface Violation {
    readonly message: string;
    readonly urn?: string;
}

export function urnOf(resource: { type: string; name: string }): string {
    return `urn:pulumi:test::policy-test::${resource.type}::${resource.name}`;
}

/** Violations of one stack policy over a list of resources. */
export async function checkStack(
    name: string,
    resources: readonly StackInput[],
    config: Record<string, unknown> = {},
): Promise<Violation[]> {
    const p = stackPolicy(name);
    // Names may repeat across types (a Deployment and its PDB are both "web"); `parent` names a component.
    const built = resources.map(
        (r): PolicyResource => ({
            type: r.type,
            name: r.name,
            urn: urnOf(r),
            props: unknownCheckingProxy(r.props) as Record<string, unknown>,
            opts: options,
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        }),
    );
    resources.forEach((r, index) => {
        if (r.parent !== undefined) {
            const self = built[index]!;
            const parent = built.find((candidate) => candidate.name === r.parent);
            if (!parent) {
                throw new Error(`unknown parent ${r.parent} of ${r.name}`);
            }
            self.parent = parent;
            self.opts = { ...options, parent: parent.urn };
        }
    });
    const violations: Violation[] = [];
    try {
        await p.validateStack(
            {
                resources: built,
                stackTags: new Map(),
                // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the SDK's signature
                getConfig: <T extends object>() => effectiveConfig(p, config) as T,
                notApplicable,
            },
            (message, urn) => violations.push({ message, urn }),
        );
    } catch (error) {
        if (!(error instanceof NotApplicable)) {
            throw error;
        }
    }
    return violations;
}
