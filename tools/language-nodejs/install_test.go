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
		pm, dir    string
		production bool
		want       []string
	}{
		{"npm", withLock, false, []string{"npm", "ci", "--no-audit", "--no-fund"}},
		{"npm", withLock, true, []string{"npm", "ci", "--no-audit", "--no-fund", "--omit=dev"}},
		{"npm", noLock, false, []string{"npm", "install", "--no-audit", "--no-fund"}},
		{"yarn", noLock, true, []string{"yarn", "install", "--production"}},
		{"pnpm", noLock, true, []string{"pnpm", "install", "--prod"}},
		{"bun", noLock, false, []string{"bun", "install"}},
	}
	for _, c := range cases {
		if got := installCommand(c.pm, c.dir, c.production); !reflect.DeepEqual(got, c.want) {
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
