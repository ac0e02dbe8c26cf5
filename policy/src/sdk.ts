// Re-exports of @pulumi/policy for code outside this package (test/policy/), which resolves modules
// from the repository root where this package's dependencies are not installed.
export { unknownCheckingProxy } from "@pulumi/policy";
export type {
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
