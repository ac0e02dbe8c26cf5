import * as pulumi from "@pulumi/pulumi";
/**
 * An environment of a project. Import id: <project>:<environment id>. GitLab deletes only stopped environments: set stopBeforeDestroy.
 */
export declare class ProjectEnvironment extends pulumi.CustomResource {
    /**
     * Get an existing ProjectEnvironment resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): ProjectEnvironment;
    /**
     * Check whether an existing ProjectEnvironment resource with the given ID exists.
     *
     * @param id The _unique_ provider ID of the resource to check.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static exists(id: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): pulumi.Output<boolean>;
    /**
     * Returns true if the given object is an instance of ProjectEnvironment.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    static isInstance(obj: any): obj is ProjectEnvironment;
    readonly autoStopAt: pulumi.Output<string>;
    readonly autoStopSetting: pulumi.Output<string>;
    readonly clusterAgentId: pulumi.Output<number | undefined>;
    readonly createdAt: pulumi.Output<string>;
    readonly description: pulumi.Output<string>;
    readonly externalUrl: pulumi.Output<string>;
    readonly fluxResourcePath: pulumi.Output<string>;
    readonly kubernetesNamespace: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly project: pulumi.Output<string>;
    readonly slug: pulumi.Output<string>;
    readonly state: pulumi.Output<string>;
    readonly stopBeforeDestroy: pulumi.Output<boolean>;
    readonly tier: pulumi.Output<string>;
    readonly updatedAt: pulumi.Output<string>;
    /**
     * Create a ProjectEnvironment resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args: ProjectEnvironmentArgs, opts?: pulumi.CustomResourceOptions);
}
/**
 * The set of arguments for constructing a ProjectEnvironment resource.
 */
export interface ProjectEnvironmentArgs {
    autoStopSetting?: pulumi.Input<string | undefined>;
    clusterAgentId?: pulumi.Input<number | undefined>;
    description?: pulumi.Input<string | undefined>;
    externalUrl?: pulumi.Input<string | undefined>;
    fluxResourcePath?: pulumi.Input<string | undefined>;
    kubernetesNamespace?: pulumi.Input<string | undefined>;
    /**
     * The environment's name (defaults to the resource name).
     */
    name?: pulumi.Input<string | undefined>;
    project: pulumi.Input<string>;
    /**
     * Stop the environment before deleting it (GitLab deletes only stopped ones).
     */
    stopBeforeDestroy?: pulumi.Input<boolean | undefined>;
    /**
     * production, staging, testing, development or other.
     */
    tier?: pulumi.Input<string | undefined>;
}
//# sourceMappingURL=projectEnvironment.d.ts.map