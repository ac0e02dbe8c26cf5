/** The canary command's ports and results: what the controller needs from a stack, and what it returns. */
import type { AnalysisConfig } from "../../config/schema";
import type { WindowRecord } from "../shared/window-loop";

/** What the stack driver found and will do. */
export interface RolloutPlan {
    readonly stack: string;
    readonly app: string;
    /** The version stable runs now. */
    readonly stableVersion: string;
    /** The version being rolled out. */
    readonly canaryVersion: string;
    /** Percentages still to walk, in order; the last is 100. */
    readonly steps: readonly number[];
    /** Every configured step, for progress ("step 2/5"). */
    readonly allSteps: readonly number[];
    readonly analysis: AnalysisConfig;
    /** One more window of this length at 100% before promotion (`canary.bakeSeconds`); 0 or absent: none. */
    readonly bakeSeconds?: number;
    /** Requests per independent routing draw in the split check: `canary.stickyRequestsPerClient` with sticky cohorts, else 1. */
    readonly splitDesignEffect?: number;
    /** Set when a canary of the same version was already running at this percentage. */
    readonly resumedFrom?: number;
}

/** The lines of `Pulumi.<stack>.yaml` that changed, as a line diff (`-old`, `+new`). */
export interface ConfigChange {
    readonly file: string;
    readonly diff: readonly string[];
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

export type InterruptPolicy = "rollback" | "hold";

export type Outcome = "promoted" | "rolled-back" | "error" | "interrupted";

/** Process exit codes of the `canary` command, one per outcome (2 is a usage error). */
export const EXIT_CODES = {
    promoted: 0,
    error: 1,
    usage: 2,
    "rolled-back": 3,
    interrupted: 4,
} as const;

export interface CanaryResult {
    readonly outcome: Outcome;
    readonly exitCode: number;
    /** One sentence: what runs now. */
    readonly state: string;
    readonly message: string;
    readonly plan?: RolloutPlan;
    readonly windows: readonly WindowRecord[];
    readonly configChange?: ConfigChange;
    readonly startedAt: number;
    readonly finishedAt: number;
}
