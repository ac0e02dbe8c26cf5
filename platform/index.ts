export { argsOf } from "./args-of";
export { type CanaryReleaseOutputs, createPlatform, type PlatformOutputs } from "./create-platform";
