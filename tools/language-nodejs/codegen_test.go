package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestImportName(t *testing.T) {
	for in, want := range map[string]string{
		"@pulumi/gitlab":       "gitlab",
		"@acme/my-provider":    "myProvider",
		"plain_name.js":        "plainNameJs",
		"@cicd-platform/proof": "proof",
	} {
		if got := importName(in); got != want {
			t.Errorf("importName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	if err := writeFiles(dir, map[string][]byte{"index.ts": []byte("x"), "types/input.ts": []byte("y")}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "types", "input.ts")); err != nil || string(b) != "y" {
		t.Fatalf("nested file: %q %v", b, err)
	}
	if err := writeFiles(dir, map[string][]byte{"../escape.ts": []byte("z")}); err == nil {
		t.Fatal("a file outside the directory must be refused")
	}
}
