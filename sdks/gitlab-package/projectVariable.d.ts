import * as pulumi from "@pulumi/pulumi";
/**
 * A CI/CD variable of a project. Import id: <project>:<key>:<environment_scope>.
 */
export declare class ProjectVariable extends pulumi.CustomResource {
    /**
     * Get an existing ProjectVariable resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): ProjectVariable;
    /**
     * Check whether an existing ProjectVariable resource with the given ID exists.
     *
     * @param id The _unique_ provider ID of the resource to check.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static exists(id: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): pulumi.Output<boolean>;
    /**
     * Returns true if the given object is an instance of ProjectVariable.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    static isInstance(obj: any): obj is ProjectVariable;
    readonly description: pulumi.Output<string>;
    readonly environmentScope: pulumi.Output<string>;
    readonly hidden: pulumi.Output<boolean>;
    readonly key: pulumi.Output<string>;
    readonly masked: pulumi.Output<boolean>;
    readonly project: pulumi.Output<string>;
    readonly protected: pulumi.Output<boolean>;
    readonly raw: pulumi.Output<boolean>;
    readonly value: pulumi.Output<string>;
    readonly variableType: pulumi.Output<string>;
    /**
     * Create a ProjectVariable resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args: ProjectVariableArgs, opts?: pulumi.CustomResourceOptions);
}
/**
 * The set of arguments for constructing a ProjectVariable resource.
 */
export interface ProjectVariableArgs {
    description?: pulumi.Input<string | undefined>;
    /**
     * The environment scope of the variable. Default *.
     */
    environmentScope?: pulumi.Input<string | undefined>;
    /**
     * Masked and hidden: GitLab never shows the value again. Only at creation.
     */
    hidden?: pulumi.Input<boolean | undefined>;
    /**
     * The name of the variable (letters, digits and _ only).
     */
    key: pulumi.Input<string>;
    /**
     * Mask the value in job logs (at least 8 characters of the maskable alphabet, no whitespace).
     */
    masked?: pulumi.Input<boolean | undefined>;
    /**
     * The id or full path of the project.
     */
    project: pulumi.Input<string>;
    /**
     * Only pipelines on protected branches and tags get the variable.
     */
    protected?: pulumi.Input<boolean | undefined>;
    /**
     * Do not expand $ references in the value.
     */
    raw?: pulumi.Input<boolean | undefined>;
    /**
     * The value of the variable. Secret in this provider (pulumi-gitlab's is not).
     */
    value: pulumi.Input<string>;
    /**
     * env_var (default) or file.
     */
    variableType?: pulumi.Input<string | undefined>;
}
//# sourceMappingURL=projectVariable.d.ts.map