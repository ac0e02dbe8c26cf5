import * as gitlab from "@pulumi/gitlab";
import * as pulumi from "@pulumi/pulumi";

/**
 * How a value reaches GitLab. GitLab masks a value in job logs only when it is one line of at least
 * 8 characters of a limited alphabet (the Base64 one plus `@:.~-_`); a kubeconfig or a PEM key is
 * neither, and a hidden variable has the same rule. So:
 * - `plain`: not a secret (a URL, a name, a public key), shown as it is;
 * - `masked`: a secret GitLab can mask as it is (a password of that alphabet);
 * - `base64-masked`: a secret GitLab could not mask as it is, sent base64-encoded (one line of the
 *   Base64 alphabet) and masked; the step that reads it decodes it (ci/steps: `kubeconfig_file`).
 *
 * Here rather than in components/: the published component library does not depend on the
 * generated @pulumi/gitlab, which is not on the npm registry.
 */
export type GitLabVariableForm = "plain" | "masked" | "base64-masked";

export interface GitLabVariableSpec {
    readonly key: string;
    readonly value: pulumi.Input<string>;
    readonly form: GitLabVariableForm;
    /** A file variable: the job gets a path to a file holding the value. @default false */
    readonly file?: boolean;
}

export interface GitLabVariablesArgs {
    /** The project (full path or id) whose variables these are; or `group`, exactly one. */
    readonly project?: pulumi.Input<string>;
    /** The group (full path or id) whose variables these are. */
    readonly group?: pulumi.Input<string>;
    /**
     * The environment whose jobs get them (`staging`, `production`), or `*` for every job. A group's
     * scope other than `*` is a paid feature. @default "*"
     */
    readonly environmentScope?: string;
    readonly variables: readonly GitLabVariableSpec[];
    /** Who manages them, in each variable's description. @default "cicd-platform" */
    readonly managedBy?: string;
}

/** The base64 encoding of a secret value, still a secret. */
function base64Of(value: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.secret(pulumi.output(value).apply((v) => Buffer.from(v, "utf8").toString("base64")));
}

/**
 * CI/CD variables of one GitLab project or group, all protected (only pipelines of protected
 * branches and tags get them), each in the form its value allows (see GitLabVariableForm).
 */
export class GitLabVariables extends pulumi.ComponentResource {
    public readonly variables: readonly (gitlab.ProjectVariable | gitlab.GroupVariable)[];

    constructor(name: string, args: GitLabVariablesArgs, opts?: pulumi.ComponentResourceOptions) {
        if ((args.project === undefined) === (args.group === undefined)) {
            throw new Error(`${name}: set exactly one of project and group`);
        }
        const keys = args.variables.map((v) => v.key);
        const twice = keys.find((key, index) => keys.indexOf(key) !== index);
        if (twice !== undefined) {
            throw new Error(`${name}: variable ${twice} is listed twice`);
        }
        super("cicd:platform:GitLabVariables", name, {}, opts);

        const environmentScope = args.environmentScope ?? "*";
        const managedBy = args.managedBy ?? "cicd-platform";
        this.variables = args.variables.map((spec) => {
            const encoded = spec.form === "base64-masked";
            const common = {
                key: spec.key,
                value: encoded ? base64Of(spec.value) : spec.value,
                protected: true,
                masked: spec.form !== "plain",
                raw: true,
                variableType: spec.file === true ? "file" : "env_var",
                environmentScope,
                description: `Managed by ${managedBy}${encoded ? "; base64-encoded so GitLab can mask it" : ""}`,
            };
            const childName = `${name}-${spec.key.toLowerCase().replace(/_/g, "-")}`;
            return args.project !== undefined
                ? new gitlab.ProjectVariable(childName, { ...common, project: args.project }, { parent: this })
                : new gitlab.GroupVariable(childName, { ...common, group: args.group ?? "" }, { parent: this });
        });
        this.registerOutputs({ count: this.variables.length });
    }
}
