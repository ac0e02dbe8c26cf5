/** A complete, valid stack config; tests change one thing at a time. */
export function validConfig(): Record<string, unknown> {
    return {
        environment: "staging",
        namespaces: { apps: "shop-staging", monitoring: "monitoring" },
        registry: { server: "registry.example.com", username: "ci-pull" },
        registryPassword: "s3cr3t-registry-pw",
        apps: [
            {
                name: "storefront",
                image: "registry.example.com/shop/storefront",
                stableVersion: "1.4.2",
                canaryVersion: "1.5.0",
                canaryPercent: 25,
                replicas: 4,
            },
        ],
        canary: { steps: [10, 25, 50, 100] },
        blueGreen: {
            name: "checkout",
            image: "registry.example.com/shop/checkout",
            blueVersion: "2.0.1",
            greenVersion: "2.1.0",
            active: "green",
            healthCheck: "true",
            smokeTest: "true",
        },
        github: { enabled: true, owner: "example-org", repository: "shop" },
    };
}

export const SECRET_KEYS = ["registryPassword"];

/** Two tenants of the staging config: one adopting the apps namespace, one with every option set. */
export const TWO_TENANTS = [
    // Its namespace is the apps namespace: it adopts it.
    { name: "shop", namespace: "shop-staging", apps: ["storefront", "checkout"] },
    {
        name: "blog",
        apps: ["blog"],
        registryPrefix: "teams/blog",
        credential: { rotation: "2026-12-01" },
        productionGate: { mode: "approval", reviewerTeamIds: [7] },
    },
];

/** The valid config with `tenants` and the tenancy settings they need (and `extra` over them). */
export function withTenants(tenants: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        ...validConfig(),
        tenants,
        tenancy: { stateBackendRoot: "s3://releases-state/staging", apiServer: "https://k8s.example.com:6443" },
        ...extra,
    };
}
