package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func manifest(t *testing.T, js string) *packageManifest {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "package.json"), js)
	m, err := readManifest(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPluginPackageConventions(t *testing.T) {
	cases := []struct {
		name, js                string
		wantName, wantVersion   string
		wantServer              string
		wantNone, wantDeclError bool
	}{
		{
			name:     "current convention with name and version (@pulumi/github 6.15.0)",
			js:       `{"name":"@pulumi/github","version":"6.15.0","pulumi":{"resource":true,"name":"github","version":"6.15.0"}}`,
			wantName: "github", wantVersion: "v6.15.0",
		},
		{
			name:     "pulumi field wins over the legacy script (@pulumi/kubernetes 4.34.2)",
			js:       `{"name":"@pulumi/kubernetes","version":"4.34.2","scripts":{"install":"node scripts/install-pulumi-plugin.js resource kubernetes 4.34.2"},"pulumi":{"resource":true,"name":"kubernetes","version":"4.34.2"}}`,
			wantName: "kubernetes", wantVersion: "v4.34.2",
		},
		{
			name:     "name and version derived from an @pulumi package",
			js:       `{"name":"@pulumi/random","version":"4.16.0","pulumi":{"resource":true}}`,
			wantName: "random", wantVersion: "v4.16.0",
		},
		{
			name:     "third-party package with a download server",
			js:       `{"name":"@acme/thing","version":"1.0.0","pulumi":{"resource":true,"name":"thing","version":"v0.9.1","server":"https://example.invalid/plugins"}}`,
			wantName: "thing", wantVersion: "v0.9.1", wantServer: "https://example.invalid/plugins",
		},
		{
			name:     "legacy install script only",
			js:       `{"name":"@pulumi/command","version":"0.0.1-old","scripts":{"install":"node scripts/install-pulumi-plugin.js resource command v0.9.2"}}`,
			wantName: "command", wantVersion: "v0.9.2",
		},
		{name: "the core SDK is not a provider", js: `{"name":"@pulumi/pulumi","version":"3.276.0","pulumi":{"comment":"Do not remove."}}`, wantNone: true},
		{name: "resource false", js: `{"name":"@pulumi/x","version":"1.0.0","pulumi":{"resource":false}}`, wantNone: true},
		{name: "ordinary package", js: `{"name":"zod","version":"4.1.12"}`, wantNone: true},
		{name: "third party without plugin name", js: `{"name":"acme-thing","version":"1.0.0","pulumi":{"resource":true}}`, wantDeclError: true},
		{name: "unstamped generated SDK", js: `{"name":"@pulumi/gitlab","version":"${VERSION}","pulumi":{"resource":true,"name":"gitlab"}}`, wantDeclError: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dep, err := pluginPackage(manifest(t, c.js))
			switch {
			case c.wantDeclError:
				if !errors.Is(err, errPluginDeclaration) {
					t.Fatalf("want a declaration error, got dep=%v err=%v", dep, err)
				}
			case err != nil:
				t.Fatal(err)
			case c.wantNone:
				if dep != nil {
					t.Fatalf("want no plugin, got %v", dep)
				}
			default:
				if dep == nil || dep.Name != c.wantName || dep.Version != c.wantVersion ||
					dep.Server != c.wantServer || dep.Kind != "resource" {
					t.Fatalf("got %v", dep)
				}
			}
		})
	}
}

