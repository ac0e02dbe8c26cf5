/** The canary library: analysis, Prometheus, the stack drivers, the controllers (canary and blue-green switch) and the reports. */
export * from "./analysis";
export * from "./blue-green-driver";
export * from "./blue-green-switch";
export * from "./controller";
export * from "./line-diff";
export * from "./open-stack";
export * from "./prometheus";
export * from "./report";
export * from "./stack-driver";
export * from "./switch-report";
export * from "./switch-types";
export * from "./traffic-split";
export { main as runCanaryCli } from "./cli";
export { parseCommandLine, splitImage, USAGE, UsageError } from "./cli-args";
