package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// fakeSDK writes a program directory whose @pulumi/pulumi launcher prints what it was started
// with (arguments, directory, two environment variables, whether it is node's main module) and
// exits with $EXIT_CODE, after $SLEEP_MS milliseconds.
func fakeSDK(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sdk := filepath.Join(dir, "node_modules", "@pulumi", "pulumi")
	writeFile(t, filepath.Join(sdk, "package.json"), `{"name":"@pulumi/pulumi","version":"3.0.0"}`)
	writeFile(t, filepath.Join(sdk, "index.js"), `exports.loaded = true;`)
	writeFile(t, filepath.Join(sdk, "cmd", "run", "index.js"), `
const report = {
  args: process.argv.slice(2),
  cwd: process.cwd(),
  env: { RUN_ONLY: process.env.RUN_ONLY, HOST_ONLY: process.env.HOST_ONLY },
  main: require.main === module,
  sdkLoaded: Object.keys(require.cache).some((f) => f.endsWith("/@pulumi/pulumi/index.js")),
};
setTimeout(() => {
  if (process.env.REPORT_FILE) require("fs").writeFileSync(process.env.REPORT_FILE, JSON.stringify(report));
  else process.stdout.write(JSON.stringify(report));
  process.exit(Number(process.env.EXIT_CODE || 0));
}, Number(process.env.SLEEP_MS || 0));
`)
	return dir
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestWarmRun(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	cwd := t.TempDir()
	for _, tc := range []struct {
		name      string
		env       []string
		cancelAt  time.Duration
		wantResp  string // "" ok, "bail", or a substring of the error
		wantPrint bool
		wantEnv   map[string]string // of RUN_ONLY and HOST_ONLY, what the program sees
	}{
		{
			name: "the program gets the run's arguments, directory and environment only", env: []string{"RUN_ONLY=1"},
			wantPrint: true, wantEnv: map[string]string{"RUN_ONLY": "1"},
		},
		{name: "exit 32 is a bail", env: []string{"EXIT_CODE=32"}, wantResp: "bail", wantPrint: true, wantEnv: map[string]string{}},
		{
			name: "another exit code is an error", env: []string{"EXIT_CODE=3"}, wantResp: "non-zero exit code: 3",
			wantPrint: true, wantEnv: map[string]string{},
		},
		{name: "the end of the Run call stops it", env: []string{"SLEEP_MS=20000"}, cancelAt: 300 * time.Millisecond, wantResp: "cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fakeSDK(t)
			t.Setenv("HOST_ONLY", "from the host")
			var stdout, stderr lockedBuffer
			key := newWarmKey(dir, runtimeOptions{typescript: true}, runModule)
			w := startWarm(context.Background(), nodeBin, key, nil, &stdout, &stderr)
			if w == nil {
				t.Fatal("startWarm returned nil")
			}
			rpc, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelAt > 0 {
				time.AfterFunc(tc.cancelAt, cancel)
			}
			args := func(launcher string) []string { return []string{launcher, "--stack", "dev", "index.ts"} }
			resp, ok := w.runWarm(rpc, args, tc.env, cwd)
			if !ok {
				t.Fatalf("the warm process did not take the run; stderr: %s", stderr.String())
			}
			switch {
			case tc.wantResp == "" && (resp.GetError() != "" || resp.GetBail()):
				t.Fatalf("want success, got %+v (stderr %s)", resp, stderr.String())
			case tc.wantResp == "bail" && !resp.GetBail():
				t.Fatalf("want bail, got %+v", resp)
			case tc.wantResp != "" && tc.wantResp != "bail" && !strings.Contains(resp.GetError(), tc.wantResp):
				t.Fatalf("want an error with %q, got %+v", tc.wantResp, resp)
			}
			if !tc.wantPrint {
				return
			}
			var got struct {
				Args      []string          `json:"args"`
				Cwd       string            `json:"cwd"`
				Env       map[string]string `json:"env"`
				Main      bool              `json:"main"`
				SDKLoaded bool              `json:"sdkLoaded"`
			}
			if err := json.Unmarshal([]byte(stdout.String()), &got); err != nil {
				t.Fatalf("program output %q: %v", stdout.String(), err)
			}
			if !reflect.DeepEqual(got.Args, []string{"--stack", "dev", "index.ts"}) || got.Cwd != cwd ||
				!reflect.DeepEqual(got.Env, tc.wantEnv) || !got.Main || !got.SDKLoaded {
				t.Fatalf("the program saw %+v", got)
			}
		})
	}
}

