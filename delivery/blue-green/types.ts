/** The blue-green switch's port and results: what the switch controller needs from a stack. */
import type { BlueGreenWatchConfig } from "../../config/schema";
import type { ConfigChange, RunResult } from "../shared/outcome";

export type Colour = "blue" | "green";

export interface SwitchPlan {
    readonly stack: string;
    /** `blueGreen.name`. */
    readonly release: string;
    readonly from: Colour;
    readonly to: Colour;
    readonly fromVersion: string;
    readonly toVersion: string;
    readonly watch: BlueGreenWatchConfig;
    readonly replicas: number;
    /**
     * `blueGreen.idleReplicas` as configured, when below `replicas`: the idle colour is scaled to it
     * only after the watch passed and the drain; until then it keeps `replicas`, so a switch back is
     * instant and no request finds it scaled down. Absent: the idle colour keeps `replicas`.
     */
    readonly idleReplicasAfter?: number;
}

/** The stack operations of a switch; every method that deploys runs exactly one `up`. */
export interface ColourSwitch {
    /** Reads and validates the stack config (no deployment). */
    prepare(): Promise<SwitchPlan>;
    /** `blueGreen.active := to`, the idle colour kept at full replicas; one `up` (the gate runs first). */
    switchTo(): Promise<void>;
    /** `blueGreen.active := from` (both colours still at full replicas); one `up`. */
    switchBack(): Promise<ConfigChange>;
    /** `blueGreen.idleReplicas` back to `idleReplicasAfter`; one `up`. */
    scaleDownIdle(): Promise<ConfigChange>;
    /** The stack file's lines changed since `prepare()`. */
    change(): Promise<ConfigChange>;
}

export type SwitchOutcome = "switched" | "switched-back" | "error" | "interrupted";

/** Exit codes of `canary switch`, as `canary promote`'s: 0 switched, 3 switched back. */
export const SWITCH_EXIT_CODES: Readonly<Record<SwitchOutcome, number>> = {
    switched: 0,
    error: 1,
    "switched-back": 3,
    interrupted: 4,
};

export interface SwitchEvent {
    /** ms since the run started. */
    readonly at: number;
    readonly what: "switch up" | "watch passed" | "watch failed" | "switch-back up" | "drained" | "scale-down up";
}

export interface SwitchResult extends RunResult<SwitchOutcome> {
    readonly plan?: SwitchPlan;
    /** The ups and waits in order, with their times. */
    readonly events: readonly SwitchEvent[];
}
