/** Keys of a config section that the component's Args do not have. */
type UnknownKeys<Section, Args> = Exclude<keyof Section, keyof Args>;

/** Keys whose config type is not assignable to the component's argument type. */
type MismatchedKeys<Section, Args> = {
    [K in keyof Section & keyof Args]: Section[K] extends Args[K] ? never : K;
}[keyof Section & keyof Args];

/**
 * Hands a config section to a component by spread, and fails to compile when the section has a field
 * the component's Args lack or types differently: renaming an argument or a config key can then not
 * silently drop a setting. `argsOf<CanaryReleaseArgs>()(section)` returns the section unchanged.
 */
export function argsOf<Args>() {
    return <Section extends object>(
        section: Section & Record<UnknownKeys<Section, Args> | MismatchedKeys<Section, Args>, never>,
    ): Section => section;
}
