package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// runModule is the SDK's program launcher, resolved from the program's own node_modules so
	// the program runs with the @pulumi/pulumi version it depends on. PULUMI_LANGUAGE_NODEJS_RUN_PATH
	// overrides it (for tests of the SDK itself).
	runModule = "@pulumi/pulumi/cmd/run"

	// exitCodeAlreadyReported is what the SDK's launcher exits with after it has shown the user
	// an actionable error itself (cmd/run/index.js, "nodeJSProcessExitedAfterLoggingUserActionableMessage").
	// We then answer "bail": the engine stops without printing a second, vaguer error.
	exitCodeAlreadyReported = 32
)

// V8's own out-of-memory report; seeing it on stderr lets us say what to do about it.
var oomMarkers = []string{"<--- Last few GCs --->", "JavaScript heap out of memory"}

// launcherModule is the SDK's program launcher, or the override PULUMI_LANGUAGE_NODEJS_RUN_PATH.
func launcherModule() string {
	if module := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); module != "" {
		return module
	}
	return runModule
}

// runParams is everything from a RunRequest that ends up on node's command line.
type runParams struct {
	monitor, engine, organization, project, rootDirectory, stack, pwd, tracing string
	dryRun                                                                     bool
	parallel                                                                   int32
	entryPoint                                                                 string
	programArgs                                                                []string
}

// buildRunArgs is node's argument list for cmd/run: node's own flags (runtime option nodeargs),
// the launcher script, the launcher's flags, the program, and the program's arguments. The
// launcher parses its flags with minimist, stopping at the first positional argument (the
// program), so every flag must come before the entry point and carry its value.
//
// We do not pass --query-mode: the launcher does not know the flag (query mode is gone from the
// engine), and minimist would swallow the entry point as its value.
func buildRunArgs(nodeArgs []string, script string, p runParams) []string {
	args := append([]string{}, nodeArgs...)
	args = append(args, script)
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flag("monitor", p.monitor)
	flag("engine", p.engine)
	flag("organization", p.organization)
	flag("project", p.project)
	flag("root-directory", p.rootDirectory)
	flag("stack", p.stack)
	flag("pwd", p.pwd)
	if p.dryRun {
		args = append(args, "--dry-run")
	}
	if p.parallel != 0 {
		flag("parallel", strconv.Itoa(int(p.parallel)))
	}
	flag("tracing", p.tracing)
	entry := p.entryPoint
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	return append(args, p.programArgs...)
}

// configJSON is the value of PULUMI_CONFIG, where the SDK reads the stack configuration.
// Keys are written as "<namespace>:config:<name>": that is the only form older @pulumi/pulumi
// releases understand, and current ones read it too.
func configJSON(cfg map[string]string) (string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", fmt.Errorf("config key %q: %w", k, err)
		}
		out[key.Namespace()+":config:"+key.Name()] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// secretKeysJSON is the value of PULUMI_CONFIG_SECRET_KEYS: which config keys the SDK must wrap
// as secrets. The keys stay in the engine's "<namespace>:<name>" form, as the SDK expects.
func secretKeysJSON(keys []string) (string, error) {
	if keys == nil {
		keys = []string{}
	}
	b, err := json.Marshal(keys)
	return string(b), err
}

// runEnv is node's environment: ours (the engine's, with its PULUMI_* settings), the stack
// configuration, and the TypeScript switches the SDK's launcher reads.
func runEnv(base []string, cfg map[string]string, secretKeys []string, opts runtimeOptions) ([]string, error) {
	cfgJSON, err := configJSON(cfg)
	if err != nil {
		return nil, fmt.Errorf("serializing the stack configuration: %w", err)
	}
	keysJSON, err := secretKeysJSON(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing the secret config keys: %w", err)
	}
	env := append([]string{}, base...)
	env = append(env, "PULUMI_CONFIG="+cfgJSON, "PULUMI_CONFIG_SECRET_KEYS="+keysJSON)
	return append(env, typescriptEnv(opts)...), nil
}

// typescriptEnv tells the SDK's launchers whether to register ts-node (runtime option
// typescript) and with which tsconfig.
func typescriptEnv(opts runtimeOptions) []string {
	var env []string
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	return env
}

