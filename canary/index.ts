/** The canary library: analysis, Prometheus, the stack driver, the controller loop and the report. */
export * from "./analysis";
export * from "./controller";
export * from "./line-diff";
export * from "./prometheus";
export * from "./report";
export * from "./stack-driver";
export { main as runCanaryCli, parseCommandLine, splitImage, USAGE, UsageError } from "./cli";
