import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
/**
 * A project access token. Import id: <project>:<token id> (the token itself cannot be read back). Needs GitLab Premium on GitLab.com.
 */
export declare class ProjectAccessToken extends pulumi.CustomResource {
    /**
     * Get an existing ProjectAccessToken resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): ProjectAccessToken;
    /**
     * Check whether an existing ProjectAccessToken resource with the given ID exists.
     *
     * @param id The _unique_ provider ID of the resource to check.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static exists(id: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): pulumi.Output<boolean>;
    /**
     * Returns true if the given object is an instance of ProjectAccessToken.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    static isInstance(obj: any): obj is ProjectAccessToken;
    readonly accessLevel: pulumi.Output<string>;
    readonly active: pulumi.Output<boolean>;
    readonly createdAt: pulumi.Output<string>;
    readonly description: pulumi.Output<string>;
    readonly expiresAt: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly project: pulumi.Output<string>;
    readonly revoked: pulumi.Output<boolean>;
    readonly rotationConfiguration: pulumi.Output<outputs.ProjectAccessTokenRotationConfiguration | undefined>;
    readonly scopes: pulumi.Output<string[]>;
    readonly token: pulumi.Output<string>;
    readonly userId: pulumi.Output<number>;
    readonly validatePastExpirationDate: pulumi.Output<boolean>;
    /**
     * Create a ProjectAccessToken resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args: ProjectAccessTokenArgs, opts?: pulumi.CustomResourceOptions);
}
/**
 * The set of arguments for constructing a ProjectAccessToken resource.
 */
export interface ProjectAccessTokenArgs {
    /**
     * guest, planner, reporter, developer, maintainer (default) or owner.
     */
    accessLevel?: pulumi.Input<string | undefined>;
    description?: pulumi.Input<string | undefined>;
    /**
     * Expiry date, YYYY-MM-DD (GitLab requires one).
     */
    expiresAt?: pulumi.Input<string | undefined>;
    name?: pulumi.Input<string | undefined>;
    project: pulumi.Input<string>;
    /**
     * Not supported by this provider: set expiresAt and replace the token to rotate it.
     */
    rotationConfiguration?: pulumi.Input<inputs.ProjectAccessTokenRotationConfigurationArgs | undefined>;
    scopes: pulumi.Input<pulumi.Input<string>[]>;
    validatePastExpirationDate?: pulumi.Input<boolean | undefined>;
}
//# sourceMappingURL=projectAccessToken.d.ts.map