// resolveModule finds a module the way the program itself would load it: node's require.resolve
// run in the program's directory (so hoisted workspaces and nested node_modules all work), unless
// resolveInstalled finds it without node.
func resolveModule(ctx context.Context, nodeBin, dir, module string) (string, error) {
	if path, ok := resolveInstalled(dir, module); ok {
		return path, nil
	}
	cmd := exec.CommandContext(ctx, nodeBin, "-e", "process.stdout.write(require.resolve(process.argv[1]))", module)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "MODULE_NOT_FOUND") || strings.Contains(stderr.String(), "Cannot find module") {
			return "", fmt.Errorf("could not find %s from %s: the Pulumi SDK is not installed there; "+
				"run `pulumi install` (or `npm install`) in that directory", module, dir)
		}
		return "", fmt.Errorf("could not resolve %s from %s: %v: %s", module, dir, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// Run executes the program: node <nodeargs> <program dir>/node_modules/@pulumi/pulumi/cmd/run
// <flags> <entry point> <args>, in the warm process started for it (warm.go) or a new one. The
// program talks to the engine's resource monitor directly; its stdout/stderr go to ours, which
// the engine shows to the user.
func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	entryPoint := info.GetEntryPoint()
	if entryPoint == "" {
		entryPoint = req.GetProgram() //nolint:staticcheck // older engines send only this
	}

	opts, err := parseRuntimeOptions(info.GetOptions().AsMap())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on PATH: " + err.Error()}, nil
	}
	module := launcherModule()
	params := runParams{
		monitor:       req.GetMonitorAddress(),
		engine:        h.engine(),
		organization:  req.GetOrganization(),
		project:       req.GetProject(),
		rootDirectory: info.GetRootDirectory(),
		stack:         req.GetStack(),
		pwd:           programDir,
		tracing:       h.tracingEndpoint,
		dryRun:        req.GetDryRun(),
		parallel:      req.GetParallel(),
		entryPoint:    entryPoint,
		programArgs:   req.GetArgs(),
	}
	env, err := runEnv(os.Environ(), req.GetConfig(), req.GetConfigSecretKeys(), opts)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	dir := programDir
	if req.GetPwd() != "" {
		dir = req.GetPwd()
	}
	if req.GetAttachDebugger() {
		// Not supported: say so instead of silently running without the debugger.
		fmt.Fprintln(os.Stderr, "warning: this language host does not support --attach-debugger; running without it")
	}

	if w := h.warm.take(newWarmKey(programDir, opts, module)); w != nil {
		// node's own arguments were given when the warm process started.
		launcherArgs := func(launcher string) []string { return buildRunArgs(nil, launcher, params) }
		if resp, ok := w.runWarm(ctx, launcherArgs, env, dir); ok {
			return resp, nil
		}
	}
	return h.runCold(ctx, nodeBin, programDir, opts.nodeargs, module, params, env, dir), nil
}

// runCold starts node for the program (no warm process took the run) and waits for it.
func (h *nodeHost) runCold(
	ctx context.Context, nodeBin, programDir string, nodeArgs []string, module string, params runParams,
	env []string, dir string,
) *pulumirpc.RunResponse {
	script, err := resolveModule(ctx, nodeBin, programDir, module)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}
	}
	args := buildRunArgs(nodeArgs, script, params)

	// The process ends with this RPC (engine cancelled it) or with the host (Cancel, shutdown).
	runCtx, stop := context.WithCancel(h.ctx)
	defer stop()
	defer context.AfterFunc(ctx, stop)()

	cmd := nodeCommand(runCtx, nodeBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	stderr := newMarkerWriter(hostStderr(), oomMarkers...)
	cmd.Stdout, cmd.Stderr = hostStdout(), stderr
	logging.V(5).Infof("language-nodejs: running %s %s", nodeBin, strings.Join(args, " "))

	err = cmd.Run()
	// Node may leave output in flight at exit; make sure everything it wrote is out before the
	// engine prints the summary.
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	return runResult(err, runCtx.Err() != nil, stderr.Found())
}

// runResult turns node's exit into the RunResponse the engine expects: no error on success,
// bail when the SDK already reported the problem, otherwise one line saying what happened.
func runResult(err error, cancelled, outOfMemory bool) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return &pulumirpc.RunResponse{Error: "could not run node: " + err.Error()}
	}
	code := exitErr.ExitCode()
	switch {
	case cancelled:
		return &pulumirpc.RunResponse{Error: "the program was cancelled"}
	case code == exitCodeAlreadyReported:
		return &pulumirpc.RunResponse{Bail: true}
	case code < 0:
		return &pulumirpc.RunResponse{Error: "Program exited unexpectedly: " + exitErr.String()}
	case outOfMemory:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d. "+
			"node ran out of memory: raise its heap limit with the runtime option "+
			"`nodeargs: --max-old-space-size=<megabytes>` in Pulumi.yaml", code)}
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}
	}
}
