import type { PolicyConfigSchema, PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

import type { Subject } from "./kube";
import { dict, plain, str } from "./values";

/** The resource a resource policy is looking at, as plain data. */
export function subjectOf(args: ResourceValidationArgs): Subject {
    return { type: args.type, name: args.name, props: dict(plain(args.props)) ?? {} };
}

/** A stack resource as plain data, with its parent chain of types (nearest first). */
export interface StackSubject extends Subject {
    readonly urn: string;
    readonly ancestors: readonly string[];
    readonly resource: PolicyResource;
}

export function stackSubjects(args: StackValidationArgs): StackSubject[] {
    return args.resources.map((resource) => {
        const ancestors: string[] = [];
        for (let parent = resource.parent; parent !== undefined; parent = parent.parent) {
            ancestors.push(parent.type);
        }
        return {
            type: resource.type,
            name: resource.name,
            urn: resource.urn,
            props: dict(plain(resource.props)) ?? {},
            ancestors,
            resource,
        };
    });
}

export const ENVIRONMENTS = ["local", "staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Config schema property shared by the policies that only apply to production. */
export const environmentProperty: PolicyConfigJSONSchema = {
    type: "string",
    enum: [...ENVIRONMENTS],
    default: "production",
    description:
        "Which environment the stack under check is (policy/config/<stack>.json sets it). Unset means production: the strict default.",
};

export const environmentSchema: PolicyConfigSchema = { properties: { environment: environmentProperty } };

/** The configured environment; production when the pack config does not say (fail closed). */
export function environmentOf(config: Record<string, unknown>): Environment {
    const value = str(config.environment);
    return ENVIRONMENTS.find((e) => e === value) ?? "production";
}

/**
 * The stack's resources a production-only stack policy judges: none outside production (the
 * environment from the pack config, production when unset), otherwise every resource.
 */
export function productionStackSubjects(args: StackValidationArgs): StackSubject[] {
    return environmentOf(args.getConfig<Record<string, unknown>>()) === "production" ? stackSubjects(args) : [];
}

/** A config property that is a list of strings ([] when absent). */
export function stringList(config: Record<string, unknown>, key: string): string[] {
    const value = config[key];
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** How a policy reports a violation (the SDK's callback, bound to a resource when it names one). */
export type Report = (message: string) => void;
