package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// A warm start: the node process of a program, started when the engine asks which packages the
// program needs (GetRequiredPackages) and handed the run when Run comes. Between the two the
// engine starts the policy packs and waits for each to answer; meanwhile the process loads the
// Pulumi SDK and TypeScript, which takes about a second and is most of a small program's start.
// Loading them reads nothing of the run: the SDK takes its settings (monitor, stack, config) from
// the environment when the program starts. The run's environment, directory and arguments are
// handed over before the SDK's launcher itself is loaded, and the launcher then runs as node's
// main module, as it does in a cold start.

// warmLoader is the program node runs for a warm start (node -e, argv[1] the program directory,
// argv[2] the launcher module, argv[3] "typescript" when the program is TypeScript). It writes
// the launcher's path on fd 3 once the SDK is loaded (nothing when the SDK cannot be found: the
// host then starts cold and reports that), then reads the run from stdin to its end: one JSON
// object {args, env, cwd}. An empty stdin (the host went away) ends it.
const warmLoader = `"use strict";
const fs = require("fs");
const path = require("path");
const Module = require("module");
const [dir, launcherModule, typescript] = process.argv.slice(1);
let launcher;
try {
  launcher = require.resolve(launcherModule, { paths: [dir] });
  const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [dir] }));
  require(sdk);
  if (typescript === "typescript") {
    for (const name of ["typescript", "ts-node"]) {
      try { require(require.resolve(name, { paths: [sdk] })); } catch {}
    }
  }
} catch {
  process.exit(0);
}
fs.writeSync(3, launcher + "\n");
fs.closeSync(3);
const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const request = Buffer.concat(chunks).toString("utf8");
  if (request === "") process.exit(0);
  const run = JSON.parse(request);
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, run.env);
  process.chdir(run.cwd);
  process.argv = [process.argv[0], ...run.args];
  Module.runMain();
});
`

// warmKey is what a warm process was started for; Run uses it only for the same program, node
// arguments and launcher.
type warmKey struct {
	programDir string
	nodeArgs   string
	module     string
	typescript bool
}

func newWarmKey(programDir string, opts runtimeOptions, module string) warmKey {
	return warmKey{programDir, strings.Join(opts.nodeargs, "\x00"), module, opts.typescript}
}

type warmProcess struct {
	key    warmKey
	stop   context.CancelFunc
	stdin  io.WriteCloser
	stderr *markerWriter
	// launcher receives the launcher's path once the SDK is loaded; it is closed without one
	// when the process could not load it.
	launcher chan string
	done     chan struct{}
	waitErr  error
	// cancelled: the process ended after its context was (Cancel, the host's end, the RPC's end).
	cancelled bool
}

// warmRequest is what the loader reads from stdin.
type warmRequest struct {
	Args []string          `json:"args"`
	Env  map[string]string `json:"env"`
	Cwd  string            `json:"cwd"`
}

// startWarm starts a warm process for key, its output going to stdout and stderr, or returns nil
// when it cannot be started (Run then starts cold, as without one).
func startWarm(
	parent context.Context, nodeBin string, key warmKey, nodeArgs []string, stdout, stderr io.Writer,
) *warmProcess {
	ready, readyWriter, err := os.Pipe()
	if err != nil {
		return nil
	}
	ctx, stop := context.WithCancel(parent)
	args := append(slices.Clone(nodeArgs), "-e", warmLoader, key.programDir, key.module)
	if key.typescript {
		args = append(args, "typescript")
	}
	cmd := nodeCommand(ctx, nodeBin, args...)
	cmd.Dir = key.programDir
	cmd.ExtraFiles = []*os.File{readyWriter}
	w := &warmProcess{
		key: key, stop: stop,
		stderr:   newMarkerWriter(stderr, oomMarkers...),
		launcher: make(chan string, 1),
		done:     make(chan struct{}),
	}
	cmd.Stdout, cmd.Stderr = stdout, w.stderr
	if w.stdin, err = cmd.StdinPipe(); err == nil {
		err = cmd.Start()
	}
	readyWriter.Close()
	if err != nil {
		ready.Close()
		stop()
		return nil
	}
	go func() {
		line, _ := bufio.NewReader(ready).ReadString('\n')
		ready.Close()
		if path := strings.TrimSpace(line); strings.HasSuffix(line, "\n") && path != "" {
			w.launcher <- path
		}
		close(w.launcher)
	}()
	go func() {
		w.waitErr = cmd.Wait()
		w.cancelled = ctx.Err() != nil
		stop()
		close(w.done)
	}()
	return w
}

// discard stops a warm process that will not run a program and reaps it.
func (w *warmProcess) discard() {
	w.stop()
	_ = w.stdin.Close()
	<-w.done
}

// runWarm hands the run to the warm process and waits for the program to end. ok is false when
// the process could not take the run (the SDK was not found, or it died before the run): the
// caller then starts cold. The end of rpc (the Run call) stops the program, as in a cold start.
func (w *warmProcess) runWarm(
	rpc context.Context, args func(launcher string) []string, env []string, cwd string,
) (resp *pulumirpc.RunResponse, ok bool) {
	launcher, loaded := <-w.launcher
	if !loaded {
		w.discard()
		return nil, false
	}
	request, err := json.Marshal(warmRequest{Args: args(launcher), Env: envMap(env), Cwd: cwd})
	if err == nil {
		_, err = w.stdin.Write(request)
	}
	if cerr := w.stdin.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		logging.V(5).Infof("language-nodejs: the warm node process did not take the run (%v): starting cold", err)
		w.discard()
		return nil, false
	}
	defer context.AfterFunc(rpc, w.stop)()
	<-w.done
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	return runResult(w.waitErr, w.cancelled, w.stderr.Found()), true
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, found := strings.Cut(kv, "="); found {
			m[k] = v
		}
	}
	return m
}

// warmSlot holds the host's one warm process.
type warmSlot struct {
	mu sync.Mutex
	w  *warmProcess
}

// put replaces the warm process (the previous one, for another program, is stopped).
func (s *warmSlot) put(w *warmProcess) {
	s.mu.Lock()
	old := s.w
	s.w = w
	s.mu.Unlock()
	if old != nil {
		go old.discard()
	}
}

// take returns the warm process started for key and empties the slot; one for another key is
// stopped.
func (s *warmSlot) take(key warmKey) *warmProcess {
	s.mu.Lock()
	w := s.w
	s.w = nil
	s.mu.Unlock()
	if w == nil {
		return nil
	}
	if w.key != key {
		go w.discard()
		return nil
	}
	return w
}

// startWarm starts the warm process of the program info describes, unless its runtime options
// turn warm starts off. The engine asks for the packages of the program it is about to run; a
// command that never runs it (destroy, refresh) stops the process with the host.
func (h *nodeHost) startWarm(info *pulumirpc.ProgramInfo) {
	opts, err := parseRuntimeOptions(info.GetOptions().AsMap())
	dir := info.GetProgramDirectory()
	if err != nil || !opts.warmStart || dir == "" {
		return
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return
	}
	module := launcherModule()
	w := startWarm(h.ctx, nodeBin, newWarmKey(dir, opts, module), opts.nodeargs, hostStdout(), hostStderr())
	if w != nil {
		h.warm.put(w)
	}
}
