import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
/**
 * A protected environment (GitLab Premium). Import id: <project>:<environment name>.
 */
export declare class ProjectProtectedEnvironment extends pulumi.CustomResource {
    /**
     * Get an existing ProjectProtectedEnvironment resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): ProjectProtectedEnvironment;
    /**
     * Check whether an existing ProjectProtectedEnvironment resource with the given ID exists.
     *
     * @param id The _unique_ provider ID of the resource to check.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static exists(id: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): pulumi.Output<boolean>;
    /**
     * Returns true if the given object is an instance of ProjectProtectedEnvironment.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    static isInstance(obj: any): obj is ProjectProtectedEnvironment;
    readonly approvalRules: pulumi.Output<outputs.ProjectProtectedEnvironmentApprovalRule[]>;
    readonly deployAccessLevelsAttributes: pulumi.Output<outputs.ProjectProtectedEnvironmentDeployAccessLevelsAttribute[] | undefined>;
    readonly environment: pulumi.Output<string>;
    readonly project: pulumi.Output<string>;
    /**
     * Create a ProjectProtectedEnvironment resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args: ProjectProtectedEnvironmentArgs, opts?: pulumi.CustomResourceOptions);
}
/**
 * The set of arguments for constructing a ProjectProtectedEnvironment resource.
 */
export interface ProjectProtectedEnvironmentArgs {
    approvalRules?: pulumi.Input<pulumi.Input<inputs.ProjectProtectedEnvironmentApprovalRuleArgs>[] | undefined>;
    deployAccessLevelsAttributes?: pulumi.Input<pulumi.Input<inputs.ProjectProtectedEnvironmentDeployAccessLevelsAttributeArgs>[] | undefined>;
    environment: pulumi.Input<string>;
    project: pulumi.Input<string>;
}
//# sourceMappingURL=projectProtectedEnvironment.d.ts.map