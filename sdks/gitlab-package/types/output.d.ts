export interface BranchProtectionAllowedToMerge {
    accessLevel?: string;
    accessLevelDescription?: string;
    groupId?: number;
    userId?: number;
}
export interface BranchProtectionAllowedToPush {
    accessLevel?: string;
    accessLevelDescription?: string;
    deployKeyId?: number;
    groupId?: number;
    userId?: number;
}
export interface BranchProtectionAllowedToUnprotect {
    accessLevel?: string;
    accessLevelDescription?: string;
    groupId?: number;
    userId?: number;
}
export interface ProjectAccessTokenRotationConfiguration {
    expirationDays: number;
    rotateBeforeDays: number;
}
export interface ProjectProtectedEnvironmentApprovalRule {
    accessLevel?: string;
    accessLevelDescription?: string;
    groupId?: number;
    groupInheritanceType?: number;
    id?: number;
    requiredApprovals?: number;
    userId?: number;
}
export interface ProjectProtectedEnvironmentDeployAccessLevelsAttribute {
    /**
     * developer, maintainer or owner (exactly one of accessLevel, userId, groupId).
     */
    accessLevel?: string;
    accessLevelDescription?: string;
    groupId?: number;
    groupInheritanceType?: number;
    id?: number;
    userId?: number;
}
//# sourceMappingURL=output.d.ts.map