func TestWarmWithoutSDKLeavesTheRunToTheColdStart(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	var out lockedBuffer
	w := startWarm(context.Background(), nodeBin, newWarmKey(t.TempDir(), runtimeOptions{}, runModule), nil, &out, &out)
	if w == nil {
		t.Fatal("startWarm returned nil")
	}
	if _, ok := w.runWarm(context.Background(), func(l string) []string { return []string{l} }, nil, t.TempDir()); ok {
		t.Fatal("a warm process without an SDK took the run")
	}
	if out.String() != "" {
		t.Fatalf("it printed %q; the cold start reports a missing SDK", out.String())
	}
}

func TestWarmSlotGivesTheProcessOnlyToItsProgram(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	dir := fakeSDK(t)
	var out lockedBuffer
	for _, tc := range []struct {
		name string
		take warmKey
		want bool
	}{
		{"same program and options", newWarmKey(dir, runtimeOptions{typescript: true}, runModule), true},
		{"another program", newWarmKey(t.TempDir(), runtimeOptions{typescript: true}, runModule), false},
		{"other node arguments", newWarmKey(dir, runtimeOptions{typescript: true, nodeargs: []string{"--inspect"}}, runModule), false},
		{"TypeScript turned off", newWarmKey(dir, runtimeOptions{}, runModule), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var slot warmSlot
			key := newWarmKey(dir, runtimeOptions{typescript: true}, runModule)
			w := startWarm(context.Background(), nodeBin, key, nil, &out, &out)
			slot.put(w)
			got := slot.take(tc.take)
			if (got != nil) != tc.want {
				t.Fatalf("take: got a process %v, want %v", got != nil, tc.want)
			}
			if slot.take(key) != nil {
				t.Fatal("the slot gave its process twice")
			}
			if got != nil {
				got.discard()
			} else {
				select {
				case <-w.done:
				case <-time.After(10 * time.Second):
					t.Fatal("the process nobody took is still running")
				}
			}
		})
	}
}

// The host's own path: the process GetRequiredPackages starts is the one Run uses. The fake launcher
// finds the SDK already loaded only when it runs in that process (a cold start loads nothing first).
func TestRunTakesTheProcessGetRequiredPackagesStarted(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	for _, tc := range []struct {
		name       string
		warmstart  bool
		wantLoaded bool
	}{
		{"warm start on (the default)", true, true},
		{"warmstart: false", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fakeSDK(t)
			report := filepath.Join(t.TempDir(), "report.json")
			t.Setenv("REPORT_FILE", report)
			opts := map[string]any{}
			if !tc.warmstart {
				opts["warmstart"] = false
			}
			options, err := structpb.NewStruct(opts)
			if err != nil {
				t.Fatal(err)
			}
			info := &pulumirpc.ProgramInfo{RootDirectory: dir, ProgramDirectory: dir, EntryPoint: ".", Options: options}
			host := newHost(context.Background(), "127.0.0.1:1", "")
			defer host.cancelAll()
			if _, err := host.GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{Info: info}); err != nil {
				t.Fatal(err)
			}
			resp, err := host.Run(context.Background(), &pulumirpc.RunRequest{Info: info, MonitorAddress: "127.0.0.1:2", Stack: "dev"})
			if err != nil || resp.GetError() != "" || resp.GetBail() {
				t.Fatalf("Run: %v %+v", err, resp)
			}
			raw, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				SDKLoaded bool `json:"sdkLoaded"`
				Main      bool `json:"main"`
			}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if got.SDKLoaded != tc.wantLoaded || !got.Main {
				t.Fatalf("the launcher saw %+v, want SDK loaded before it = %v", got, tc.wantLoaded)
			}
		})
	}
}
