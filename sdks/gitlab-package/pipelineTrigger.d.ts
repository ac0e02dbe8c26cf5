import * as pulumi from "@pulumi/pulumi";
/**
 * A pipeline trigger token. Import id: <project>:<trigger id>.
 */
export declare class PipelineTrigger extends pulumi.CustomResource {
    /**
     * Get an existing PipelineTrigger resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): PipelineTrigger;
    /**
     * Check whether an existing PipelineTrigger resource with the given ID exists.
     *
     * @param id The _unique_ provider ID of the resource to check.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static exists(id: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): pulumi.Output<boolean>;
    /**
     * Returns true if the given object is an instance of PipelineTrigger.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    static isInstance(obj: any): obj is PipelineTrigger;
    readonly description: pulumi.Output<string>;
    readonly pipelineTriggerId: pulumi.Output<number>;
    readonly project: pulumi.Output<string>;
    readonly token: pulumi.Output<string>;
    /**
     * Create a PipelineTrigger resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args: PipelineTriggerArgs, opts?: pulumi.CustomResourceOptions);
}
/**
 * The set of arguments for constructing a PipelineTrigger resource.
 */
export interface PipelineTriggerArgs {
    description: pulumi.Input<string>;
    project: pulumi.Input<string>;
}
//# sourceMappingURL=pipelineTrigger.d.ts.map