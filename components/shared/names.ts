/**
 * The names the components derive from the name they are given, and the rules the API server
 * checks them against. The components build their children's names from these suffixes, and the
 * config schema and the components' own checks compute from the same tables how long a given name
 * may be, so a name that passes validation is one every derived object accepts. Pulumi-free.
 */

/** What the API server checks a name or a label value against. */
export type NameRule = "dns1035Label" | "dns1123Label" | "dns1123Subdomain" | "labelValue" | "cronJobName";

interface RuleSpec {
    readonly maxLength: number;
    readonly pattern: RegExp;
    /** How the API server's message calls it. */
    readonly description: string;
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** @internal */
export const NAME_RULES: Readonly<Record<NameRule, RuleSpec>> = {
    // Services: the name becomes a DNS label, and must start with a letter.
    dns1035Label: { maxLength: 63, pattern: /^[a-z]([-a-z0-9]*[a-z0-9])?$/, description: "DNS-1035 label" },
    dns1123Label: { maxLength: 63, pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, description: "DNS-1123 label" },
    dns1123Subdomain: { maxLength: 253, pattern: SUBDOMAIN, description: "DNS-1123 subdomain" },
    labelValue: {
        maxLength: 63,
        pattern: /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/,
        description: "label value",
    },
    // The CronJob controller appends an 11-character suffix to name each Job; Jobs are 63 at most.
    cronJobName: { maxLength: 52, pattern: SUBDOMAIN, description: "CronJob name" },
};

/** @internal */
export function satisfiesRule(value: string, rule: NameRule): boolean {
    const spec = NAME_RULES[rule];
    return value.length <= spec.maxLength && spec.pattern.test(value);
}

/**
 * Pulumi's Kubernetes provider names an object that has no `metadata.name` `<resource name>-` and
 * eight random hex digits.
 * @internal
 */
export const AUTONAME_SUFFIX_LENGTH = 9;

/**
 * The suffixes the components append. Changing one changes Kubernetes object names (and for the
 * ones in Pulumi resource names, URNs): keep them.
 * @internal
 */
export const NAME_SUFFIXES = {
    stable: "-stable",
    canary: "-canary",
    blue: "-blue",
    green: "-green",
    router: "-router",
    routerConfig: "-conf",
    registryPush: "-push",
    registryConfig: "-config",
    registryAuth: "-auth",
    registryData: "-data",
    registryGarbageCollection: "-gc",
} as const;

/** One object (or label value) whose name a component derives from its own name or `app`. */
export interface DerivedName {
    /** The object, for messages: "the router Service". */
    readonly object: string;
    /** Which input it is derived from: the component's (Pulumi) name, or its `app`. */
    readonly from: "name" | "app";
    readonly suffix: string;
    /** Named by the provider: a random suffix follows. */
    readonly autonamed: boolean;
    readonly rule: NameRule;
}

/** A track of an application, and the suffix of its objects' names. */
export type TrackName = "stable" | "canary" | "blue" | "green";

/**
 * `<app>-<track>`: the Deployment, Service and PodDisruptionBudget of one track.
 * @internal
 */
export function trackObjectName(app: string, track: TrackName): string {
    return `${app}${NAME_SUFFIXES[track]}`;
}

const { stable, canary, blue, green, router, routerConfig } = NAME_SUFFIXES;
const R = NAME_SUFFIXES;

/** `WeightedUpstream`'s objects, derived from its name; `prefix` is what a parent added to it. */
function upstreamNames(prefix: string, from: "name" | "app"): DerivedName[] {
    return [
        { object: "the router Service", from: "name", suffix: prefix, autonamed: true, rule: "dns1035Label" },
        { object: "the router Deployment", from: "name", suffix: prefix, autonamed: true, rule: "dns1123Subdomain" },
        {
            object: "the router ConfigMap",
            from: "name",
            suffix: `${prefix}${routerConfig}`,
            autonamed: true,
            rule: "dns1123Subdomain",
        },
        { object: "the router's `app` label", from, suffix: prefix, autonamed: false, rule: "labelValue" },
    ];
}

function trackNames(track: string, suffix: string): DerivedName[] {
    return [
        { object: `the ${track} Service`, from: "app", suffix, autonamed: false, rule: "dns1035Label" },
        { object: `the ${track} Deployment`, from: "app", suffix, autonamed: false, rule: "dns1123Subdomain" },
    ];
}

const APP_LABEL: DerivedName = {
    object: "the `app` label",
    from: "app",
    suffix: "",
    autonamed: false,
    rule: "labelValue",
};

/**
 * Every name each component derives, by component.
 * @internal
 */
export const DERIVED_NAMES = {
    weightedUpstream: upstreamNames("", "app"),
    canaryRelease: [
        ...trackNames("stable track's", stable),
        ...trackNames("canary track's", canary),
        APP_LABEL,
        ...upstreamNames(router, "app"),
    ],
    blueGreenRelease: [
        { object: "the live Service", from: "app", suffix: "", autonamed: false, rule: "dns1035Label" },
        ...trackNames("blue", blue),
        ...trackNames("green", green),
        APP_LABEL,
    ],
    privateRegistry: [
        { object: "the pull Service", from: "name", suffix: "", autonamed: false, rule: "dns1035Label" },
        { object: "the push Service", from: "name", suffix: R.registryPush, autonamed: false, rule: "dns1035Label" },
        { object: "the Deployment", from: "name", suffix: "", autonamed: true, rule: "dns1123Subdomain" },
        { object: "the ConfigMap", from: "name", suffix: R.registryConfig, autonamed: true, rule: "dns1123Subdomain" },
        { object: "the Secret", from: "name", suffix: R.registryAuth, autonamed: true, rule: "dns1123Subdomain" },
        { object: "the claim", from: "name", suffix: R.registryData, autonamed: false, rule: "dns1123Subdomain" },
        { object: "the `app` label", from: "name", suffix: "", autonamed: false, rule: "labelValue" },
    ],
    privateRegistryGarbageCollection: [
        {
            object: "the garbage-collection CronJob",
            from: "name",
            suffix: R.registryGarbageCollection,
            autonamed: true,
            rule: "cronJobName",
        },
    ],
} as const satisfies Record<string, readonly DerivedName[]>;

export type NamedComponent = keyof typeof DERIVED_NAMES;

/** The name `derived` gets from `base`, with the provider's random part as eight `x`. */
function exampleName(base: string, derived: DerivedName): string {
    return `${base}${derived.suffix}${derived.autonamed ? "-xxxxxxxx" : ""}`;
}

function room(derived: DerivedName): number {
    return (
        NAME_RULES[derived.rule].maxLength - derived.suffix.length - (derived.autonamed ? AUTONAME_SUFFIX_LENGTH : 0)
    );
}

/** The derived name that leaves the least room, and how long the base name may be because of it. */
export function nameBound(
    names: readonly DerivedName[],
    from: "name" | "app",
): { maxLength: number; limitedBy?: DerivedName } {
    let bound: { maxLength: number; limitedBy?: DerivedName } = { maxLength: Number.POSITIVE_INFINITY };
    for (const derived of names) {
        if (derived.from === from && room(derived) < bound.maxLength) {
            bound = { maxLength: room(derived), limitedBy: derived };
        }
    }
    return bound;
}

/**
 * Why `value` cannot be the `from` input of a component with these derived names, or undefined
 * when every derived name is one the API server accepts. Only the bound and the first character
 * are checked here; the value is assumed to be a DNS-1123 label already.
 * @internal
 */
export function derivedNameProblem(
    names: readonly DerivedName[],
    from: "name" | "app",
    value: string,
): string | undefined {
    const { maxLength, limitedBy } = nameBound(names, from);
    if (limitedBy !== undefined && value.length > maxLength) {
        const rule = NAME_RULES[limitedBy.rule];
        return (
            `"${value}" is ${value.length} characters; it may be at most ${maxLength}, so that ` +
            `${limitedBy.object} "${exampleName(value.slice(0, maxLength), limitedBy)}" fits a ` +
            `${rule.maxLength}-character ${rule.description}`
        );
    }
    const letterFirst = names.find((d) => d.from === from && d.rule === "dns1035Label");
    if (letterFirst !== undefined && !/^[a-z]/.test(value)) {
        return `"${value}" must start with a lowercase letter: it names ${letterFirst.object}, a DNS-1035 label`;
    }
    return undefined;
}

/**
 * The first problem of a value that is both the `name` and the `app` of a component, as the
 * platform passes its config's names.
 * @internal
 */
export function nameAndAppProblem(names: readonly DerivedName[], value: string): string | undefined {
    return derivedNameProblem(names, "name", value) ?? derivedNameProblem(names, "app", value);
}

/**
 * The problems, as component argument problems, of derived names the API server would refuse.
 * @internal
 */
export function derivedNameProblems(
    names: readonly DerivedName[],
    inputs: { readonly name: string; readonly app?: string },
): { field: "name" | "app"; message: string }[] {
    const problems: { field: "name" | "app"; message: string }[] = [];
    for (const from of ["name", "app"] as const) {
        const value = from === "name" ? inputs.name : (inputs.app ?? inputs.name);
        const problem = derivedNameProblem(names, from, value);
        if (problem !== undefined) {
            problems.push({ field: from, message: problem });
        }
    }
    return problems;
}
