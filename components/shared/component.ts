import type * as pulumi from "@pulumi/pulumi";

/**
 * Options a `createXxx(name, parent, args, opts)` function adds to each child it registers. The
 * parent is always the component itself, so a child's URN stays `<component>$<child>`.
 * @internal
 */
export type ChildOptions = Omit<pulumi.CustomResourceOptions, "parent">;

/**
 * The options of one child of `parent`.
 * @internal
 */
export function childOf(parent: pulumi.Resource, opts?: ChildOptions): pulumi.CustomResourceOptions {
    return { ...opts, parent };
}
