import * as pulumi from "@pulumi/pulumi";
export declare class Provider extends pulumi.ProviderResource {
    /**
     * Returns true if the given object is an instance of Provider.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    static isInstance(obj: any): obj is Provider;
    /**
     * The GitLab base API URL, e.g. https://gitlab.example.com/api/v4/. Falls back to GITLAB_BASE_URL, then https://gitlab.com/api/v4/.
     */
    readonly baseUrl: pulumi.Output<string | undefined>;
    /**
     * A file containing the CA certificate to trust for GitLab's TLS certificate.
     */
    readonly cacertFile: pulumi.Output<string | undefined>;
    /**
     * File path to a client certificate (with clientKey) for mutual TLS.
     */
    readonly clientCert: pulumi.Output<string | undefined>;
    /**
     * File path to the key of clientCert.
     */
    readonly clientKey: pulumi.Output<string | undefined>;
    /**
     * Not supported by this provider (configure token and baseUrl instead).
     */
    readonly configFile: pulumi.Output<string | undefined>;
    /**
     * Not supported by this provider (configure token and baseUrl instead).
     */
    readonly context: pulumi.Output<string | undefined>;
    /**
     * The OAuth2 token, project, group or personal access token used to connect to GitLab. Falls back to GITLAB_TOKEN.
     */
    readonly token: pulumi.Output<string | undefined>;
    /**
     * Create a Provider resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions);
}
/**
 * The set of arguments for constructing a Provider resource.
 */
export interface ProviderArgs {
    /**
     * The GitLab base API URL, e.g. https://gitlab.example.com/api/v4/. Falls back to GITLAB_BASE_URL, then https://gitlab.com/api/v4/.
     */
    baseUrl?: pulumi.Input<string | undefined>;
    /**
     * A file containing the CA certificate to trust for GitLab's TLS certificate.
     */
    cacertFile?: pulumi.Input<string | undefined>;
    /**
     * File path to a client certificate (with clientKey) for mutual TLS.
     */
    clientCert?: pulumi.Input<string | undefined>;
    /**
     * File path to the key of clientCert.
     */
    clientKey?: pulumi.Input<string | undefined>;
    /**
     * Not supported by this provider (configure token and baseUrl instead).
     */
    configFile?: pulumi.Input<string | undefined>;
    /**
     * Not supported by this provider (configure token and baseUrl instead).
     */
    context?: pulumi.Input<string | undefined>;
    /**
     * Check the token against GitLab (GET /user) when the provider is configured, so a wrong token fails before any resource is touched. Default true.
     */
    earlyAuthCheck?: pulumi.Input<boolean | undefined>;
    /**
     * Accepted for compatibility; this provider does not read CI_JOB_TOKEN.
     */
    enableAutoCiSupport?: pulumi.Input<boolean | undefined>;
    /**
     * Extra HTTP headers sent with every request.
     */
    headers?: pulumi.Input<{
        [key: string]: pulumi.Input<string>;
    } | undefined>;
    /**
     * Skip TLS certificate verification (never in production).
     */
    insecure?: pulumi.Input<boolean | undefined>;
    /**
     * How many times a failed request (429, 5xx) is retried. Default 10.
     */
    retries?: pulumi.Input<number | undefined>;
    /**
     * The OAuth2 token, project, group or personal access token used to connect to GitLab. Falls back to GITLAB_TOKEN.
     */
    token?: pulumi.Input<string | undefined>;
}
//# sourceMappingURL=provider.d.ts.map