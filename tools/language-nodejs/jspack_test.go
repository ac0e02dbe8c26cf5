package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestJSPackArgs(t *testing.T) {
	got := jsPackArgs([]string{"--inspect=0"}, "/sdk/cmd/run-policy-pack/index.js", "/packs/p", []string{"127.0.0.1:5"})
	want := []string{"--inspect=0", "-e", jsPackLauncher, "/sdk/cmd/run-policy-pack/run.js", "127.0.0.1:5", "/packs/p"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// An SDK stand-in: a runner that reports what it was handed and then uses the TypeScript shim,
// and a shim shaped like the SDK's (the installed compiler, else a vendored one).
const (
	fakeShim = `try { module.exports = require("typescript"); } catch { module.exports = { version: "vendored" }; }
`
	fakeCompiler = `process.stdout.write("compiler loaded\n");
module.exports = { version: "5.9.3" };
`
)

func TestJSPackLauncher(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	// The SDK's argument parser, as the SDK itself gets it installed.
	minimist, err := filepath.Abs(filepath.Join("..", "..", "node_modules", "minimist"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(minimist, "index.js")); err != nil {
		t.Skip("node_modules/minimist is missing: run npm ci at the repository root")
	}
	engine := []string{"127.0.0.1:5"}
	tests := []struct {
		name       string
		runner     string
		compiler   bool
		pluginArgs []string
		wantOut    string
		wantCode   int
		wantError  string
	}{
		{
			name: "hands over the pack directory with TypeScript off, and loads the compiler only when used",
			runner: `exports.run = async (opts) => {
  const ts = require("../../typescript-shim.js");
  console.log(JSON.stringify({ argv: opts.argv, typeScript: opts.typeScript }));
  console.log("shim required");
  console.log("version " + ts.version);
};`,
			compiler: true,
			wantOut:  `{"argv":{"_":["/packs/p"]},"typeScript":false}` + "\nshim required\ncompiler loaded\nversion 5.9.3\n",
		},
		{
			name: "without an installed compiler the shim falls back as before",
			runner: `exports.run = async () => {
  console.log("version " + require("../../typescript-shim.js").version);
};`,
			wantOut: "version vendored\n",
		},
		{
			name: "the engine's own flags before its address are parsed, as run-policy-pack does",
			runner: `exports.run = async (opts) => {
  console.log(JSON.stringify({ program: opts.argv._, v: opts.argv.v, tracing: opts.argv.tracing }));
};`,
			pluginArgs: []string{"--logtostderr", "-v=9", "--tracing", "http://127.0.0.1:9/t", "127.0.0.1:5"},
			wantOut:    `{"program":["/packs/p"],"v":9,"tracing":"http://127.0.0.1:9/t"}` + "\n",
		},
		{
			name:      "an error the pack did not report fails the process with 1 and is printed",
			runner:    `exports.run = async () => { throw new Error("the pack broke"); };`,
			wantCode:  1,
			wantError: "the pack broke",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sdk := filepath.Join(t.TempDir(), "node_modules", "@pulumi", "pulumi")
			launcher := filepath.Join(sdk, "cmd", "run-policy-pack", "index.js")
			writeFile(t, launcher, "throw new Error('the launcher itself must not run');\n")
			writeFile(t, jsPackRunner(launcher), tt.runner)
			writeFile(t, filepath.Join(sdk, "typescript-shim.js"), fakeShim)
			if err := os.Symlink(minimist, filepath.Join(sdk, "..", "..", "minimist")); err != nil {
				t.Fatal(err)
			}
			if tt.compiler {
				writeFile(t, filepath.Join(sdk, "..", "..", "typescript", "index.js"), fakeCompiler)
			}
			args := tt.pluginArgs
			if args == nil {
				args = engine
			}
			cmd := exec.Command(nodeBin, jsPackArgs(nil, launcher, "/packs/p", args)...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			if tt.wantOut != "" && string(out) != tt.wantOut {
				t.Fatalf("stdout %q, want %q; stderr: %s", out, tt.wantOut, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantError) {
				t.Fatalf("stderr %q does not say %q", stderr.String(), tt.wantError)
			}
		})
	}
}
