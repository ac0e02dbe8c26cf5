// Package provider is the project's gitlab resource provider: the resources of pulumi-gitlab
// v10.1.1 the platform uses, with that package's tokens, property names, types and import ids,
// implemented on GitLab's own Go client (client-go) and pulumi-go-provider.
package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/middleware/schema"
	gitlab "gitlab.com/gitlab-org/api/client-go/v2"
)

// Version is the plugin version: the pulumi-gitlab release whose schema this provider follows.
// The build stamps it (-X) from scripts/toolchain/versions.env.
var Version = "10.1.1"

// Name is the package name.
const Name = "gitlab"

// New returns the provider.
func New() p.Provider {
	prov := infer.Provider(Options())
	inner := prov.GetSchema
	prov.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		resp, err := inner(ctx, req)
		if err != nil {
			return resp, err
		}
		resp.Schema, err = withModuleFormat(resp.Schema)
		return resp, err
	}
	return prov
}

// withModuleFormat adds the schema's meta.moduleFormat of pulumi-gitlab: its tokens carry the
// resource's file name after the module ("index/projectVariable"), which the code generators
// read as module "index" only with this format; pulumi-go-provider does not set schema meta.
func withModuleFormat(schemaJSON string) (string, error) {
	var spec map[string]any
	if err := json.Unmarshal([]byte(schemaJSON), &spec); err != nil {
		return "", fmt.Errorf("gitlab: reading the inferred schema: %w", err)
	}
	spec["meta"] = map[string]any{"moduleFormat": "(.*)(?:/[^/]*)"}
	out, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("gitlab: writing the schema: %w", err)
	}
	return string(out), nil
}

// Options are the provider's inferred options (exposed for tests).
func Options() infer.Options {
	return infer.Options{
		Metadata: schema.Metadata{
			DisplayName: "GitLab",
			Description: "GitLab resources (a subset of pulumi-gitlab 10.1.1) on GitLab's Go client.",
			Keywords:    []string{"pulumi", "gitlab", "category/utility"},
			License:     "Apache-2.0",
			LanguageMap: map[string]any{
				// The npm package Pulumi publishes, at the schema's version, so a program's
				// import * as gitlab from "@pulumi/gitlab" is the same line against either.
				"nodejs": map[string]any{"packageName": "@pulumi/gitlab", "respectSchemaVersion": true},
			},
		},
		Resources: []infer.InferredResource{
			infer.Resource(&UserRunner{}),
			infer.Resource(&ProjectVariable{}),
			infer.Resource(&GroupVariable{}),
			infer.Resource(&ProjectEnvironment{}),
			infer.Resource(&ProjectProtectedEnvironment{}),
			infer.Resource(&BranchProtection{}),
			infer.Resource(&ProjectAccessToken{}),
			infer.Resource(&PipelineTrigger{}),
		},
		Config: infer.Config(&Config{}),
	}
}

// Config is the provider configuration, with the keys of pulumi-gitlab's provider.
type Config struct {
	Token               *string           `pulumi:"token,optional" provider:"secret"`
	BaseURL             *string           `pulumi:"baseUrl,optional"`
	EarlyAuthCheck      *bool             `pulumi:"earlyAuthCheck,optional"`
	CacertFile          *string           `pulumi:"cacertFile,optional"`
	ClientCert          *string           `pulumi:"clientCert,optional"`
	ClientKey           *string           `pulumi:"clientKey,optional"`
	ConfigFile          *string           `pulumi:"configFile,optional"`
	Context             *string           `pulumi:"context,optional"`
	EnableAutoCiSupport *bool             `pulumi:"enableAutoCiSupport,optional"`
	Headers             map[string]string `pulumi:"headers,optional"`
	Insecure            *bool             `pulumi:"insecure,optional"`
	Retries             *int              `pulumi:"retries,optional"`

	client *gitlab.Client
}

// Annotate documents the configuration keys.
func (c *Config) Annotate(a infer.Annotator) {
	a.Describe(&c.Token, "The OAuth2 token, project, group or personal access token used to connect to GitLab. Falls back to GITLAB_TOKEN.")
	a.Describe(&c.BaseURL, "The GitLab base API URL, e.g. https://gitlab.example.com/api/v4/. Falls back to GITLAB_BASE_URL, then https://gitlab.com/api/v4/.")
	a.Describe(&c.EarlyAuthCheck, "Check the token against GitLab (GET /user) when the provider is configured, so a wrong token fails before any resource is touched. Default true.")
	a.Describe(&c.CacertFile, "A file containing the CA certificate to trust for GitLab's TLS certificate.")
	a.Describe(&c.ClientCert, "File path to a client certificate (with clientKey) for mutual TLS.")
	a.Describe(&c.ClientKey, "File path to the key of clientCert.")
	a.Describe(&c.ConfigFile, "Not supported by this provider (configure token and baseUrl instead).")
	a.Describe(&c.Context, "Not supported by this provider (configure token and baseUrl instead).")
	a.Describe(&c.EnableAutoCiSupport, "Accepted for compatibility; this provider does not read CI_JOB_TOKEN.")
	a.Describe(&c.Headers, "Extra HTTP headers sent with every request.")
	a.Describe(&c.Insecure, "Skip TLS certificate verification (never in production).")
	a.Describe(&c.Retries, "How many times a failed request (429, 5xx) is retried. Default 10.")
}

func str(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}

// configError names the provider config key.
func configError(key, format string, args ...any) error {
	return fmt.Errorf("gitlab provider config %q: %s", "gitlab:"+key, fmt.Sprintf(format, args...))
}

