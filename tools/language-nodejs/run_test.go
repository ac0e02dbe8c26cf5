package main

import (
	"encoding/json"
	"errors"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestBuildRunArgsFullRequest(t *testing.T) {
	got := buildRunArgs([]string{"--max-old-space-size=4096"}, "/p/node_modules/@pulumi/pulumi/cmd/run/index.js", runParams{
		monitor:       "127.0.0.1:1",
		engine:        "127.0.0.1:2",
		organization:  "acme",
		project:       "cicd-platform",
		rootDirectory: "/p",
		stack:         "local",
		pwd:           "/p",
		tracing:       "http://127.0.0.1:9411",
		dryRun:        true,
		parallel:      16,
		entryPoint:    "index.ts",
		programArgs:   []string{"--extra", "x"},
	})
	want := []string{
		"--max-old-space-size=4096",
		"/p/node_modules/@pulumi/pulumi/cmd/run/index.js",
		"--monitor", "127.0.0.1:1",
		"--engine", "127.0.0.1:2",
		"--organization", "acme",
		"--project", "cicd-platform",
		"--root-directory", "/p",
		"--stack", "local",
		"--pwd", "/p",
		"--dry-run",
		"--parallel", "16",
		"--tracing", "http://127.0.0.1:9411",
		"index.ts",
		"--extra", "x",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestBuildRunArgsMinimal(t *testing.T) {
	// Empty values are left out entirely: minimist would otherwise take the next argument
	// (possibly the entry point) as the flag's value. No --dry-run on an update, no --parallel 0.
	got := buildRunArgs(nil, "run.js", runParams{monitor: "m", pwd: "/p"})
	want := []string{"run.js", "--monitor", "m", "--pwd", "/p", "."}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, a := range got {
		if a == "--query-mode" || a == "--dry-run" {
			t.Fatalf("unexpected flag %s in %q", a, got)
		}
	}
}

func TestConfigJSONUsesTheFormEverySDKReads(t *testing.T) {
	got, err := configJSON(map[string]string{
		"cicd-platform:environment": "local",
		"kubernetes:context":        "kind",
		"aws:config:region":         "eu-west-1", // already in the old form: stays in it
	})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(got), &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"cicd-platform:config:environment": "local",
		"kubernetes:config:context":        "kind",
		"aws:config:region":                "eu-west-1",
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %v, want %v", m, want)
	}
	if _, err := configJSON(map[string]string{"no-namespace": "x"}); err == nil {
		t.Fatal("a key without namespace must be rejected")
	}
	if got, _ := configJSON(nil); got != "{}" {
		t.Fatalf("empty config: got %s", got)
	}
}

func TestSecretKeysJSON(t *testing.T) {
	if got, _ := secretKeysJSON(nil); got != "[]" {
		t.Fatalf("nil keys must be an empty JSON array, got %s", got)
	}
	if got, _ := secretKeysJSON([]string{"proj:token"}); got != `["proj:token"]` {
		t.Fatalf("got %s", got)
	}
}

func TestRunEnv(t *testing.T) {
	env, err := runEnv([]string{"PATH=/usr/bin"}, map[string]string{"p:a": "1"}, []string{"p:a"},
		runtimeOptions{typescript: true, tsconfig: "tsconfig.pulumi.json"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"PATH=/usr/bin",
		`PULUMI_CONFIG={"p:config:a":"1"}`,
		`PULUMI_CONFIG_SECRET_KEYS=["p:a"]`,
		"PULUMI_NODEJS_TYPESCRIPT=true",
		"PULUMI_NODEJS_TSCONFIG_PATH=tsconfig.pulumi.json",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("missing %s in %q", want, env)
		}
	}
	env, _ = runEnv(nil, nil, nil, runtimeOptions{typescript: false})
	for _, e := range env {
		if strings.HasPrefix(e, "PULUMI_NODEJS_TYPESCRIPT") {
			t.Fatalf("typescript: false must not set %s", e)
		}
	}
}

// exitError runs a real process that exits with code so that runResult sees a genuine
// *exec.ExitError.
func exitError(t *testing.T, code string) error {
	t.Helper()
	err := exec.Command("sh", "-c", "exit "+code).Run()
	if err == nil {
		t.Fatal("expected a failing command")
	}
	return err
}

func TestRunResult(t *testing.T) {
	if r := runResult(nil, false, false); r.Error != "" || r.Bail {
		t.Fatalf("success: %+v", r)
	}
	if r := runResult(exitError(t, "32"), false, false); !r.Bail || r.Error != "" {
		t.Fatalf("exit 32 must bail without a second message: %+v", r)
	}
	if r := runResult(exitError(t, "3"), false, false); r.Error != "Program exited with non-zero exit code: 3" {
		t.Fatalf("exit 3: %+v", r)
	}
	if r := runResult(exitError(t, "134"), false, true); !strings.Contains(r.Error, "--max-old-space-size") {
		t.Fatalf("out of memory must give advice: %+v", r)
	}
	if r := runResult(exitError(t, "2"), true, false); r.Error != "the program was cancelled" {
		t.Fatalf("cancelled: %+v", r)
	}
	if r := runResult(errors.New("exec: no such file"), false, false); !strings.HasPrefix(r.Error, "could not run node") {
		t.Fatalf("start failure: %+v", r)
	}
}

func TestMarkerWriterFindsSplitMarker(t *testing.T) {
	var sink strings.Builder
	w := newMarkerWriter(&sink, oomMarkers...)
	_, _ = w.Write([]byte("some output\n<--- Last few"))
	if w.Found() {
		t.Fatal("found too early")
	}
	_, _ = w.Write([]byte(" GCs --->\n"))
	if !w.Found() {
		t.Fatal("marker split across writes not found")
	}
	if sink.String() != "some output\n<--- Last few GCs --->\n" {
		t.Fatalf("output must pass through unchanged: %q", sink.String())
	}
}
