/**
 * Predicates shared by the stack config schema and the components' own argument checks, so a value
 * the schema lets through is one the component accepts too, and the two cannot drift apart.
 * Pulumi-free and dependency-free: the schema imports this module without loading the SDK.
 */

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * An RFC 1123 label as Kubernetes checks the names of Namespaces and Services: lowercase letters,
 * digits and '-', alphanumeric at both ends, 1 to 63 characters.
 * @internal
 */
export function isDnsLabel(value: string): boolean {
    return value.length <= 63 && DNS_LABEL.test(value);
}

/**
 * What an htpasswd user name may be. Basic auth splits user from password at the first ':', and a
 * name that starts with punctuation is easy to misread in a config file.
 * @internal
 */
export const REGISTRY_USER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** @internal */
export function isRegistryUser(value: string): boolean {
    return REGISTRY_USER_PATTERN.test(value);
}

/** A decimal without leading zeros, so "010" is not read as 10 by one tool and 8 by another. */
const DECIMAL = /^(0|[1-9][0-9]*)$/;

function isDecimalUpTo(text: string, max: number): boolean {
    return DECIMAL.test(text) && Number(text) <= max;
}

/** A dotted-quad IPv4 address, each octet 0-255 (Go's parser, which Kubernetes uses, refuses leading zeros). */
function isIpv4(text: string): boolean {
    const octets = text.split(".");
    return octets.length === 4 && octets.every((octet) => isDecimalUpTo(octet, 255));
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function hexGroups(text: string): string[] {
    return text === "" ? [] : text.split(":");
}

/** An IPv6 address in RFC 4291 text form: eight groups, one `::` for a run of zeros, an optional IPv4 tail. */
function isIpv6(text: string): boolean {
    const lastColon = text.lastIndexOf(":");
    if (lastColon < 0) {
        return false;
    }
    const tail = text.slice(lastColon + 1);
    if (tail.includes(".") && !isIpv4(tail)) {
        return false;
    }
    // An IPv4 tail (`::ffff:10.0.0.1`) stands for the last two groups.
    const hex = tail.includes(".") ? `${text.slice(0, lastColon + 1)}0:0` : text;
    const halves = hex.split("::");
    if (halves.length > 2) {
        return false;
    }
    const groups = halves.flatMap(hexGroups);
    if (!groups.every((group) => HEX_GROUP.test(group))) {
        return false;
    }
    // `::` must stand for at least one group.
    return halves.length === 1 ? groups.length === 8 : groups.length <= 7;
}

/**
 * An IPv4 or IPv6 CIDR as a NetworkPolicy `ipBlock.cidr` takes it: an address, '/', and a prefix
 * length of at most 32 (IPv4) or 128 (IPv6). Host bits may be set (10.0.0.1/16), as Kubernetes
 * allows; zones (`%eth0`) and leading zeros are refused.
 * @internal
 */
export function isCidr(value: string): boolean {
    const slash = value.indexOf("/");
    if (slash < 0) {
        return false;
    }
    const address = value.slice(0, slash);
    const prefix = value.slice(slash + 1);
    if (isIpv4(address)) {
        return isDecimalUpTo(prefix, 32);
    }
    return isIpv6(address) && isDecimalUpTo(prefix, 128);
}

const QUANTITY = /^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$/;

/**
 * Kubernetes' `resource.Quantity` grammar without the minus sign: a number (`1`, `1.5`, `.5`, `5.`)
 * and at most one suffix, binary (Ki-Ei), decimal (n, u, m, k, M, G, T, P, E) or an exponent
 * (`1e3`). A negative quantity parses, but no request, limit or claim size may be one.
 * @internal
 */
export function isQuantity(value: string): boolean {
    return QUANTITY.test(value);
}

const SUFFIX_FACTOR: Readonly<Record<string, number>> = {
    "": 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/**
 * A quantity's value in base units (cores, bytes), close enough to order two of them: it is a
 * double, where Kubernetes keeps exact decimals, so two quantities within one part in 10^15 of each
 * other may compare equal here.
 * @internal
 */
export function quantityValue(value: string): number {
    const match = QUANTITY.exec(value);
    if (match === null) {
        throw new Error(`${JSON.stringify(value)} is not a Kubernetes quantity`);
    }
    const number = Number(match[1]);
    const suffix = match[3] ?? "";
    return /^[eE][+-]?[0-9]+$/.test(suffix) ? Number(`${match[1]}${suffix}`) : number * (SUFFIX_FACTOR[suffix] ?? NaN);
}

/** A container's requests and limits by field name, as the components and the stack config spell them. */
type ResourceFields = Readonly<Partial<Record<(typeof RESOURCE_ORDER)[number][0 | 1], string>>>;

/** Each pair is (smaller, larger): Kubernetes refuses a request above its limit; `/tmp` counts toward the disk limit. */
const RESOURCE_ORDER = [
    ["cpuRequest", "cpuLimit"],
    ["memoryRequest", "memoryLimit"],
    ["ephemeralStorageRequest", "ephemeralStorageLimit"],
    ["tmpSizeLimit", "ephemeralStorageLimit"],
] as const;

/**
 * The pairs of `resources` (a field left out takes its value from `defaults`) where the first
 * exceeds the second, each as the field to blame (the one set, or the first) and why.
 * @internal
 */
export function resourceOrderProblems(
    resources: ResourceFields,
    defaults: ResourceFields,
): { field: string; message: string }[] {
    const problems: { field: string; message: string }[] = [];
    for (const [small, large] of RESOURCE_ORDER) {
        const smallValue = resources[small] ?? defaults[small];
        const largeValue = resources[large] ?? defaults[large];
        if (
            smallValue === undefined ||
            largeValue === undefined ||
            !isQuantity(smallValue) ||
            !isQuantity(largeValue)
        ) {
            continue;
        }
        if (quantityValue(smallValue) > quantityValue(largeValue)) {
            const given = (field: typeof small | typeof large, value: string) =>
                `${field} ${JSON.stringify(value)}${resources[field] === undefined ? " (the default)" : ""}`;
            problems.push({
                field: resources[small] === undefined ? large : small,
                message: `${given(small, smallValue)} exceeds ${given(large, largeValue)}: raise ${large} or lower ${small}`,
            });
        }
    }
    return problems;
}

const COOKIE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * A cookie name nginx can read as `$cookie_<name>` (a variable name) and that needs no quoting in
 * a Set-Cookie header.
 * @internal
 */
export function isCookieName(value: string): boolean {
    return COOKIE_NAME.test(value);
}

/** The `@` schedules a Kubernetes CronJob documents (`@every`, which its parser also takes, is not one). */
const CRON_MACROS: readonly string[] = [
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

interface CronField {
    readonly min: number;
    readonly max: number;
    /** Names standing for `min`, `min + 1`, …, matched without regard to case. */
    readonly names?: readonly string[];
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** minute, hour, day of month, month, day of week; 7 is not Sunday here, as in the CronJob controller. */
const CRON_FIELDS: readonly CronField[] = [
    { min: 0, max: 59 },
    { min: 0, max: 23 },
    { min: 1, max: 31 },
    { min: 1, max: 12, names: MONTHS },
    { min: 0, max: 6, names: WEEKDAYS },
];

const DIGITS = /^[0-9]+$/;

function cronValue(text: string, field: CronField): number | undefined {
    if (DIGITS.test(text)) {
        return Number(text);
    }
    const index = field.names?.indexOf(text.toLowerCase()) ?? -1;
    return index < 0 ? undefined : field.min + index;
}

/** One list item: `*`, `?`, `N` or `N-M`, optionally `/step`; `N/step` runs from N to the field's end. */
function isCronItem(item: string, field: CronField): boolean {
    const [range = "", step, ...extraSlashes] = item.split("/");
    if (extraSlashes.length > 0 || (step !== undefined && !(DIGITS.test(step) && Number(step) > 0))) {
        return false;
    }
    if (range === "*" || range === "?") {
        return true;
    }
    const [low = "", high, ...extraDashes] = range.split("-");
    if (extraDashes.length > 0) {
        return false;
    }
    const start = cronValue(low, field);
    const end = high === undefined ? start : cronValue(high, field);
    return start !== undefined && end !== undefined && field.min <= start && start <= end && end <= field.max;
}

/**
 * A CronJob `schedule`: one of the `@` macros, or five whitespace-separated fields of
 * comma-separated items (ranges, steps, JAN-DEC and SUN-SAT names). `TZ=` prefixes, which
 * Kubernetes refuses in favour of `spec.timeZone`, and Quartz extensions (`L`, `W`, `#`) are refused.
 * @internal
 */
export function isCron(value: string): boolean {
    if (value.startsWith("@")) {
        return CRON_MACROS.includes(value);
    }
    const fields = value.trim().split(/\s+/);
    return (
        fields.length === CRON_FIELDS.length &&
        fields.every((text, index) => {
            const field = CRON_FIELDS[index] as CronField;
            return text.split(",").every((item) => isCronItem(item, field));
        })
    );
}

/** A runner authentication token as GitLab 16+ issues them when a runner is created. */
const RUNNER_AUTH_TOKEN = /^glrt-[A-Za-z0-9_.-]{1,200}$/;
/** The prefix of the runner registration tokens GitLab issued before 16.0. */
const REGISTRATION_TOKEN_PREFIX = "GR1348941";

/**
 * Why a value is not a runner authentication token, or undefined when it is one. The answer never
 * quotes the value: it is a credential, and these messages end up in logs.
 * @internal
 */
export function runnerTokenProblem(value: string): string | undefined {
    if (RUNNER_AUTH_TOKEN.test(value)) {
        return undefined;
    }
    if (value.startsWith(REGISTRATION_TOKEN_PREFIX)) {
        return (
            "not a runner authentication token (glrt-…): this is a registration token (GR1348941…), which GitLab " +
            "deprecated in 16.0 and removes in 18.0; every registration with it creates another runner. Create the " +
            "runner in GitLab (Settings > CI/CD > Runners > New project runner, or POST /api/v4/user/runners) and " +
            "use the glrt-… token it shows once"
        );
    }
    return "not a runner authentication token (glrt-…); create the runner in GitLab and use the token it shows once";
}

/** One problem with a component's arguments: the field to blame (dotted for nested ones) and why. */
export interface ArgProblem {
    readonly field: string;
    readonly message: string;
}

/**
 * A component refused its arguments: every problem at once, each naming the component and the
 * field, as the stack config reports its keys, so one run shows all there is to fix.
 */
export class ComponentArgsError extends Error {
    public readonly problems: readonly ArgProblem[];

    constructor(type: string, name: string, problems: readonly ArgProblem[]) {
        super(
            `${type} "${name}": ${problems.length} invalid argument${problems.length === 1 ? "" : "s"}:\n` +
                problems.map((p) => `  - ${name}: ${p.field}: ${p.message}`).join("\n"),
        );
        this.problems = problems;
        this.name = "ComponentArgsError";
    }
}

/**
 * Collects a component's argument problems and throws them together, before `super` registers
 * anything, so a refused component leaves nothing half-applied.
 * @internal
 */
export class ArgChecks {
    private readonly problems: ArgProblem[] = [];

    constructor(
        private readonly type: string,
        private readonly name: string,
    ) {}

    /** Records a problem with `field`. */
    public add(field: string, message: string): void {
        this.problems.push({ field, message });
    }

    /** Records each of `problems` (from a shared predicate such as resourceOrderProblems). */
    public addAll(problems: Iterable<ArgProblem>, prefix = ""): void {
        for (const problem of problems) {
            this.add(`${prefix}${problem.field}`, problem.message);
        }
    }

    /** Throws a ComponentArgsError holding every problem recorded, if there is one. */
    public throwIfAny(): void {
        if (this.problems.length > 0) {
            throw new ComponentArgsError(this.type, this.name, this.problems);
        }
    }
}
