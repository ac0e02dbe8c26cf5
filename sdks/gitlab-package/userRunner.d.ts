import * as pulumi from "@pulumi/pulumi";
/**
 * A runner linked to the token's user (POST /user/runners). Import id: the runner id (the token cannot be read back, so an imported runner has an empty token). instance_type needs an administrator's token; group_type the Owner role; project_type Maintainer; all need the create_runner scope (or api).
 */
export declare class UserRunner extends pulumi.CustomResource {
    /**
     * Get an existing UserRunner resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): UserRunner;
    /**
     * Check whether an existing UserRunner resource with the given ID exists.
     *
     * @param id The _unique_ provider ID of the resource to check.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static exists(id: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): pulumi.Output<boolean>;
    /**
     * Returns true if the given object is an instance of UserRunner.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    static isInstance(obj: any): obj is UserRunner;
    readonly accessLevel: pulumi.Output<string>;
    readonly description: pulumi.Output<string>;
    readonly groupId: pulumi.Output<number | undefined>;
    readonly locked: pulumi.Output<boolean>;
    readonly maintenanceNote: pulumi.Output<string>;
    readonly maximumTimeout: pulumi.Output<number>;
    readonly paused: pulumi.Output<boolean>;
    readonly projectId: pulumi.Output<number | undefined>;
    readonly runnerType: pulumi.Output<string>;
    readonly tagLists: pulumi.Output<string[]>;
    readonly token: pulumi.Output<string>;
    readonly untagged: pulumi.Output<boolean>;
    /**
     * Create a UserRunner resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args: UserRunnerArgs, opts?: pulumi.CustomResourceOptions);
}
/**
 * The set of arguments for constructing a UserRunner resource.
 */
export interface UserRunnerArgs {
    /**
     * not_protected or ref_protected (only jobs of protected branches and tags).
     */
    accessLevel?: pulumi.Input<string | undefined>;
    description?: pulumi.Input<string | undefined>;
    groupId?: pulumi.Input<number | undefined>;
    locked?: pulumi.Input<boolean | undefined>;
    maintenanceNote?: pulumi.Input<string | undefined>;
    maximumTimeout?: pulumi.Input<number | undefined>;
    paused?: pulumi.Input<boolean | undefined>;
    projectId?: pulumi.Input<number | undefined>;
    /**
     * instance_type, group_type or project_type.
     */
    runnerType: pulumi.Input<string>;
    /**
     * The runner's tags.
     */
    tagLists?: pulumi.Input<pulumi.Input<string>[] | undefined>;
    /**
     * Whether the runner picks jobs without tags.
     */
    untagged?: pulumi.Input<boolean | undefined>;
}
//# sourceMappingURL=userRunner.d.ts.map