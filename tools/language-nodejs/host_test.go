package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// startHost serves a nodeHost over real gRPC on loopback, as the engine would talk to it.
func startHost(t *testing.T) (pulumirpc.LanguageRuntimeClient, *nodeHost) {
	t.Helper()
	host := newHost(context.Background(), "127.0.0.1:1", "")
	cancel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(
		"127.0.0.1:"+strconv.Itoa(handle.Port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		host.cancelAll()
		conn.Close()
		close(cancel)
		<-handle.Done
	})
	return pulumirpc.NewLanguageRuntimeClient(conn), host
}

func TestGRPCPluginInfoAndUnimplemented(t *testing.T) {
	client, _ := startHost(t)
	ctx := context.Background()
	info, err := client.GetPluginInfo(ctx, &emptypb.Empty{})
	if err != nil || info.Version != version {
		t.Fatalf("GetPluginInfo: %v %v", info, err)
	}
	_, err = client.GenerateProgram(ctx, &pulumirpc.GenerateProgramRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("GenerateProgram must be Unimplemented, got %v", err)
	}
}

func TestGRPCGetRequiredPackages(t *testing.T) {
	client, _ := startHost(t)
	root := fakeProject(t)
	resp, err := client.GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{
		Info: &pulumirpc.ProgramInfo{RootDirectory: root, ProgramDirectory: root, EntryPoint: "."},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(depNames(resp.Packages), ","); got != "command@v1.2.1,github@v6.15.0,kubernetes@v4.34.2" {
		t.Fatalf("got %s", got)
	}
	plugins, err := client.GetRequiredPlugins(context.Background(), &pulumirpc.GetRequiredPluginsRequest{
		Info: &pulumirpc.ProgramInfo{RootDirectory: root, ProgramDirectory: root, EntryPoint: "."},
	})
	if err != nil || len(plugins.Plugins) != 3 {
		t.Fatalf("GetRequiredPlugins: %v %v", plugins, err)
	}
}

// fakeRunModule installs a stand-in for @pulumi/pulumi/cmd/run that records how it was started
// (argv and the environment the SDK reads) and exits with the code in FAKE_EXIT.
func fakeRunModule(t *testing.T) (programDir, record string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	programDir = t.TempDir()
	record = filepath.Join(programDir, "record.json")
	writeFile(t, filepath.Join(programDir, "package.json"), `{"name":"p"}`)
	writeFile(t, filepath.Join(programDir, "node_modules/@pulumi/pulumi/package.json"), `{"name":"@pulumi/pulumi","version":"3.276.0"}`)
	writeFile(t, filepath.Join(programDir, "node_modules/@pulumi/pulumi/cmd/run/index.js"), `
const fs = require("fs");
const pick = (k) => process.env[k];
fs.writeFileSync(process.env.FAKE_RECORD, JSON.stringify({
  argv: process.argv.slice(2),
  config: pick("PULUMI_CONFIG"),
  secretKeys: pick("PULUMI_CONFIG_SECRET_KEYS"),
  typescript: pick("PULUMI_NODEJS_TYPESCRIPT") || "",
}));
if (process.env.FAKE_SLEEP) { setTimeout(() => {}, 60000); } else { process.exit(Number(process.env.FAKE_EXIT || 0)); }
`)
	t.Setenv("FAKE_RECORD", record)
	return programDir, record
}

func runRequest(t *testing.T, dir string) *pulumirpc.RunRequest {
	opts, err := structpb.NewStruct(map[string]any{"typescript": true})
	if err != nil {
		t.Fatal(err)
	}
	return &pulumirpc.RunRequest{
		MonitorAddress: "127.0.0.1:2", Project: "p", Stack: "dev", DryRun: true, Parallel: 4,
		Config: map[string]string{"p:who": "world"}, ConfigSecretKeys: []string{"p:token"},
		Info: &pulumirpc.ProgramInfo{RootDirectory: dir, ProgramDirectory: dir, EntryPoint: ".", Options: opts},
	}
}

func TestGRPCRunStartsTheSDKLauncher(t *testing.T) {
	dir, record := fakeRunModule(t)
	client, _ := startHost(t)
	resp, err := client.Run(context.Background(), runRequest(t, dir))
	if err != nil || resp.Error != "" || resp.Bail {
		t.Fatalf("Run: %v %v", resp, err)
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Argv                           []string
		Config, SecretKeys, Typescript string
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := "--monitor 127.0.0.1:2 --engine 127.0.0.1:1 --project p --root-directory " + dir +
		" --stack dev --pwd " + dir + " --dry-run --parallel 4 ."
	if strings.Join(got.Argv, " ") != want {
		t.Errorf("argv:\n got %s\nwant %s", strings.Join(got.Argv, " "), want)
	}
	if got.Config != `{"p:config:who":"world"}` || got.SecretKeys != `["p:token"]` || got.Typescript != "true" {
		t.Errorf("environment: %+v", got)
	}
}

func TestGRPCRunExitCodes(t *testing.T) {
	dir, _ := fakeRunModule(t)
	client, _ := startHost(t)
	t.Setenv("FAKE_EXIT", "32")
	resp, err := client.Run(context.Background(), runRequest(t, dir))
	if err != nil || !resp.Bail || resp.Error != "" {
		t.Fatalf("exit 32 must bail: %v %v", resp, err)
	}
	t.Setenv("FAKE_EXIT", "5")
	resp, err = client.Run(context.Background(), runRequest(t, dir))
	if err != nil || resp.Error != "Program exited with non-zero exit code: 5" {
		t.Fatalf("exit 5: %v %v", resp, err)
	}
}

func TestGRPCRunWithoutSDKSaysWhatToDo(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	client, _ := startHost(t)
	dir := t.TempDir()
	resp, err := client.Run(context.Background(), runRequest(t, dir))
	if err != nil || !strings.Contains(resp.Error, "pulumi install") {
		t.Fatalf("want advice to install, got %v %v", resp, err)
	}
}

func TestCancelStopsARunningProgram(t *testing.T) {
	dir, record := fakeRunModule(t)
	client, _ := startHost(t)
	t.Setenv("FAKE_SLEEP", "1")
	done := make(chan *pulumirpc.RunResponse, 1)
	go func() {
		resp, err := client.Run(context.Background(), runRequest(t, dir))
		if err != nil {
			resp = &pulumirpc.RunResponse{Error: err.Error()}
		}
		done <- resp
	}()
	// Wait until the fake program is up, then cancel as the engine does on shutdown.
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(record); err == nil {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatal("the fake program never started")
		}
	}
	if _, err := client.Cancel(context.Background(), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	select {
	case resp := <-done:
		if resp.Error != "the program was cancelled" {
			t.Fatalf("got %v", resp)
		}
	case <-time.After(nodeStopGrace + 10*time.Second):
		t.Fatal("Run did not return after Cancel")
	}
}
