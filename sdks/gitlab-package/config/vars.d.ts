/**
 * The GitLab base API URL, e.g. https://gitlab.example.com/api/v4/. Falls back to GITLAB_BASE_URL, then https://gitlab.com/api/v4/.
 */
export declare const baseUrl: string | undefined;
/**
 * A file containing the CA certificate to trust for GitLab's TLS certificate.
 */
export declare const cacertFile: string | undefined;
/**
 * File path to a client certificate (with clientKey) for mutual TLS.
 */
export declare const clientCert: string | undefined;
/**
 * File path to the key of clientCert.
 */
export declare const clientKey: string | undefined;
/**
 * Not supported by this provider (configure token and baseUrl instead).
 */
export declare const configFile: string | undefined;
/**
 * Not supported by this provider (configure token and baseUrl instead).
 */
export declare const context: string | undefined;
/**
 * Check the token against GitLab (GET /user) when the provider is configured, so a wrong token fails before any resource is touched. Default true.
 */
export declare const earlyAuthCheck: boolean | undefined;
/**
 * Accepted for compatibility; this provider does not read CI_JOB_TOKEN.
 */
export declare const enableAutoCiSupport: boolean | undefined;
/**
 * Extra HTTP headers sent with every request.
 */
export declare const headers: {
    [key: string]: string;
} | undefined;
/**
 * Skip TLS certificate verification (never in production).
 */
export declare const insecure: boolean | undefined;
/**
 * How many times a failed request (429, 5xx) is retried. Default 10.
 */
export declare const retries: number | undefined;
/**
 * The OAuth2 token, project, group or personal access token used to connect to GitLab. Falls back to GITLAB_TOKEN.
 */
export declare const token: string | undefined;
//# sourceMappingURL=vars.d.ts.map