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
