import * as pulumi from "@pulumi/pulumi";
export interface BranchProtectionAllowedToMergeArgs {
    accessLevel?: pulumi.Input<string | undefined>;
    accessLevelDescription?: pulumi.Input<string | undefined>;
    groupId?: pulumi.Input<number | undefined>;
    userId?: pulumi.Input<number | undefined>;
}
export interface BranchProtectionAllowedToPushArgs {
    accessLevel?: pulumi.Input<string | undefined>;
    accessLevelDescription?: pulumi.Input<string | undefined>;
    deployKeyId?: pulumi.Input<number | undefined>;
    groupId?: pulumi.Input<number | undefined>;
    userId?: pulumi.Input<number | undefined>;
}
export interface BranchProtectionAllowedToUnprotectArgs {
    accessLevel?: pulumi.Input<string | undefined>;
    accessLevelDescription?: pulumi.Input<string | undefined>;
    groupId?: pulumi.Input<number | undefined>;
    userId?: pulumi.Input<number | undefined>;
}
export interface ProjectAccessTokenRotationConfigurationArgs {
    expirationDays: pulumi.Input<number>;
    rotateBeforeDays: pulumi.Input<number>;
}
export interface ProjectProtectedEnvironmentApprovalRuleArgs {
    accessLevel?: pulumi.Input<string | undefined>;
    accessLevelDescription?: pulumi.Input<string | undefined>;
    groupId?: pulumi.Input<number | undefined>;
    groupInheritanceType?: pulumi.Input<number | undefined>;
    id?: pulumi.Input<number | undefined>;
    requiredApprovals?: pulumi.Input<number | undefined>;
    userId?: pulumi.Input<number | undefined>;
}
export interface ProjectProtectedEnvironmentDeployAccessLevelsAttributeArgs {
    /**
     * developer, maintainer or owner (exactly one of accessLevel, userId, groupId).
     */
    accessLevel?: pulumi.Input<string | undefined>;
    accessLevelDescription?: pulumi.Input<string | undefined>;
    groupId?: pulumi.Input<number | undefined>;
    groupInheritanceType?: pulumi.Input<number | undefined>;
    id?: pulumi.Input<number | undefined>;
    userId?: pulumi.Input<number | undefined>;
}
//# sourceMappingURL=input.d.ts.map