package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveInstalledAgreesWithNode(t *testing.T) {
	nodeBin, nodeErr := exec.LookPath("node")
	root := t.TempDir()
	// A project with a nested program directory, a scoped package with a directory subpath, a
	// plain package with a file subpath, one with an exports map, one whose subpath directory has
	// its own package.json, one where X.js and the directory X both exist, and a symlinked one.
	nm := filepath.Join(root, "node_modules")
	writeFile(t, filepath.Join(nm, "@pulumi", "pulumi", "package.json"), `{"name":"@pulumi/pulumi"}`)
	writeFile(t, filepath.Join(nm, "@pulumi", "pulumi", "cmd", "run", "index.js"), "")
	writeFile(t, filepath.Join(nm, "plain", "package.json"), `{"name":"plain"}`)
	writeFile(t, filepath.Join(nm, "plain", "lib", "tool.js"), "")
	writeFile(t, filepath.Join(nm, "mapped", "package.json"), `{"name":"mapped","exports":{"./x":"./lib/x.js"}}`)
	writeFile(t, filepath.Join(nm, "mapped", "lib", "x.js"), "")
	writeFile(t, filepath.Join(nm, "withmain", "package.json"), `{"name":"withmain"}`)
	writeFile(t, filepath.Join(nm, "withmain", "sub", "package.json"), `{"main":"entry.js"}`)
	writeFile(t, filepath.Join(nm, "withmain", "sub", "entry.js"), "")
	writeFile(t, filepath.Join(nm, "both", "package.json"), `{"name":"both"}`)
	writeFile(t, filepath.Join(nm, "both", "x.js"), "")
	writeFile(t, filepath.Join(nm, "both", "x", "index.js"), "")
	elsewhere := t.TempDir()
	writeFile(t, filepath.Join(elsewhere, "linked", "package.json"), `{"name":"linked"}`)
	writeFile(t, filepath.Join(elsewhere, "linked", "run.js"), "")
	if err := os.Symlink(filepath.Join(elsewhere, "linked"), filepath.Join(nm, "linked")); err != nil {
		t.Fatal(err)
	}
	program := filepath.Join(root, "apps", "release")
	if err := os.MkdirAll(program, 0o755); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		module string
		wantOK bool
	}{
		{"@pulumi/pulumi/cmd/run", true},
		{"plain/lib/tool", true},
		{"plain/lib/tool.js", true},
		{"both/x", true},
		{"linked/run", true},
		{"mapped/x", false},     // exports maps are node's to read
		{"withmain/sub", false}, // so is a subpath's own main
		{"plain", false},        // a package's own main too
		{"absent/thing", false}, // node words the error
		{"./local", false},      // relative: not a package
		{"@pulumi/pulumi/nope", false},
	} {
		t.Run(tc.module, func(t *testing.T) {
			got, ok := resolveInstalled(program, tc.module)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v (%q), want %v", ok, got, tc.wantOK)
			}
			if !ok {
				return
			}
			if nodeErr != nil {
				t.Skip("node is not on PATH: the path is not compared with node's")
			}
			cmd := exec.Command(nodeBin, "-e", "process.stdout.write(require.resolve(process.argv[1]))", tc.module)
			cmd.Dir = program
			want, err := cmd.Output()
			if err != nil {
				t.Fatalf("node could not resolve it: %v", err)
			}
			if got != strings.TrimSpace(string(want)) {
				t.Fatalf("got %s, node resolves %s", got, want)
			}
		})
	}
}
