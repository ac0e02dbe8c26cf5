package provider

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	gitlab "gitlab.com/gitlab-org/api/client-go/v2"

	"cicd-platform/tools/provider-gitlab/standin"
)

const testToken = "glpat" + "-test-admin-token" // a stand-in value, spelled apart for secret scanners

// fixture is a provider talking to a fresh stand-in of GitLab's API.
type fixture struct {
	t      *testing.T
	server integration.Server
	gl     *standin.Server
	api    *gitlab.Client
	url    string
}

func newFixture(t *testing.T, tier standin.Tier, config map[string]any) *fixture {
	t.Helper()
	gl := standin.New(standin.Options{Tier: tier,
		Users:    []standin.User{{ID: 1, Username: "root", Token: testToken, Admin: true}, {ID: 2, Username: "dev", Token: "glpat-dev"}},
		Projects: []string{"platform/app", "platform/infra"}, Groups: []string{"platform"}})
	hs := httptest.NewServer(gl)
	t.Cleanup(hs.Close)
	server, err := integration.NewServer(context.Background(), Name, semver.MustParse(Version), integration.WithProvider(New()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{"token": testToken, "baseUrl": hs.URL + "/api/v4/"}
	for k, v := range config {
		cfg[k] = v
	}
	if err := server.Configure(p.ConfigureRequest{Args: props(cfg)}); err != nil {
		t.Fatalf("configure: %v", err)
	}
	api, err := gitlab.NewClient(testToken, gitlab.WithBaseURL(hs.URL+"/api/v4/"))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, server: server, gl: gl, api: api, url: hs.URL}
}

func props(m map[string]any) property.Map {
	return resource.FromResourcePropertyMap(resource.NewPropertyMapFromMap(m))
}

func urn(token, name string) resource.URN {
	return resource.NewURN("test", "gitlab", "", tokens.Type(token), name)
}

// plain turns a property map into Go values with secrets unwrapped.
func plain(m property.Map) map[string]any {
	return resource.ToResourcePropertyMap(m).MapRepl(nil, func(v resource.PropertyValue) (any, bool) {
		if v.IsSecret() {
			return v.SecretValue().Element.Mappable(), true
		}
		return nil, false
	})
}

func (f *fixture) check(u resource.URN, in map[string]any) property.Map {
	f.t.Helper()
	resp, err := f.server.Check(p.CheckRequest{Urn: u, Inputs: props(in)})
	if err != nil {
		f.t.Fatalf("check: %v", err)
	}
	if len(resp.Failures) > 0 {
		f.t.Fatalf("check failures: %+v", resp.Failures)
	}
	return resp.Inputs
}

// diff is the engine's Diff call. The CLI sends the old inputs; this test server does not say so
// (its run info cannot), so the default diff would rebuild them from the state: passing the old
// inputs as the state makes it compare exactly what the CLI compares.
func (f *fixture) diff(id string, u resource.URN, oldInputs, inputs property.Map) (p.DiffResponse, error) {
	return f.server.Diff(p.DiffRequest{ID: id, Urn: u, State: oldInputs, OldInputs: oldInputs, Inputs: inputs})
}

func (f *fixture) calls() int { return len(f.gl.Requests()) }

type lifecycle struct {
	name     string
	token    string
	create   map[string]any
	update   map[string]any
	idFormat func(id string) bool
	// secret outputs that must be secret in the state
	secrets []string
	// after create/update: expected state values
	created map[string]any
	updated map[string]any
}

func TestResourceLifecycleAgainstStandIn(t *testing.T) {
	cases := []lifecycle{
		{
			name: "ProjectVariable", token: "gitlab:index/projectVariable:ProjectVariable",
			create:   map[string]any{"project": "platform/app", "key": "REGISTRY_PASSWORD", "value": "c2VjcmV0LXZhbHVl", "protected": true, "masked": true, "environmentScope": "production"},
			update:   map[string]any{"project": "platform/app", "key": "REGISTRY_PASSWORD", "value": "bmV3LXNlY3JldA==", "protected": true, "masked": true, "environmentScope": "production"},
			idFormat: func(id string) bool { return id == "platform/app:REGISTRY_PASSWORD:production" },
			secrets:  []string{"value"},
			created:  map[string]any{"value": "c2VjcmV0LXZhbHVl", "protected": true, "masked": true, "variableType": "env_var", "environmentScope": "production"},
			updated:  map[string]any{"value": "bmV3LXNlY3JldA=="},
		},
		{
			name: "GroupVariable", token: "gitlab:index/groupVariable:GroupVariable",
			create:   map[string]any{"group": "platform", "key": "KUBECONFIG", "value": "apiVersion: v1\nkind: Config\n", "variableType": "file", "protected": true},
			update:   map[string]any{"group": "platform", "key": "KUBECONFIG", "value": "apiVersion: v1\nkind: Config\n", "variableType": "file", "protected": false},
			idFormat: func(id string) bool { return id == "platform:KUBECONFIG:*" },
			secrets:  []string{"value"},
			created:  map[string]any{"variableType": "file", "protected": true, "environmentScope": "*"},
			updated:  map[string]any{"protected": false},
		},
		{
			name: "UserRunner", token: "gitlab:index/userRunner:UserRunner",
			create:   map[string]any{"runnerType": "project_type", "projectId": 1, "description": "podman-1", "tagLists": []any{"podman", "linux"}, "untagged": false, "accessLevel": "ref_protected", "locked": true},
			update:   map[string]any{"runnerType": "project_type", "projectId": 1, "description": "podman-1", "tagLists": []any{"podman", "linux", "x86"}, "untagged": false, "accessLevel": "ref_protected", "locked": true},
			idFormat: func(id string) bool { return id != "" && strings.Trim(id, "0123456789") == "" },
			secrets:  []string{"token"},
			created:  map[string]any{"accessLevel": "ref_protected", "locked": true, "tagLists": []any{"linux", "podman"}},
			updated:  map[string]any{"tagLists": []any{"linux", "podman", "x86"}},
		},
		{
			name: "ProjectEnvironment", token: "gitlab:index/projectEnvironment:ProjectEnvironment",
			create:   map[string]any{"project": "platform/app", "name": "production", "tier": "production", "externalUrl": "https://app.example.com", "stopBeforeDestroy": true},
			update:   map[string]any{"project": "platform/app", "name": "production", "tier": "production", "externalUrl": "https://app2.example.com", "stopBeforeDestroy": true},
			idFormat: func(id string) bool { return strings.HasPrefix(id, "platform/app:") },
			created:  map[string]any{"slug": "production", "state": "available", "tier": "production"},
			updated:  map[string]any{"externalUrl": "https://app2.example.com"},
		},
		{
			name: "ProjectProtectedEnvironment", token: "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment",
			create: map[string]any{"project": "platform/app", "environment": "production",
				"deployAccessLevelsAttributes": []any{map[string]any{"accessLevel": "maintainer"}}},
			update: map[string]any{"project": "platform/app", "environment": "production",
				"deployAccessLevelsAttributes": []any{map[string]any{"groupId": 101}},
				"approvalRules":                []any{map[string]any{"groupId": 101, "requiredApprovals": 2}}},
			idFormat: func(id string) bool { return id == "platform/app:production" },
			created:  map[string]any{"environment": "production"},
			updated:  map[string]any{"environment": "production"},
		},
		{
			name: "BranchProtection", token: "gitlab:index/branchProtection:BranchProtection",
			create:   map[string]any{"project": "platform/infra", "branch": "main", "pushAccessLevel": "no one", "mergeAccessLevel": "maintainer", "allowForcePush": false},
			update:   map[string]any{"project": "platform/infra", "branch": "main", "pushAccessLevel": "no one", "mergeAccessLevel": "developer", "allowForcePush": false, "allowedToMerges": []any{map[string]any{"userId": 2}}},
			idFormat: func(id string) bool { return id == "platform/infra:main" },
			created:  map[string]any{"pushAccessLevel": "no one", "mergeAccessLevel": "maintainer", "allowForcePush": false},
			updated:  map[string]any{"mergeAccessLevel": "developer"},
		},
		{
			name: "ProjectAccessToken", token: "gitlab:index/projectAccessToken:ProjectAccessToken",
			create:   map[string]any{"project": "platform/app", "name": "deploy", "scopes": []any{"read_registry"}, "accessLevel": "reporter", "expiresAt": "2099-01-01"},
			update:   map[string]any{"project": "platform/app", "name": "deploy", "scopes": []any{"read_registry"}, "accessLevel": "reporter", "expiresAt": "2099-01-01", "validatePastExpirationDate": false},
			idFormat: func(id string) bool { return strings.HasPrefix(id, "platform/app:") },
			secrets:  []string{"token"},
			created:  map[string]any{"accessLevel": "reporter", "active": true, "revoked": false, "expiresAt": "2099-01-01"},
			updated:  map[string]any{"validatePastExpirationDate": false},
		},
		{
			name: "PipelineTrigger", token: "gitlab:index/pipelineTrigger:PipelineTrigger",
			create:   map[string]any{"project": "platform/app", "description": "deploy from infra"},
			update:   map[string]any{"project": "platform/app", "description": "deploy from the infra pipeline"},
			idFormat: func(id string) bool { return strings.HasPrefix(id, "platform/app:") },
			secrets:  []string{"token"},
			created:  map[string]any{"description": "deploy from infra"},
			updated:  map[string]any{"description": "deploy from the infra pipeline"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, standin.Ultimate, nil)
			u := urn(tc.token, "r-"+strings.ToLower(tc.name))
			in := f.check(u, tc.create)

			// A preview creates nothing and calls nothing.
			before := f.calls()
			if _, err := f.server.Create(p.CreateRequest{Urn: u, Properties: in, DryRun: true}); err != nil {
				t.Fatalf("preview create: %v", err)
			}
			if got := f.calls(); got != before {
				t.Fatalf("preview create made %d API calls", got-before)
			}

			created, err := f.server.Create(p.CreateRequest{Urn: u, Properties: in})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if !tc.idFormat(created.ID) {
				t.Fatalf("create: id %q is not in pulumi-gitlab's format", created.ID)
			}
			expect(t, "create", created.Properties, tc.created)
			for _, s := range tc.secrets {
				if v, ok := created.Properties.GetOk(s); !ok || !v.Secret() {
					t.Fatalf("create: output %q is not secret: %v", s, v)
				}
			}

			// Refresh without drift: same id, inputs as the program wrote them.
			read, err := f.server.Read(p.ReadRequest{ID: created.ID, Urn: u, Properties: created.Properties, Inputs: in})
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if read.ID != created.ID {
				t.Fatalf("read: id %q, want %q", read.ID, created.ID)
			}
			diff, err := f.diff(created.ID, u, read.Inputs, in)
			if err != nil {
				t.Fatalf("diff after refresh: %v", err)
			}
			if diff.HasChanges {
				t.Fatalf("refresh without drift produced a diff: %+v\nold inputs %v\nnew inputs %v", diff.DetailedDiff, plain(read.Inputs), plain(in))
			}

			// Import: only the id is known.
			imported, err := f.server.Read(p.ReadRequest{ID: created.ID, Urn: u})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if imported.ID != created.ID {
				t.Fatalf("import: id %q, want %q", imported.ID, created.ID)
			}

			// Update in place (no replacement).
			next := f.check(u, tc.update)
			diff, err = f.diff(created.ID, u, in, next)
			if err != nil {
				t.Fatalf("diff: %v", err)
			}
			if !diff.HasChanges {
				t.Fatalf("diff: no change detected")
			}
			for k, d := range diff.DetailedDiff {
				if d.Kind == p.UpdateReplace || d.Kind == p.AddReplace || d.Kind == p.DeleteReplace {
					t.Fatalf("diff: %s would replace the resource", k)
				}
			}
			updated, err := f.server.Update(p.UpdateRequest{ID: created.ID, Urn: u, State: created.Properties, OldInputs: in, Inputs: next})
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			expect(t, "update", updated.Properties, tc.updated)
			for _, s := range tc.secrets {
				if v, ok := updated.Properties.GetOk(s); !ok || !v.Secret() {
					t.Fatalf("update: output %q is not secret", s)
				}
			}

			// Delete, then a refresh notices it is gone, and a second delete is not an error.
			if err := f.server.Delete(p.DeleteRequest{ID: created.ID, Urn: u, Properties: updated.Properties}); err != nil {
				t.Fatalf("delete: %v", err)
			}
			gone, err := f.server.Read(p.ReadRequest{ID: created.ID, Urn: u, Properties: updated.Properties, Inputs: next})
			if err != nil {
				t.Fatalf("read after delete: %v", err)
			}
			if gone.ID != "" {
				t.Fatalf("read after delete: id %q, want empty (gone)", gone.ID)
			}
			if err := f.server.Delete(p.DeleteRequest{ID: created.ID, Urn: u, Properties: updated.Properties}); err != nil {
				t.Fatalf("second delete: %v", err)
			}
		})
	}
}

