package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// LocalCommand is command:local:Command: shell commands run on the machine that runs the engine.
type LocalCommand struct{}

// Annotate sets the token the npm SDK registers.
func (*LocalCommand) Annotate(a infer.Annotator) { a.SetToken("local", "Command") }

// LocalLogging is command:local:Logging.
type LocalLogging string

// Annotate sets the enum's token.
func (*LocalLogging) Annotate(a infer.Annotator) { a.SetToken("local", "Logging") }

// Values lists the streams that can be logged.
func (LocalLogging) Values() []infer.EnumValue[LocalLogging] { return loggingValues[LocalLogging]() }

func loggingValues[T ~string]() []infer.EnumValue[T] {
	return []infer.EnumValue[T]{
		{Name: "stdout", Value: T(logStdout), Description: "Log stdout only."},
		{Name: "stderr", Value: T(logStderr), Description: "Log stderr only."},
		{Name: "stdoutAndStderr", Value: T(logStdoutAndStderr), Description: "Log stdout and stderr (the default)."},
		{Name: "none", Value: T(logNone), Description: "Log nothing."},
	}
}

// LocalCommandArgs are the inputs of command:local:Command.
type LocalCommandArgs struct {
	AddPreviousOutputInEnv *bool             `pulumi:"addPreviousOutputInEnv,optional"`
	ArchivePaths           []string          `pulumi:"archivePaths,optional"`
	AssetPaths             []string          `pulumi:"assetPaths,optional"`
	Create                 *string           `pulumi:"create,optional"`
	Delete                 *string           `pulumi:"delete,optional"`
	Dir                    *string           `pulumi:"dir,optional"`
	Environment            map[string]string `pulumi:"environment,optional"`
	Interpreter            []string          `pulumi:"interpreter,optional"`
	Logging                *LocalLogging     `pulumi:"logging,optional"`
	Stdin                  *string           `pulumi:"stdin,optional"`
	Triggers               []any             `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Update                 *string           `pulumi:"update,optional"`
}

// LocalCommandState is what command:local:Command records: its inputs and what the last run
// produced.
type LocalCommandState struct {
	LocalCommandArgs
	Archive *resource.Archive          `pulumi:"archive,optional"`
	Assets  map[string]*resource.Asset `pulumi:"assets,optional"`
	Stdout  string                     `pulumi:"stdout"`
	Stderr  string                     `pulumi:"stderr"`
}

// WireDependencies makes stdout, stderr and the collected files secret whenever any input is:
// a command that echoes a secret environment value or its stdin must not put it in the state in
// the clear. Outputs that mirror an input keep that input's own secretness.
func (*LocalCommand) WireDependencies(f infer.FieldSelector, args *LocalCommandArgs, state *LocalCommandState) {
	f.OutputField(state).DependsOn(f.InputField(args))
}

// Create runs `create` (nothing runs during a preview).
func (*LocalCommand) Create(ctx context.Context, req infer.CreateRequest[LocalCommandArgs]) (
	infer.CreateResponse[LocalCommandState], error,
) {
	state := LocalCommandState{LocalCommandArgs: req.Inputs}
	id := resourceID(req.Name)
	if req.DryRun {
		return infer.CreateResponse[LocalCommandState]{ID: id, Output: state}, nil
	}
	if err := runLocal(ctx, "create", req.Inputs.Create, req.Inputs, nil, &state); err != nil {
		return infer.CreateResponse[LocalCommandState]{}, err
	}
	return infer.CreateResponse[LocalCommandState]{ID: id, Output: state}, nil
}

// Update runs `update`, or `create` when no `update` is set.
func (*LocalCommand) Update(ctx context.Context, req infer.UpdateRequest[LocalCommandArgs, LocalCommandState]) (
	infer.UpdateResponse[LocalCommandState], error,
) {
	state := LocalCommandState{
		LocalCommandArgs: req.Inputs, Stdout: req.State.Stdout, Stderr: req.State.Stderr,
		Assets: req.State.Assets, Archive: req.State.Archive,
	}
	if req.DryRun {
		return infer.UpdateResponse[LocalCommandState]{Output: state}, nil
	}
	script := req.Inputs.Update
	if script == nil {
		script = req.Inputs.Create
	}
	if err := runLocal(ctx, "update", script, req.Inputs, &req.State, &state); err != nil {
		return infer.UpdateResponse[LocalCommandState]{}, err
	}
	return infer.UpdateResponse[LocalCommandState]{Output: state}, nil
}

// Delete runs `delete` with the inputs recorded in the state.
func (*LocalCommand) Delete(ctx context.Context, req infer.DeleteRequest[LocalCommandState]) (infer.DeleteResponse, error) {
	scratch := req.State
	err := runLocal(ctx, "delete", req.State.Delete, req.State.LocalCommandArgs, &req.State, &scratch)
	return infer.DeleteResponse{}, err
}

// runLocal runs one script with the resource's interpreter, directory, environment and stdin and
// stores its output (and the files it produced, for create/update) in out. A nil or empty script
// runs nothing and leaves empty output.
func runLocal(ctx context.Context, op string, script *string, in LocalCommandArgs, prev *LocalCommandState,
	out *LocalCommandState,
) error {
	out.Stdout, out.Stderr = "", ""
	if script == nil || *script == "" {
		return nil
	}
	interpreter := in.Interpreter
	if len(interpreter) == 0 {
		interpreter = []string{"/bin/sh", "-c"}
	}
	args := append(append([]string{}, interpreter[1:]...), *script)
	cmd := exec.CommandContext(ctx, interpreter[0], args...)
	if in.Dir != nil {
		cmd.Dir = *in.Dir
	}
	cmd.Env = append(os.Environ(), envList(in.Environment, in.AddPreviousOutputInEnv, prevOutput(prev))...)
	if in.Stdin != nil {
		cmd.Stdin = strings.NewReader(*in.Stdin)
	}
	r := redactorFrom(ctx)
	mode := logStdoutAndStderr
	if in.Logging != nil {
		mode = logMode(*in.Logging)
	}
	stdout, stderr := newCapture(ctx, "stdout", mode, r), newCapture(ctx, "stderr", mode, r)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A command that leaves a background process holding its stdout/stderr (a daemon that did not
	// redirect them) is done when the command itself exits, not when that process does.
	cmd.WaitDelay = backgroundGrace
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	out.Stdout, out.Stderr = stdout.finish(), stderr.finish()
	if err != nil {
		return commandError(r, op, err, out.Stdout, out.Stderr)
	}
	if op == "delete" {
		return nil
	}
	return collectFiles(in, out)
}

const backgroundGrace = 3 * time.Second

type previous struct{ stdout, stderr string }

func prevOutput(prev *LocalCommandState) *previous {
	if prev == nil {
		return nil
	}
	return &previous{prev.Stdout, prev.Stderr}
}

// envList is the resource's environment plus, unless addPreviousOutputInEnv is false, the
// previous run's output as PULUMI_COMMAND_STDOUT / PULUMI_COMMAND_STDERR.
func envList(env map[string]string, addPrevious *bool, prev *previous) []string {
	list := make([]string, 0, len(env)+2)
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	if prev != nil && (addPrevious == nil || *addPrevious) {
		list = append(list, "PULUMI_COMMAND_STDOUT="+prev.stdout, "PULUMI_COMMAND_STDERR="+prev.stderr)
	}
	return list
}

func resourceID(name string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return name + "-" + hex.EncodeToString(b)
}
