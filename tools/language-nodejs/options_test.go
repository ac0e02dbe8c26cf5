package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseRuntimeOptionsDefaults(t *testing.T) {
	opts, err := parseRuntimeOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	// TypeScript is on unless the project turns it off, as in upstream Pulumi.
	if !opts.typescript || opts.packageManager != "auto" || opts.nodeargs != nil || opts.production || !opts.warmStart {
		t.Fatalf("unexpected defaults: %+v", opts)
	}
}

func TestParseRuntimeOptionsAll(t *testing.T) {
	opts, err := parseRuntimeOptions(map[string]any{
		"typescript":     false,
		"tsconfig":       "tsconfig.pulumi.json",
		"nodeargs":       `--max-old-space-size=4096 --title "my program"`,
		"packagemanager": "pnpm",
		"production":     true,
		"warmstart":      false,
		"somethingNewer": 42, // unknown options are ignored
	})
	if err != nil {
		t.Fatal(err)
	}
	want := runtimeOptions{
		typescript:     false,
		tsconfig:       "tsconfig.pulumi.json",
		nodeargs:       []string{"--max-old-space-size=4096", "--title", "my program"},
		packageManager: "pnpm",
		production:     true,
	}
	if !reflect.DeepEqual(opts, want) {
		t.Fatalf("got %+v, want %+v", opts, want)
	}
}

func TestParseRuntimeOptionsRejectsWrongTypes(t *testing.T) {
	for _, raw := range []map[string]any{
		{"typescript": "yes"},
		{"tsconfig": 1},
		{"nodeargs": []any{"--x"}},
		{"nodeargs": `"unterminated`},
		{"packagemanager": "cargo"},
		{"production": "true"},
		{"warmstart": "no"},
	} {
		if _, err := parseRuntimeOptions(raw); err == nil {
			t.Errorf("%v: expected an error", raw)
		}
	}
}

func TestChoosePackageManager(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "packages", "infra")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := choosePackageManager("auto", sub); got != "npm" {
		t.Errorf("no lock file: got %s, want npm", got)
	}
	writeFile(t, filepath.Join(root, "pnpm-lock.yaml"), "")
	if got := choosePackageManager("", sub); got != "pnpm" {
		t.Errorf("pnpm lock above: got %s, want pnpm", got)
	}
	if got := choosePackageManager("yarn", sub); got != "yarn" {
		t.Errorf("explicit option must win: got %s", got)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
