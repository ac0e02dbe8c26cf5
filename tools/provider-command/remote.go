package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// RemoteCommand is command:remote:Command: shell commands run on a host over SSH.
type RemoteCommand struct{}

// Annotate sets the token the npm SDK registers.
func (*RemoteCommand) Annotate(a infer.Annotator) { a.SetToken("remote", "Command") }

// RemoteLogging is command:remote:Logging.
type RemoteLogging string

// Annotate sets the enum's token.
func (*RemoteLogging) Annotate(a infer.Annotator) { a.SetToken("remote", "Logging") }

// Values lists the streams that can be logged.
func (RemoteLogging) Values() []infer.EnumValue[RemoteLogging] { return loggingValues[RemoteLogging]() }

// RemoteCommandArgs are the inputs of command:remote:Command.
type RemoteCommandArgs struct {
	AddPreviousOutputInEnv *bool             `pulumi:"addPreviousOutputInEnv,optional"`
	Connection             *Connection       `pulumi:"connection" provider:"secret"`
	Create                 *string           `pulumi:"create,optional"`
	Delete                 *string           `pulumi:"delete,optional"`
	Environment            map[string]string `pulumi:"environment,optional"`
	Logging                *RemoteLogging    `pulumi:"logging,optional"`
	Stdin                  *string           `pulumi:"stdin,optional"`
	Triggers               []any             `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Update                 *string           `pulumi:"update,optional"`
}

// RemoteCommandState is what command:remote:Command records.
type RemoteCommandState struct {
	RemoteCommandArgs
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

// WireDependencies: stdout and stderr become secret when the commands, their environment or their
// stdin are (not because of the connection, which is always secret); any input may change them.
func (*RemoteCommand) WireDependencies(f infer.FieldSelector, args *RemoteCommandArgs, state *RemoteCommandState) {
	f.OutputField(state).DependsOn(f.InputField(args).Computed())
	f.OutputField(&state.Stdout).DependsOn(f.InputField(&args.Create).Secret(), f.InputField(&args.Update).Secret(),
		f.InputField(&args.Environment).Secret(), f.InputField(&args.Stdin).Secret())
	f.OutputField(&state.Stderr).DependsOn(f.InputField(&args.Create).Secret(), f.InputField(&args.Update).Secret(),
		f.InputField(&args.Environment).Secret(), f.InputField(&args.Stdin).Secret())
	f.OutputField(&state.Connection).AlwaysSecret()
}

// Create runs `create` on the host (nothing runs during a preview).
func (*RemoteCommand) Create(ctx context.Context, req infer.CreateRequest[RemoteCommandArgs]) (
	infer.CreateResponse[RemoteCommandState], error,
) {
	state := RemoteCommandState{RemoteCommandArgs: req.Inputs}
	id := resourceID(req.Name)
	if req.DryRun {
		return infer.CreateResponse[RemoteCommandState]{ID: id, Output: state}, nil
	}
	err := runRemote(ctx, "create", req.Inputs.Create, req.Inputs, nil, &state.Stdout, &state.Stderr)
	if err != nil {
		return infer.CreateResponse[RemoteCommandState]{}, err
	}
	return infer.CreateResponse[RemoteCommandState]{ID: id, Output: state}, nil
}

// Update runs `update`, or `create` when no `update` is set.
func (*RemoteCommand) Update(ctx context.Context, req infer.UpdateRequest[RemoteCommandArgs, RemoteCommandState]) (
	infer.UpdateResponse[RemoteCommandState], error,
) {
	state := RemoteCommandState{RemoteCommandArgs: req.Inputs, Stdout: req.State.Stdout, Stderr: req.State.Stderr}
	if req.DryRun {
		return infer.UpdateResponse[RemoteCommandState]{Output: state}, nil
	}
	script := req.Inputs.Update
	if script == nil {
		script = req.Inputs.Create
	}
	prev := &previous{req.State.Stdout, req.State.Stderr}
	if err := runRemote(ctx, "update", script, req.Inputs, prev, &state.Stdout, &state.Stderr); err != nil {
		return infer.UpdateResponse[RemoteCommandState]{}, err
	}
	return infer.UpdateResponse[RemoteCommandState]{Output: state}, nil
}

// Delete runs `delete` with the inputs (connection included) recorded in the state.
func (*RemoteCommand) Delete(ctx context.Context, req infer.DeleteRequest[RemoteCommandState]) (infer.DeleteResponse, error) {
	var stdout, stderr string
	prev := &previous{req.State.Stdout, req.State.Stderr}
	err := runRemote(ctx, "delete", req.State.Delete, req.State.RemoteCommandArgs, prev, &stdout, &stderr)
	return infer.DeleteResponse{}, err
}

// runRemote runs one script in its own SSH session: the script is the session's command, stdin
// is the session's stdin, the environment is sent with the session (the server must accept it,
// sshd's AcceptEnv; a refused variable is reported as a warning, as pulumi-command does).
func runRemote(ctx context.Context, op string, script *string, in RemoteCommandArgs, prev *previous,
	stdoutOut, stderrOut *string,
) error {
	*stdoutOut, *stderrOut = "", ""
	if script == nil || *script == "" {
		return nil
	}
	if in.Connection == nil {
		return fmt.Errorf("connection must be set")
	}
	r := redactorFrom(ctx)
	client, err := dial(ctx, *in.Connection)
	if err != nil {
		return fmt.Errorf("%s: %s", op, r.redact(err.Error()))
	}
	defer func() { _ = client.Close() }()
	session, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("%s: ssh session on %s: %w", op, in.Connection.Host, err)
	}
	defer func() { _ = session.Close() }()

	env := envList(in.Environment, in.AddPreviousOutputInEnv, prev)
	sort.Strings(env)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if err := session.Setenv(k, v); err != nil {
			p.GetLogger(ctx).Warningf("%s: the SSH server on %s did not accept environment variable %s "+
				"(allow it with AcceptEnv in sshd_config)", op, in.Connection.Host, k)
		}
	}
	if in.Stdin != nil {
		session.Stdin = strings.NewReader(*in.Stdin)
	}
	mode := logStdoutAndStderr
	if in.Logging != nil {
		mode = logMode(*in.Logging)
	}
	stdout, stderr := newCapture(ctx, "stdout", mode, r), newCapture(ctx, "stderr", mode, r)
	session.Stdout, session.Stderr = stdout, stderr

	done := make(chan error, 1)
	go func() { done <- session.Run(*script) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = session.Signal("KILL")
		_ = client.Close()
		err = ctx.Err()
	}
	*stdoutOut, *stderrOut = stdout.finish(), stderr.finish()
	if err != nil {
		return commandError(r, fmt.Sprintf("%s (on %s)", op, in.Connection.Host), err, *stdoutOut, *stderrOut)
	}
	return nil
}