func TestPluginPackageParameterization(t *testing.T) {
	dep, err := pluginPackage(manifest(t, `{"name":"@acme/tf-foo","version":"0.1.0","pulumi":{"resource":true,
		"name":"terraform-provider","version":"0.8.0",
		"parameterization":{"name":"foo","version":"0.1.0","value":"eyJ4IjoxfQ=="}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if dep.Parameterization == nil || dep.Parameterization.Name != "foo" ||
		string(dep.Parameterization.Value) != `{"x":1}` {
		t.Fatalf("parameterization not carried over: %v", dep)
	}
}

// fakeProject lays out a project like the ones npm, workspaces and pnpm produce.
func fakeProject(t *testing.T) string {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "package-lock.json"), "{}")
	writeFile(t, filepath.Join(root, "package.json"), `{"name":"app","dependencies":{"@pulumi/pulumi":"3.276.0","@pulumi/kubernetes":"4.34.2","zod":"4.1.12"},"devDependencies":{"typescript":"5.9.3"}}`)
	nm := filepath.Join(root, "node_modules")
	writeFile(t, filepath.Join(nm, "@pulumi/pulumi/package.json"), `{"name":"@pulumi/pulumi","version":"3.276.0","pulumi":{"comment":"x"}}`)
	writeFile(t, filepath.Join(nm, "@pulumi/kubernetes/package.json"), `{"name":"@pulumi/kubernetes","version":"4.34.2","pulumi":{"resource":true,"name":"kubernetes","version":"4.34.2"}}`)
	// A sub-folder package.json (module type marker) must not confuse anything.
	writeFile(t, filepath.Join(nm, "@pulumi/kubernetes/esm/package.json"), `{"type":"module"}`)
	writeFile(t, filepath.Join(nm, "zod/package.json"), `{"name":"zod","version":"4.1.12"}`)
	writeFile(t, filepath.Join(nm, "typescript/package.json"), `{"name":"typescript","version":"5.9.3"}`)
	// Nested copy at another version (npm does this on version conflicts).
	writeFile(t, filepath.Join(nm, "zod/node_modules/@pulumi/command/package.json"), `{"name":"@pulumi/command","version":"1.2.1","scripts":{"install":"node scripts/install-pulumi-plugin.js resource command 1.2.1"},"pulumi":{"resource":true,"name":"command","version":"1.2.1"}}`)
	// The same kubernetes SDK twice: one plugin.
	writeFile(t, filepath.Join(nm, "zod/node_modules/@pulumi/kubernetes/package.json"), `{"name":"@pulumi/kubernetes","version":"4.34.2","pulumi":{"resource":true,"name":"kubernetes","version":"4.34.2"}}`)
	// pnpm store layout.
	writeFile(t, filepath.Join(nm, ".pnpm/@pulumi+github@6.15.0/node_modules/@pulumi/github/package.json"), `{"name":"@pulumi/github","version":"6.15.0","pulumi":{"resource":true,"name":"github","version":"6.15.0"}}`)
	// Binaries are never packages.
	writeFile(t, filepath.Join(nm, ".bin/tsc"), "#!/bin/sh\n")
	// A broken package.json is reported, the scan goes on.
	writeFile(t, filepath.Join(nm, "broken/package.json"), `{"name":`)
	return root
}

func depNames(deps []*pulumirpc.PackageDependency) []string {
	var out []string
	for _, d := range deps {
		out = append(out, d.Name+"@"+d.Version)
	}
	return out
}

func TestRequiredPackagesScansNodeModules(t *testing.T) {
	root := fakeProject(t)
	deps, errs := requiredPackages(root, root)
	want := []string{"command@v1.2.1", "github@v6.15.0", "kubernetes@v4.34.2"}
	if got := depNames(deps); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if len(errs) != 1 {
		t.Fatalf("want exactly the broken package.json reported, got %v", errs)
	}
}

func TestRequiredPackagesFollowsSymlinksOnce(t *testing.T) {
	root := fakeProject(t)
	// A linked local SDK (npm link / file: dependency) and a link cycle back to node_modules.
	sdk := filepath.Join(t.TempDir(), "gitlab-sdk")
	writeFile(t, filepath.Join(sdk, "package.json"), `{"name":"@pulumi/gitlab","version":"10.1.1","pulumi":{"resource":true,"name":"gitlab","version":"10.1.1"}}`)
	if err := os.Symlink(sdk, filepath.Join(root, "node_modules/@pulumi/gitlab")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(sdk, "node_modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "node_modules"), filepath.Join(sdk, "node_modules/loop")); err != nil {
		t.Fatal(err)
	}
	deps, _ := requiredPackages(root, root)
	want := []string{"command@v1.2.1", "github@v6.15.0", "gitlab@v10.1.1", "kubernetes@v4.34.2"}
	if got := depNames(deps); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestNodeModulesRootsStopsAtThePackageRoot(t *testing.T) {
	outer := t.TempDir()
	// A node_modules above the project's root must not count...
	writeFile(t, filepath.Join(outer, "node_modules/@pulumi/aws/package.json"), `{"name":"@pulumi/aws","version":"7.0.0","pulumi":{"resource":true}}`)
	// ...and the workspace root's (hoisted) node_modules must.
	ws := filepath.Join(outer, "repo")
	writeFile(t, filepath.Join(ws, "package.json"), `{"name":"ws","workspaces":["infra"]}`)
	writeFile(t, filepath.Join(ws, "node_modules/@pulumi/command/package.json"), `{"name":"@pulumi/command","version":"1.2.1","pulumi":{"resource":true}}`)
	program := filepath.Join(ws, "infra")
	writeFile(t, filepath.Join(program, "package.json"), `{"name":"infra"}`)

	deps, _ := requiredPackages(program, program)
	if got := depNames(deps); !reflect.DeepEqual(got, []string{"command@v1.2.1"}) {
		t.Fatalf("got %v", got)
	}

	// Without any lock file or workspace above, only the program's own directory counts.
	lone := filepath.Join(outer, "lone")
	writeFile(t, filepath.Join(lone, "node_modules/zod/package.json"), `{"name":"zod","version":"1.0.0"}`)
	if roots := nodeModulesRoots(lone, lone); !reflect.DeepEqual(roots, []string{filepath.Join(lone, "node_modules")}) {
		t.Fatalf("got %v", roots)
	}
}
