package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// policyPackModule starts a policy pack (PulumiPolicy.yaml, runtime nodejs).
	policyPackModule = "@pulumi/pulumi/cmd/run-policy-pack"
	// pluginModule starts any other plugin written in Node.js (PulumiPlugin.yaml).
	pluginModule = "@pulumi/pulumi/cmd/run-plugin"
)

// buildPluginArgs is node's argument list for a plugin. The two launchers disagree on where the
// plugin directory goes: run-policy-pack takes "<engine address> <pack dir>" (engine first,
// directory last), run-plugin takes the directory first and passes the rest to the plugin.
func buildPluginArgs(nodeArgs []string, script string, isPolicyPack bool, pluginDir string, pluginArgs []string) []string {
	args := append([]string{}, nodeArgs...)
	args = append(args, script)
	if isPolicyPack {
		args = append(args, pluginArgs...)
		return append(args, pluginDir)
	}
	args = append(args, pluginDir)
	return append(args, pluginArgs...)
}

// policyPackEnv is the stack context a policy pack reads from the environment (the same
// variables cmd/run sets for programs), taken from the engine's ConfigureStack call.
func policyPackEnv(cfg *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if cfg == nil {
		return nil, nil
	}
	var env []string
	add := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	add("PULUMI_NODEJS_ORGANIZATION", cfg.GetOrganization())
	add("PULUMI_NODEJS_PROJECT", cfg.GetProject())
	add("PULUMI_NODEJS_STACK", cfg.GetStack())
	add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(cfg.GetDryRun()))
	if cfg.GetConfig() != nil {
		b, err := json.Marshal(cfg.GetConfig())
		if err != nil {
			return nil, fmt.Errorf("serializing the stack configuration: %w", err)
		}
		add("PULUMI_CONFIG", string(b))
	}
	return env, nil
}

// RunPlugin starts a plugin written in Node.js and streams its stdout/stderr back to the
// engine, which reads the plugin's gRPC port from the first stdout line.
//
// Policy packs (kind analyzer) get one more step. Their launcher expects the stack's
// organization/project/stack/config in its environment at start, but the engine only tells
// them through the Analyzer ConfigureStack RPC after the pack is up. sdk.PolicyProxy (from the
// served sdk/v3 module) bridges that: it serves the Analyzer API first, prints its own port,
// takes ConfigureStack, and only then do we start node with that environment; the proxy then
// forwards every call to the real pack.
func (h *nodeHost) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	closer, streamOut, streamErr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	stdout, stderr := lockedWriters(streamOut, streamErr)

	// The plugin lives as long as the engine keeps this stream open, and never past the host.
	ctx, stop := context.WithCancel(h.ctx)
	defer stop()
	defer context.AfterFunc(server.Context(), stop)()

	info := req.GetInfo()
	pluginDir := info.GetProgramDirectory()
	opts, err := parseRuntimeOptions(info.GetOptions().AsMap())
	if err != nil {
		return err
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return errors.New("could not find node on PATH")
	}

	isPolicyPack := req.GetKind() == string(apitype.AnalyzerPlugin)
	module := pluginModule
	if isPolicyPack {
		module = policyPackModule
	} else if override := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); override != "" {
		module = override
	}
	script, err := resolveModule(ctx, nodeBin, pluginDir, module)
	if err != nil {
		return err
	}

	env := append(append([]string{}, req.GetEnv()...), typescriptEnv(opts)...)
	var args []string
	if isPolicyPack && !opts.typescript {
		args = jsPackArgs(opts.nodeargs, script, pluginDir, req.GetArgs())
	} else {
		args = buildPluginArgs(opts.nodeargs, script, isPolicyPack, pluginDir, req.GetArgs())
	}

	var proxy *sdk.PolicyProxy
	if isPolicyPack {
		// From here on the proxy owns our stdout: it prints its port, and later copies the
		// pack's output (minus the pack's own port line) to it.
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start the policy pack proxy: %w", err)
		}
		stackConfig, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the policy pack's stack configuration: %w", err)
		}
		stackEnv, err := policyPackEnv(stackConfig)
		if err != nil {
			return err
		}
		env = append(env, stackEnv...)
	}

	cmd := nodeCommand(ctx, nodeBin, args...)
	// Policy packs have always run from their own directory (they load their node_modules
	// relative to it); other plugins run where the engine says.
	cmd.Dir = req.GetPwd()
	if isPolicyPack || cmd.Dir == "" {
		cmd.Dir = pluginDir
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	logging.V(5).Infof("language-nodejs: running plugin %s %v in %s", nodeBin, args, cmd.Dir)

	if err := cmd.Start(); err != nil {
		if proxy != nil {
			proxy.Abort(err)
		}
		return fmt.Errorf("could not start node for the plugin: %w", err)
	}
	if proxy != nil {
		// Attach waits for the pack to exit (it reaps it via cmd.Wait).
		err = proxy.Attach(ctx, cmd)
	} else {
		err = cmd.Wait()
	}
	return h.finishPlugin(server, closer, err, ctx.Err() != nil)
}

// finishPlugin reports how the plugin ended. A non-zero exit is sent as an Exitcode message
// (what the engine's RunPlugin client waits for) after all output has been flushed; anything
// that is not an exit status is returned as the RPC's error.
func (h *nodeHost) finishPlugin(server pulumirpc.LanguageRuntime_RunPluginServer, closer io.Closer, err error, cancelled bool) error {
	if cerr := closer.Close(); cerr != nil && err == nil {
		return cerr
	}
	if err == nil || cancelled {
		// A cancelled plugin was stopped on the engine's request: that is not a failure.
		return nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() > 0 {
		return server.Send(&pulumirpc.RunPluginResponse{
			Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exitErr.ExitCode())},
		})
	}
	return fmt.Errorf("plugin failed: %w", err)
}
