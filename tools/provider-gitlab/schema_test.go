package provider

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
)

// Properties whose description was stripped from the reference along with every "description"
// key: the reference still lists them as required, so they exist in pulumi-gitlab.
var strippedDescription = map[string]bool{"description": true}

// Documented differences from pulumi-gitlab 10.1.1 (see scripts/toolchain/README.md).
var ourSecrets = map[string]bool{
	"gitlab:index/projectVariable:ProjectVariable.value": true,
	"gitlab:index/groupVariable:GroupVariable.value":     true,
}

type propSpec struct {
	Type                 string          `json:"type"`
	Ref                  string          `json:"$ref"`
	Secret               bool            `json:"secret"`
	Items                *propSpec       `json:"items"`
	AdditionalProperties *propSpec       `json:"additionalProperties"`
	Extra                json.RawMessage `json:"-"`
}

type objectSpec struct {
	Properties      map[string]propSpec `json:"properties"`
	InputProperties map[string]propSpec `json:"inputProperties"`
	Required        []string            `json:"required"`
	RequiredInputs  []string            `json:"requiredInputs"`
}

type packageSpec struct {
	Name      string                `json:"name"`
	Version   string                `json:"version"`
	Config    objectSpec            `json:"config"`
	Provider  objectSpec            `json:"provider"`
	Resources map[string]objectSpec `json:"resources"`
	Types     map[string]objectSpec `json:"types"`
	Language  map[string]any        `json:"language"`
}

func shape(s propSpec) string {
	out := s.Type + s.Ref
	if s.Items != nil {
		out += "<" + shape(*s.Items) + ">"
	}
	if s.AdditionalProperties != nil {
		out += "{" + shape(*s.AdditionalProperties) + "}"
	}
	return out
}

func TestSchemaMatchesPulumiGitlabReference(t *testing.T) {
	var ref packageSpec
	data, err := os.ReadFile("testdata/pulumi-gitlab-10.1.1-subset.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	server, err := integration.NewServer(context.Background(), Name, semver.MustParse(Version), integration.WithProvider(New()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var ours packageSpec
	if err := json.Unmarshal([]byte(resp.Schema), &ours); err != nil {
		t.Fatal(err)
	}
	if ours.Name != "gitlab" || ours.Version != Version {
		t.Fatalf("package %s %s, want gitlab %s", ours.Name, ours.Version, Version)
	}
	compare := func(what string, want, got map[string]propSpec, secrets map[string]bool) {
		t.Helper()
		for name, w := range want {
			g, ok := got[name]
			if !ok {
				t.Errorf("%s: property %s missing", what, name)
				continue
			}
			if shape(g) != shape(w) {
				t.Errorf("%s.%s: type %s, reference %s", what, name, shape(g), shape(w))
			}
			if g.Secret != (w.Secret || secrets[what+"."+name]) {
				t.Errorf("%s.%s: secret %v, reference %v", what, name, g.Secret, w.Secret)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok && !strippedDescription[name] {
				t.Errorf("%s: property %s is not in the reference", what, name)
			}
		}
	}
	compare("config", ref.Config.Properties, ours.Config.Properties, nil)
	compare("provider", ref.Provider.InputProperties, ours.Provider.InputProperties, nil)
	implemented := 0
	for token, want := range ref.Resources {
		got, ok := ours.Resources[token]
		if !ok {
			if token == "gitlab:index/projectHook:ProjectHook" {
				continue // not implemented (listed in the toolchain README)
			}
			t.Errorf("resource %s missing", token)
			continue
		}
		implemented++
		compare(token, want.Properties, got.Properties, ourSecrets)
		compare(token, want.InputProperties, got.InputProperties, ourSecrets)
		for _, r := range want.RequiredInputs {
			if !contains(got.RequiredInputs, r) {
				t.Errorf("%s: input %s is required in the reference, optional here", token, r)
			}
		}
		for _, r := range got.RequiredInputs {
			if !contains(want.RequiredInputs, r) {
				t.Errorf("%s: input %s is required here, optional in the reference", token, r)
			}
		}
	}
	t.Logf("%d resources, %d types compared", implemented, len(ref.Types))
	if implemented != 8 {
		t.Errorf("%d resources of the reference implemented, want 8", implemented)
	}
	for token, want := range ref.Types {
		if got, ok := ours.Types[token]; ok {
			compare(token, want.Properties, got.Properties, nil)
		} else if token != "gitlab:index/ProjectHookCustomHeader:ProjectHookCustomHeader" && token != "gitlab:index/ProjectHookUrlVariable:ProjectHookUrlVariable" {
			t.Errorf("type %s missing", token)
		}
	}
	node, _ := ours.Language["nodejs"].(map[string]any)
	if node["packageName"] != "@pulumi/gitlab" {
		t.Errorf("language.nodejs.packageName = %v, want @pulumi/gitlab", node["packageName"])
	}
}
