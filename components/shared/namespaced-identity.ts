import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** A service account, the Role that says what it may do in its namespace, and the binding between them. */
export interface NamespacedIdentity {
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    readonly role: k8s.rbac.v1.Role;
    readonly roleBinding: k8s.rbac.v1.RoleBinding;
}

/**
 * A namespaced identity, all three children registered as `resourceName` with `child`'s options.
 * The account mounts no token anywhere: whoever acts as it (a runner manager, a Jenkins controller,
 * a tenant's CI) gets a token of its own. `objectName` fixes the objects' names; unset, they are
 * auto-named.
 * @internal
 */
export function createNamespacedIdentity(
    resourceName: string,
    namespace: pulumi.Input<string>,
    labels: Readonly<Record<string, string>>,
    rules: k8s.types.input.rbac.v1.PolicyRule[],
    child: pulumi.CustomResourceOptions,
    objectName?: string,
): NamespacedIdentity {
    const metadata = { ...(objectName === undefined ? {} : { name: objectName }), namespace, labels };
    const serviceAccount = new k8s.core.v1.ServiceAccount(
        resourceName,
        { metadata, automountServiceAccountToken: false },
        child,
    );
    const role = new k8s.rbac.v1.Role(resourceName, { metadata, rules }, child);
    const roleBinding = new k8s.rbac.v1.RoleBinding(
        resourceName,
        {
            metadata,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace }],
        },
        child,
    );
    return { serviceAccount, role, roleBinding };
}
