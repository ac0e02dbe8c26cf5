import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
/**
 * A protected branch. Import id: <project>:<branch>. Needs the Maintainer role.
 */
export declare class BranchProtection extends pulumi.CustomResource {
    /**
     * Get an existing BranchProtection resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): BranchProtection;
    /**
     * Check whether an existing BranchProtection resource with the given ID exists.
     *
     * @param id The _unique_ provider ID of the resource to check.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static exists(id: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): pulumi.Output<boolean>;
    /**
     * Returns true if the given object is an instance of BranchProtection.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    static isInstance(obj: any): obj is BranchProtection;
    readonly allowForcePush: pulumi.Output<boolean>;
    readonly allowedToMerges: pulumi.Output<outputs.BranchProtectionAllowedToMerge[]>;
    readonly allowedToPushes: pulumi.Output<outputs.BranchProtectionAllowedToPush[]>;
    readonly allowedToUnprotects: pulumi.Output<outputs.BranchProtectionAllowedToUnprotect[]>;
    readonly branch: pulumi.Output<string>;
    readonly branchProtectionId: pulumi.Output<number>;
    readonly codeOwnerApprovalRequired: pulumi.Output<boolean>;
    readonly mergeAccessLevel: pulumi.Output<string>;
    readonly project: pulumi.Output<string>;
    readonly pushAccessLevel: pulumi.Output<string>;
    /**
     * Create a BranchProtection resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args: BranchProtectionArgs, opts?: pulumi.CustomResourceOptions);
}
/**
 * The set of arguments for constructing a BranchProtection resource.
 */
export interface BranchProtectionArgs {
    allowForcePush?: pulumi.Input<boolean | undefined>;
    allowedToMerges?: pulumi.Input<pulumi.Input<inputs.BranchProtectionAllowedToMergeArgs>[] | undefined>;
    allowedToPushes?: pulumi.Input<pulumi.Input<inputs.BranchProtectionAllowedToPushArgs>[] | undefined>;
    allowedToUnprotects?: pulumi.Input<pulumi.Input<inputs.BranchProtectionAllowedToUnprotectArgs>[] | undefined>;
    branch: pulumi.Input<string>;
    codeOwnerApprovalRequired?: pulumi.Input<boolean | undefined>;
    /**
     * no one, developer, maintainer (default) or admin.
     */
    mergeAccessLevel?: pulumi.Input<string | undefined>;
    project: pulumi.Input<string>;
    /**
     * no one, developer, maintainer (default) or admin.
     */
    pushAccessLevel?: pulumi.Input<string | undefined>;
}
//# sourceMappingURL=branchProtection.d.ts.map