// Re-exports of @pulumi/policy for code outside this package (test/policy/), which resolves modules
// from the repository root where this package's dependencies are not installed.
export { unknownCheckingProxy } from "@pulumi/policy";
export type {
    EnforcementLevel,
    Policy,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
