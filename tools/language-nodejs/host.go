package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// nodeHost implements pulumirpc.LanguageRuntimeServer. Methods live in files named after what
// they do (run.go, runplugin.go, packages.go, install.go, codegen.go ...).
//
// Embedding UnimplementedLanguageRuntimeServer makes every method we do not implement
// (GenerateProgram, GenerateProject) answer codes.Unimplemented, which the engine understands.
type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	tracingEndpoint string

	mu            sync.Mutex
	engineAddress string // set from argv, or later by Handshake

	// ctx is cancelled when the engine calls Cancel or when the host shuts down; every node
	// process we start is tied to it, so no node outlives the host.
	ctx    context.Context
	cancel context.CancelFunc

	// warm is the program's node process started ahead of Run (warm.go).
	warm warmSlot
}

func newHost(parent context.Context, engineAddress, tracingEndpoint string) *nodeHost {
	ctx, cancel := context.WithCancel(parent)
	return &nodeHost{
		engineAddress:   engineAddress,
		tracingEndpoint: tracingEndpoint,
		ctx:             ctx,
		cancel:          cancel,
	}
}

func (h *nodeHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// cancelAll stops every running and future node process of this host.
func (h *nodeHost) cancelAll() { h.cancel() }

// Handshake is how an engine that attached to an already running host (PULUMI_DEBUG_* flows)
// tells us its address; when the engine starts us itself the address came as argv[1].
func (h *nodeHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	first := h.engineAddress == ""
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	if first && req.GetEngineAddress() != "" {
		// We had no engine to watch before: watch this one from now on.
		if err := rpcutil.Healthcheck(h.ctx, req.GetEngineAddress(), engineHealthInterval, h.cancel); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// Cancel is sent by the engine when it shuts down or aborts: stop node processes now.
func (h *nodeHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	logging.V(5).Infof("language-nodejs: Cancel received, stopping node processes")
	h.cancel()
	return &emptypb.Empty{}, nil
}

// RuntimeOptionsPrompts is used by `pulumi new` to ask for runtime options. We never prompt:
// projects here always state their options in Pulumi.yaml.
func (h *nodeHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// Template lets a language adjust a freshly templated project; Node.js projects need nothing.
func (h *nodeHost) Template(context.Context, *pulumirpc.TemplateRequest) (*pulumirpc.TemplateResponse, error) {
	return &pulumirpc.TemplateResponse{}, nil
}

// About answers `pulumi about`: which node runs the program and which package manager installs it.
func (h *nodeHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts, err := parseRuntimeOptions(req.GetInfo().GetOptions().AsMap())
	if err != nil {
		return nil, err
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("could not find node on PATH")
	}
	// The three probes each start a process (npm alone takes a few tenths of a second) and the
	// engine waits for the answer before it runs anything: they run side by side.
	dir := req.GetInfo().GetProgramDirectory()
	pm := choosePackageManager(opts.packageManager, dir)
	var pmVersion, tsVersion, nodeVersion string
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); pmVersion = commandOutput(ctx, "", pm, "--version") }()
	go func() {
		defer wg.Done()
		// The TypeScript that the program would load, resolved like node resolves it at run time.
		if dir != "" {
			tsVersion = commandOutput(ctx, dir, nodeBin, "-p", "require('typescript/package.json').version")
		}
	}()
	go func() { defer wg.Done(); nodeVersion = commandOutput(ctx, "", nodeBin, "--version") }()
	wg.Wait()
	metadata := map[string]string{"packagemanager": pm}
	if pmVersion != "" {
		metadata["packagemanagerVersion"] = pmVersion
	}
	if tsVersion != "" {
		metadata["typescriptVersion"] = tsVersion
	}
	return &pulumirpc.AboutResponse{Executable: nodeBin, Version: nodeVersion, Metadata: metadata}, nil
}

// commandOutput runs a short informational command and returns its trimmed stdout, or "" when
// it fails: About must not fail just because, say, yarn is not installed.
func commandOutput(ctx context.Context, dir, name string, args ...string) string {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
