package main

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestInstallCommand(t *testing.T) {
	withLock := t.TempDir()
	writeFile(t, filepath.Join(withLock, "package-lock.json"), "{}")
	noLock := t.TempDir()
	cases := []struct {
		pm, dir           string
		production, fresh bool
		want              []string
	}{
		{"npm", withLock, false, true, []string{"npm", "ci", "--no-audit", "--no-fund"}},
		{"npm", withLock, true, true, []string{"npm", "ci", "--no-audit", "--no-fund", "--omit=dev"}},
		// Completing an existing tree: the lock file is behind package.json, npm ci would refuse.
		{"npm", withLock, false, false, []string{"npm", "install", "--no-audit", "--no-fund"}},
		{"npm", noLock, false, true, []string{"npm", "install", "--no-audit", "--no-fund"}},
		{"yarn", noLock, true, true, []string{"yarn", "install", "--production"}},
		{"pnpm", noLock, true, true, []string{"pnpm", "install", "--prod"}},
		{"bun", noLock, false, true, []string{"bun", "install"}},
	}
	for _, c := range cases {
		if got := installCommand(c.pm, c.dir, c.production, c.fresh); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s production=%v: got %q, want %q", c.pm, c.production, got, c.want)
		}
	}
}

func TestInstallDirFindsTheWorkspaceRoot(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, filepath.Join(ws, "package.json"), `{"name":"ws","workspaces":{"packages":["stacks/*"]}}`)
	member := filepath.Join(ws, "stacks", "infra")
	writeFile(t, filepath.Join(member, "package.json"), `{"name":"infra"}`)
	if got, err := installDir(filepath.Join(member, "src")); err != nil || got != ws {
		t.Fatalf("member of a workspace: got %q, %v; want %q", got, err, ws)
	}

	// A project that is not one of the workspace's members installs in its own directory.
	other := filepath.Join(ws, "tools", "pack")
	writeFile(t, filepath.Join(other, "package.json"), `{"name":"pack"}`)
	if got, err := installDir(other); err != nil || got != other {
		t.Fatalf("non-member: got %q, %v; want %q", got, err, other)
	}

	if _, err := installDir(t.TempDir()); err == nil {
		t.Fatal("no package.json: want an error")
	}
}

func TestMissingDependencies(t *testing.T) {
	root := fakeProject(t)
	writeFile(t, filepath.Join(root, "package.json"), `{"name":"app",
		"dependencies":{"@pulumi/pulumi":"3.276.0","@acme/local-sdk":"file:sdks/local"},
		"devDependencies":{"typescript":"5.9.3","vitest":"1.0.0"}}`)
	got, err := missingDependencies(root, false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []string{"@acme/local-sdk", "vitest"}) {
		t.Fatalf("got %v", got)
	}
	// Production installs do not need devDependencies.
	if got, _ := missingDependencies(root, true); !reflect.DeepEqual(got, []string{"@acme/local-sdk"}) {
		t.Fatalf("production: got %v", got)
	}
}
