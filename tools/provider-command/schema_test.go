package provider

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
)

// The resources of pulumi-command 1.2.1 this provider implements, and the types they use.
var (
	implemented = []string{"command:local:Command", "command:remote:Command", "command:remote:CopyToRemote"}
	usedTypes   = []string{"command:local:Logging", "command:remote:Connection", "command:remote:Logging",
		"command:remote:ProxyConnection"}
)

func newServer(t *testing.T) integration.Server {
	t.Helper()
	prov, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s, err := integration.NewServer(context.Background(), Name, semver.MustParse(Version), integration.WithProvider(prov))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type obj = map[string]any

func loadJSON(t *testing.T, text []byte) obj {
	t.Helper()
	var o obj
	if err := json.Unmarshal(text, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// withoutDescriptions drops documentation, which the reference file does not carry.
func withoutDescriptions(v any) any {
	switch v := v.(type) {
	case obj:
		out := obj{}
		for k, e := range v {
			if k != "description" {
				out[k] = withoutDescriptions(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutDescriptions(e)
		}
		return out
	default:
		return v
	}
}

func sortedStrings(v any) []string {
	var out []string
	if list, ok := v.([]any); ok {
		for _, e := range list {
			out = append(out, e.(string))
		}
	}
	sort.Strings(out)
	return out
}

func TestSchemaMatchesPulumiCommand121(t *testing.T) {
	resp, err := newServer(t).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ours := withoutDescriptions(loadJSON(t, []byte(resp.Schema))).(obj)
	text, err := os.ReadFile("testdata/pulumi-command-1.2.1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	ref := loadJSON(t, text)
	if ours["name"] != "command" || ours["version"] != Version {
		t.Fatalf("schema names %v %v, want command %s", ours["name"], ours["version"], Version)
	}

	sections := []struct {
		section string
		tokens  []string
		props   []string
		lists   []string
	}{
		{"resources", implemented, []string{"inputProperties", "properties"}, []string{"required", "requiredInputs"}},
		{"types", usedTypes, []string{"properties"}, []string{"required"}},
	}
	for _, sec := range sections {
		for _, token := range sec.tokens {
			t.Run(token, func(t *testing.T) {
				want := ref[sec.section].(obj)[token].(obj)
				got, ok := ours[sec.section].(obj)[token].(obj)
				if !ok {
					t.Fatalf("%s %s is missing", sec.section, token)
				}
				for _, key := range sec.props {
					wantProps, _ := want[key].(obj)
					gotProps, _ := got[key].(obj)
					for name, spec := range wantProps {
						if !reflect.DeepEqual(gotProps[name], spec) {
							t.Errorf("%s.%s: got %v, want %v", key, name, gotProps[name], spec)
						}
					}
					for name := range gotProps {
						if _, ok := wantProps[name]; !ok {
							t.Errorf("%s.%s is not in pulumi-command's schema", key, name)
						}
					}
				}
				for _, key := range sec.lists {
					if g, w := sortedStrings(got[key]), sortedStrings(want[key]); !reflect.DeepEqual(g, w) {
						t.Errorf("%s: got %v, want %v", key, g, w)
					}
				}
				for _, key := range []string{"type", "enum"} {
					if !reflect.DeepEqual(got[key], want[key]) {
						t.Errorf("%s: got %v, want %v", key, got[key], want[key])
					}
				}
			})
		}
	}
	for token := range ours["resources"].(obj) {
		if _, ok := ref["resources"].(obj)[token]; !ok {
			t.Errorf("resource %s is not in pulumi-command's schema", token)
		}
	}
}
