package provider

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

const localURN = "urn:pulumi:test::proj::command:local:Command::cmd"

func str(s string) property.Value { return property.New(s) }

func strMap(kv map[string]string) property.Value {
	m := map[string]property.Value{}
	for k, v := range kv {
		m[k] = property.New(v)
	}
	return property.New(m)
}

func TestLocalCommandLifecycle(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "runs")
	tests := []struct {
		name       string
		create     map[string]property.Value
		update     map[string]property.Value // nil: no update step
		wantStdout []string                  // after create, after update
		wantFile   string                    // what the commands appended to marker, in order
	}{
		{
			name: "create runs create; update without update runs create again",
			create: map[string]property.Value{
				"create": str("echo create-$X >> " + marker + "; echo out-$X"), "environment": strMap(map[string]string{"X": "1"}),
			},
			update: map[string]property.Value{
				"create": str("echo create-$X >> " + marker + "; echo out-$X"), "environment": strMap(map[string]string{"X": "2"}),
			},
			wantStdout: []string{"out-1", "out-2"},
			wantFile:   "create-1\ncreate-2\n",
		},
		{
			name: "update runs update, with the previous stdout in the environment",
			create: map[string]property.Value{
				"create": str("echo c >> " + marker + "; echo first"), "update": str("echo u-$PULUMI_COMMAND_STDOUT >> " + marker),
			},
			update: map[string]property.Value{
				"create": str("echo c >> " + marker + "; echo first"), "update": str("echo u-$PULUMI_COMMAND_STDOUT >> " + marker + "; echo second"),
			},
			wantStdout: []string{"first", "second"},
			wantFile:   "c\nu-first\n",
		},
		{
			name: "stdin, dir and interpreter",
			create: map[string]property.Value{
				"create": str(`x=$(cat); echo "${x^^}$PWD"`),
				"stdin":  str("abc"), "dir": str(dir),
				"interpreter": property.New([]property.Value{str("/bin/bash"), str("-c")}),
			},
			wantStdout: []string{"ABC" + dir},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = os.Remove(marker)
			s := newServer(t)
			created, err := s.Create(p.CreateRequest{Urn: localURN, Properties: property.NewMap(tt.create)})
			if err != nil {
				t.Fatal(err)
			}
			if got := created.Properties.Get("stdout").AsString(); got != tt.wantStdout[0] {
				t.Errorf("stdout after create = %q, want %q", got, tt.wantStdout[0])
			}
			if tt.update != nil {
				updated, err := s.Update(p.UpdateRequest{
					Urn: localURN, ID: created.ID, State: created.Properties,
					Inputs: property.NewMap(tt.update), OldInputs: property.NewMap(tt.create),
				})
				if err != nil {
					t.Fatal(err)
				}
				if got := updated.Properties.Get("stdout").AsString(); got != tt.wantStdout[1] {
					t.Errorf("stdout after update = %q, want %q", got, tt.wantStdout[1])
				}
			}
			if tt.wantFile != "" {
				got, _ := os.ReadFile(marker)
				if string(got) != tt.wantFile {
					t.Errorf("commands ran %q, want %q", got, tt.wantFile)
				}
			}
		})
	}
}