// Configure builds the client and, unless earlyAuthCheck is false, checks the token.
func (c *Config) Configure(ctx context.Context) error {
	if c.ConfigFile != nil || c.Context != nil {
		key := "configFile"
		if c.Context != nil {
			key = "context"
		}
		return configError(key, "not supported by this provider: set gitlab:token and gitlab:baseUrl")
	}
	token := str(c.Token)
	tokenKey := "token"
	if token == "" {
		token = os.Getenv("GITLAB_TOKEN")
	}
	if token == "" {
		return configError(tokenKey, "no token: set it (pulumi config set --secret gitlab:token …) or GITLAB_TOKEN")
	}
	base := str(c.BaseURL)
	if base == "" {
		base = os.Getenv("GITLAB_BASE_URL")
	}
	if base == "" {
		base = "https://gitlab.com/api/v4/"
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.Insecure != nil && *c.Insecure {
		tlsConfig.InsecureSkipVerify = true //nolint:gosec // the user asked for it (config gitlab:insecure)
	}
	if f := str(c.CacertFile); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return configError("cacertFile", "%v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return configError("cacertFile", "%s holds no PEM certificate", f)
		}
		tlsConfig.RootCAs = pool
	}
	if c.ClientCert != nil || c.ClientKey != nil {
		cert, err := tls.LoadX509KeyPair(str(c.ClientCert), str(c.ClientKey))
		if err != nil {
			return configError("clientCert", "with clientKey: %v", err)
		}
		tlsConfig.Certificates = []tls.Certificate{cert}
	}
	transport.TLSClientConfig = tlsConfig
	var rt http.RoundTripper = transport
	if len(c.Headers) > 0 {
		rt = headerTransport{headers: c.Headers, next: transport}
	}
	opts := []gitlab.ClientOptionFunc{gitlab.WithBaseURL(base), gitlab.WithHTTPClient(&http.Client{Transport: rt})}
	if c.Retries != nil {
		if *c.Retries < 0 {
			return configError("retries", "must be 0 or more, got %d", *c.Retries)
		}
		opts = append(opts, gitlab.WithCustomRetryMax(*c.Retries))
	}
	client, err := gitlab.NewClient(token, opts...)
	if err != nil {
		return configError("baseUrl", "%v", err)
	}
	c.client = client
	if c.EarlyAuthCheck == nil || *c.EarlyAuthCheck {
		if _, _, err := client.Users.CurrentUser(gitlab.WithContext(ctx)); err != nil {
			var er *gitlab.ErrorResponse
			if errors.As(err, &er) && (er.StatusCode == http.StatusUnauthorized || er.StatusCode == http.StatusForbidden) {
				return configError(tokenKey, "GitLab at %s refused the token (%d); check gitlab:token or GITLAB_TOKEN (earlyAuthCheck)", base, er.StatusCode)
			}
			return configError("baseUrl", "early auth check (GET /user) against %s failed: %v", base, err)
		}
	}
	return nil
}

type headerTransport struct {
	headers map[string]string
	next    http.RoundTripper
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.headers {
		r.Header.Set(k, v)
	}
	return h.next.RoundTrip(r)
}

// client returns the configured GitLab client.
func client(ctx context.Context) *gitlab.Client {
	return infer.GetConfig[Config](ctx).client
}

// isNotFound says whether GitLab answered 404.
func isNotFound(err error) bool {
	if errors.Is(err, gitlab.ErrNotFound) {
		return true
	}
	var er *gitlab.ErrorResponse
	return errors.As(err, &er) && er.StatusCode == http.StatusNotFound
}

// apiError passes GitLab's error through with the resource named.
func apiError(op, kind, name string, err error) error {
	if isNotFound(err) {
		// client-go drops GitLab's 404 body ("404 Project Not Found"), so say what it can mean.
		return fmt.Errorf("gitlab: %s %s %q: %w (GitLab answered 404: the project, group or runner does not exist, or the token cannot see it)", op, kind, name, err)
	}
	return fmt.Errorf("gitlab: %s %s %q: %w", op, kind, name, err)
}

// splitID splits an import id of n colon-separated parts; the first part (a project or group path)
// may not contain a colon, the last may.
func splitID(kind, id string, n int, format string) ([]string, error) {
	parts := strings.SplitN(id, ":", n)
	if len(parts) != n {
		return nil, fmt.Errorf("gitlab: %s id %q is not of the form %s", kind, id, format)
	}
	for i, part := range parts {
		if part == "" && i < n-1 {
			return nil, fmt.Errorf("gitlab: %s id %q is not of the form %s", kind, id, format)
		}
	}
	return parts, nil
}

func ptr[T any](v T) *T { return &v }

// opts carries the request context to client-go.
func opts(ctx context.Context) gitlab.RequestOptionFunc { return gitlab.WithContext(ctx) }

// accessLevels are the names pulumi-gitlab uses for GitLab's access levels.
var accessLevels = map[string]gitlab.AccessLevelValue{
	"no one": gitlab.NoPermissions, "minimal": gitlab.MinimalAccessPermissions, "guest": gitlab.GuestPermissions,
	"planner": gitlab.PlannerPermissions, "reporter": gitlab.ReporterPermissions, "developer": gitlab.DeveloperPermissions,
	"maintainer": gitlab.MaintainerPermissions, "owner": gitlab.OwnerPermissions, "admin": gitlab.AdminPermissions,
}

func accessLevelName(v gitlab.AccessLevelValue) string {
	for k, l := range accessLevels {
		if l == v {
			return k
		}
	}
	return fmt.Sprintf("%d", v)
}

// parseAccessLevel checks a level name against the allowed ones, naming the property.
func parseAccessLevel(prop, v string, allowed ...string) (gitlab.AccessLevelValue, error) {
	for _, a := range allowed {
		if a == v {
			return accessLevels[v], nil
		}
	}
	return 0, fmt.Errorf("%s: %q is not one of %s", prop, v, strings.Join(allowed, ", "))
}
