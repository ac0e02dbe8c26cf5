/** The canary command's ports and results: what the controller needs from a stack, and what it returns. */
import type { ConfigChange, RunResult } from "../shared/outcome";
import type { RolloutPolicy } from "../shared/stack-layout";

export type { ConfigChange } from "../shared/outcome";

/** What the stack driver found and will do. */
export interface RolloutPlan extends RolloutPolicy {
    readonly stack: string;
    readonly app: string;
    /** The version stable runs now. */
    readonly stableVersion: string;
    /** The version being rolled out. */
    readonly canaryVersion: string;
    /** Percentages still to walk, in order; the last is 100. */
    readonly steps: readonly number[];
    /** Set when a canary of the same version was already running at this percentage. */
    readonly resumedFrom?: number;
}

/** The stack operations the controller needs; every method that deploys runs exactly one `up`. */
export interface Rollout {
    /** Reads and validates the stack config and writes the canary version (no deployment). */
    prepare(): Promise<RolloutPlan>;
    /** Writes `canaryPercent` and runs one `up`. */
    setCanaryPercent(percent: number): Promise<void>;
    /** `canaryPercent: 0`, canary version removed, one `up`: the canary workload is gone. */
    rollBack(): Promise<ConfigChange>;
    /** `stableVersion := canaryVersion`, `canaryPercent: 0`, canary version removed, one `up`. */
    promote(): Promise<ConfigChange>;
}

export type Outcome = "promoted" | "rolled-back" | "error" | "interrupted";

/** Process exit codes of the `canary` command, one per outcome (2 is a usage error). */
export const EXIT_CODES = {
    promoted: 0,
    error: 1,
    usage: 2,
    "rolled-back": 3,
    interrupted: 4,
} as const;

/** How each outcome is titled in the report and its chart. */
export const OUTCOME_TITLE: Readonly<Record<Outcome, string>> = {
    promoted: "promoted",
    "rolled-back": "rolled back",
    error: "error",
    interrupted: "interrupted",
};

export interface CanaryResult extends RunResult<Outcome> {
    readonly plan?: RolloutPlan;
}