func expect(t *testing.T, step string, got property.Map, want map[string]any) {
	t.Helper()
	g := plain(got)
	for k, w := range want {
		v := g[k]
		if n, ok := v.(float64); ok {
			v = int(n)
		}
		if !equalValue(v, w) {
			t.Fatalf("%s: %s = %#v, want %#v", step, k, g[k], w)
		}
	}
}

func equalValue(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if !equalValue(as[i], bs[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestVariableEditedInTheUIIsNoticedByRefreshStandIn(t *testing.T) {
	f := newFixture(t, standin.Ultimate, nil)
	u := urn("gitlab:index/projectVariable:ProjectVariable", "v")
	in := f.check(u, map[string]any{"project": "platform/app", "key": "DEPLOY_TOKEN", "value": "original-value-1", "protected": true})
	created, err := f.server.Create(p.CreateRequest{Urn: u, Properties: in})
	if err != nil {
		t.Fatal(err)
	}
	// Someone edits the value and unprotects it in the UI.
	if _, _, err := f.api.ProjectVariables.UpdateVariable("platform/app", "DEPLOY_TOKEN",
		&gitlab.UpdateProjectVariableOptions{Value: gitlab.Ptr("edited-in-ui"), Protected: gitlab.Ptr(false)}); err != nil {
		t.Fatal(err)
	}
	read, err := f.server.Read(p.ReadRequest{ID: created.ID, Urn: u, Properties: created.Properties, Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "refresh", read.Properties, map[string]any{"value": "edited-in-ui", "protected": false})
	diff, err := f.diff(created.ID, u, read.Inputs, in)
	if err != nil {
		t.Fatal(err)
	}
	if !diff.HasChanges || diff.DetailedDiff["value"].Kind != p.Update || diff.DetailedDiff["protected"].Kind != p.Update {
		t.Fatalf("the next up would not put the value back: %+v", diff.DetailedDiff)
	}
	// Deleted in the UI: refresh drops it.
	if _, err := f.api.ProjectVariables.RemoveVariable("platform/app", "DEPLOY_TOKEN", nil); err != nil {
		t.Fatal(err)
	}
	gone, err := f.server.Read(p.ReadRequest{ID: created.ID, Urn: u, Properties: created.Properties, Inputs: in})
	if err != nil || gone.ID != "" {
		t.Fatalf("refresh after a UI delete: id %q err %v, want gone", gone.ID, err)
	}
}

func TestErrorsNameTheResourceStandIn(t *testing.T) {
	cases := []struct {
		name   string
		tier   standin.Tier
		token  string
		inputs map[string]any
		want   []string
	}{
		{"free tier refuses protected environments", standin.Free, "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment",
			map[string]any{"project": "platform/app", "environment": "production", "deployAccessLevelsAttributes": []any{map[string]any{"accessLevel": "maintainer"}}},
			[]string{`ProjectProtectedEnvironment "platform/app:production"`, "403"}},
		{"unmaskable value passes GitLab's 400 through", standin.Ultimate, "gitlab:index/projectVariable:ProjectVariable",
			map[string]any{"project": "platform/app", "key": "KUBECONFIG", "value": "apiVersion: v1\nkind: Config", "masked": true},
			[]string{`ProjectVariable "platform/app:KUBECONFIG:*"`, "400", "value"}},
		{"unknown project is GitLab's 404", standin.Ultimate, "gitlab:index/pipelineTrigger:PipelineTrigger",
			map[string]any{"project": "nope/nope", "description": "x"},
			[]string{"PipelineTrigger", "nope/nope", "404 Not Found"}},
		{"protecting a branch twice is GitLab's 409", standin.Ultimate, "gitlab:index/branchProtection:BranchProtection",
			map[string]any{"project": "platform/app", "branch": "main"},
			[]string{`BranchProtection "platform/app:main"`, "409", "already exists"}},
		{"bad runner type names the property", standin.Ultimate, "gitlab:index/userRunner:UserRunner",
			map[string]any{"runnerType": "shared"},
			[]string{"runnerType", `"shared"`, "instance_type, group_type, project_type"}},
		{"group runner without groupId", standin.Ultimate, "gitlab:index/userRunner:UserRunner",
			map[string]any{"runnerType": "group_type"},
			[]string{"group_type needs groupId"}},
		{"token without expiry", standin.Ultimate, "gitlab:index/projectAccessToken:ProjectAccessToken",
			map[string]any{"project": "platform/app", "scopes": []any{"api"}},
			[]string{"expiresAt: required"}},
		{"bad variable key", standin.Ultimate, "gitlab:index/groupVariable:GroupVariable",
			map[string]any{"group": "platform", "key": "BAD-KEY", "value": "x"},
			[]string{"key:", "BAD-KEY"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.tier, nil)
			u := urn(tc.token, "r")
			in := f.check(u, tc.inputs)
			if strings.Contains(tc.name, "twice") {
				if _, err := f.server.Create(p.CreateRequest{Urn: u, Properties: in}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := f.server.Create(p.CreateRequest{Urn: u, Properties: in})
			if err == nil {
				t.Fatal("create succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestEarlyAuthCheckStandIn(t *testing.T) {
	cases := []struct {
		name    string
		config  map[string]any
		wantErr string
		calls   int
	}{
		{"a refused token fails naming gitlab:token", map[string]any{"token": "glpat-wrong"}, `"gitlab:token"`, 1},
		{"earlyAuthCheck false makes no call", map[string]any{"token": "glpat-wrong", "earlyAuthCheck": false}, "", 0},
		{"a good token passes", map[string]any{}, "", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gl := standin.New(standin.Options{Users: []standin.User{{ID: 1, Username: "root", Token: testToken}}})
			hs := httptest.NewServer(gl)
			defer hs.Close()
			server, err := integration.NewServer(context.Background(), Name, semver.MustParse(Version), integration.WithProvider(New()))
			if err != nil {
				t.Fatal(err)
			}
			cfg := map[string]any{"token": testToken, "baseUrl": hs.URL + "/api/v4/"}
			for k, v := range tc.config {
				cfg[k] = v
			}
			err = server.Configure(p.ConfigureRequest{Args: props(cfg)})
			if tc.wantErr == "" && err != nil {
				t.Fatalf("configure: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("configure error %v, want one naming %s", err, tc.wantErr)
			}
			if got := len(gl.Requests()); got != tc.calls {
				t.Fatalf("%d API calls, want %d: %+v", got, tc.calls, gl.Requests())
			}
		})
	}
}

func TestImportIDsStandIn(t *testing.T) {
	cases := []struct {
		token, id, want string
	}{
		{"gitlab:index/projectVariable:ProjectVariable", "platform/app", "<owner>:<key>:<environment_scope>"},
		{"gitlab:index/projectEnvironment:ProjectEnvironment", "platform/app:abc", "not an environment id"},
		{"gitlab:index/userRunner:UserRunner", "x", "not a runner id"},
		{"gitlab:index/projectAccessToken:ProjectAccessToken", "platform/app", "<project>:<token id>"},
	}
	f := newFixture(t, standin.Ultimate, nil)
	for _, tc := range cases {
		_, err := f.server.Read(p.ReadRequest{ID: tc.id, Urn: urn(tc.token, "imp")})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s import %q: error %v, want %q", tc.token, tc.id, err, tc.want)
		}
	}
}
