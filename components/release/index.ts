export type { AppTrack } from "./app-track";
export type { AppWorkloadArgs } from "./app-workload";
export { BlueGreenRelease, type BlueGreenReleaseArgs, type Color, type GateExecutor } from "./blue-green-release";
export { CanaryRelease, type CanaryReleaseArgs } from "./canary-release";
