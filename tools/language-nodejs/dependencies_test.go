package main

import (
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func depInfos(deps []*pulumirpc.DependencyInfo) []string {
	var out []string
	for _, d := range deps {
		out = append(out, d.Name+"@"+d.Version)
	}
	return out
}

func TestProgramDependenciesDirect(t *testing.T) {
	root := fakeProject(t)
	writeFile(t, filepath.Join(root, "package.json"), `{"name":"app",
		"dependencies":{"@pulumi/pulumi":"^3.0.0","@pulumi/kubernetes":"4.34.2","not-installed":"^1.2.0"},
		"devDependencies":{"typescript":"5.9.3"}}`)
	// The program's main lives below the package.json: the nearest one above governs.
	deps, err := programDependencies(filepath.Join(root, "src"), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"@pulumi/kubernetes@4.34.2",
		"@pulumi/pulumi@3.276.0", // installed version, not the range
		"not-installed@^1.2.0",   // declared range when missing
		"typescript@5.9.3",
	}
	if got := depInfos(deps); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestProgramDependenciesTransitive(t *testing.T) {
	root := fakeProject(t)
	deps, err := programDependencies(root, true)
	if err != nil {
		t.Fatal(err)
	}
	got := depInfos(deps)
	for _, want := range []string{"@pulumi/command@1.2.1", "@pulumi/github@6.15.0", "@pulumi/kubernetes@4.34.2", "zod@4.1.12"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %s in %v", want, got)
		}
	}
	if slices.Contains(got, "@") {
		t.Errorf("a nameless sub-folder package.json was listed: %v", got)
	}
}

func TestProgramDependenciesWithoutPackageJSON(t *testing.T) {
	if _, err := programDependencies(t.TempDir(), false); err == nil {
		t.Fatal("want an error when there is no package.json")
	}
}