func TestLocalCommandPreviewRunsNothing(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	s := newServer(t)
	resp, err := s.Create(p.CreateRequest{
		Urn: localURN, DryRun: true,
		Properties: property.NewMap(map[string]property.Value{"create": str("touch " + marker)}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("create ran during a preview")
	}
	if !resp.Properties.Get("stdout").IsComputed() {
		t.Errorf("stdout in a preview = %v, want unknown", resp.Properties.Get("stdout"))
	}
}

func TestLocalCommandFailureCarriesStderrWithoutSecrets(t *testing.T) {
	s := newServer(t)
	env := property.New(map[string]property.Value{"TOKEN": property.New("s3cr3t-value").WithSecret(true)})
	_, err := s.Create(p.CreateRequest{Urn: localURN, Properties: property.NewMap(map[string]property.Value{
		"create":      str("echo \"bad token $TOKEN\" >&2; exit 3"),
		"environment": env,
	})})
	if err == nil {
		t.Fatal("a command exiting 3 did not fail the create")
	}
	msg := err.Error()
	if !strings.Contains(msg, "exit status 3") || !strings.Contains(msg, "bad token "+Placeholder) {
		t.Errorf("error %q lacks the exit status or the redacted stderr", msg)
	}
	if strings.Contains(msg, "s3cr3t-value") {
		t.Errorf("error %q shows the secret", msg)
	}
}

func TestLocalCommandOutputsOfSecretInputsAreSecret(t *testing.T) {
	s := newServer(t)
	resp, err := s.Create(p.CreateRequest{Urn: localURN, Properties: property.NewMap(map[string]property.Value{
		"create": str("cat"),
		"stdin":  property.New("top-secret").WithSecret(true),
	})})
	if err != nil {
		t.Fatal(err)
	}
	out := resp.Properties.Get("stdout")
	if !out.Secret() || out.AsString() != "top-secret" {
		t.Errorf("stdout = %v, want the secret top-secret", out)
	}
	if !resp.Properties.Get("stdin").Secret() {
		t.Error("stdin lost its secretness in the state")
	}
}

func TestLocalCommandDeleteUsesStoredInputs(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "deleted")
	s := newServer(t)
	inputs := property.NewMap(map[string]property.Value{
		"create": str("true"), "delete": str("echo gone-$X > " + marker),
		"environment": strMap(map[string]string{"X": "stored"}),
	})
	created, err := s.Create(p.CreateRequest{Urn: localURN, Properties: inputs})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(p.DeleteRequest{Urn: localURN, ID: created.ID, Properties: created.Properties}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(marker); string(got) != "gone-stored\n" {
		t.Errorf("delete wrote %q", got)
	}
}

func TestLocalCommandTriggersReplace(t *testing.T) {
	s := newServer(t)
	olds := map[string]property.Value{"create": str("true"), "triggers": property.New([]property.Value{str("a")})}
	created, err := s.Create(p.CreateRequest{Urn: localURN, Properties: property.NewMap(olds)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		news        map[string]property.Value
		wantReplace bool
		wantChanges bool
	}{
		{"same inputs", olds, false, false},
		{"triggers changed", map[string]property.Value{"create": str("true"), "triggers": property.New([]property.Value{str("b")})}, true, true},
		{"create changed", map[string]property.Value{"create": str("false"), "triggers": property.New([]property.Value{str("a")})}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := s.Diff(p.DiffRequest{
				Urn: localURN, ID: created.ID, State: created.Properties,
				OldInputs: property.NewMap(olds), Inputs: property.NewMap(tt.news),
			})
			if err != nil {
				t.Fatal(err)
			}
			replace := false
			for _, pd := range d.DetailedDiff {
				replace = replace || pd.Kind == p.UpdateReplace || pd.Kind == p.AddReplace || pd.Kind == p.DeleteReplace
			}
			if d.HasChanges != tt.wantChanges || replace != tt.wantReplace {
				t.Errorf("changes=%v replace=%v, want %v %v (%v)", d.HasChanges, replace, tt.wantChanges, tt.wantReplace, d.DetailedDiff)
			}
		})
	}
}

func TestLocalCommandCollectsAssets(t *testing.T) {
	dir := t.TempDir()
	s := newServer(t)
	resp, err := s.Create(p.CreateRequest{Urn: localURN, Properties: property.NewMap(map[string]property.Value{
		"create":       str("mkdir -p out/sub && echo a > out/a.txt && echo b > out/sub/b.txt && echo c > out/c.log"),
		"dir":          str(dir),
		"assetPaths":   property.New([]property.Value{str("out/**/*.txt")}),
		"archivePaths": property.New([]property.Value{str("out/**"), str("!out/*.log")}),
	})})
	if err != nil {
		t.Fatal(err)
	}
	// On the wire an asset is an object carrying the asset signature; either form is an asset.
	assets := resp.Properties.Get("assets").AsMap()
	for _, name := range []string{"out/a.txt", "out/sub/b.txt"} {
		if got := assetPath(assets.Get(name)); got != filepath.Join(dir, name) {
			t.Errorf("assets[%s] has path %q", name, got)
		}
	}
	if assets.Len() != 2 {
		t.Errorf("assets = %v", assets)
	}
	members := archiveMembers(resp.Properties.Get("archive"))
	if !reflect.DeepEqual(members, []string{"out/a.txt", "out/sub/b.txt"}) {
		t.Errorf("archive members = %v", members)
	}
}

func assetPath(v property.Value) string {
	switch {
	case v.IsAsset():
		return v.AsAsset().Path
	case v.IsMap() && v.AsMap().Get(sig.Key).IsString() && v.AsMap().Get(sig.Key).AsString() == asset.AssetSig:
		return v.AsMap().Get("path").AsString()
	}
	return ""
}

func archiveMembers(v property.Value) []string {
	var names []string
	switch {
	case v.IsArchive():
		for name := range v.AsArchive().Assets {
			names = append(names, name)
		}
	case v.IsMap() && v.AsMap().Get(sig.Key).IsString() && v.AsMap().Get(sig.Key).AsString() == archive.ArchiveSig:
		for name := range v.AsMap().Get("assets").AsMap().All {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func TestLocalCommandUpdateLogsOutputEqualToASecretPreviousOutput(t *testing.T) {
	s := newServer(t)
	inputs := func(round string) property.Map {
		return property.NewMap(map[string]property.Value{
			"create": str("echo same-text"), "stdin": property.New("stdin-" + round).WithSecret(true),
		})
	}
	created, err := s.Create(p.CreateRequest{Urn: localURN, Properties: inputs("1")})
	if err != nil {
		t.Fatal(err)
	}
	r := redactorFrom(withSecrets(context.Background(), inputs("2"), created.Properties))
	if got := r.redact("same-text"); got != "same-text" {
		t.Errorf("the previous secret stdout redacts the next run's identical line: %q", got)
	}
}
