export { createPlatform, type PlatformOutputs } from "./create-platform";
