package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// nodeStopGrace is how long a node process gets to exit after SIGINT before it is killed.
// The Pulumi SDK flushes its last RPCs on the way out; five seconds is plenty for that.
const nodeStopGrace = 5 * time.Second

// nodeCommand builds a command that cannot outlive its context or this host:
//   - when ctx ends (the RPC was cancelled, the engine called Cancel, or we are shutting down)
//     the process gets SIGINT and, nodeStopGrace later, SIGKILL;
//   - on Linux the kernel sends it SIGKILL if the host itself dies (see setParentDeathSignal),
//     so an engine that SIGKILLs us leaves no orphaned node behind;
//   - exec.Cmd.Wait always reaps it, so no zombie is left either.
func nodeCommand(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = nodeStopGrace
	setParentDeathSignal(cmd)
	return cmd
}

// lockedWriters returns writers for a child's stdout and stderr that never write concurrently.
// exec.Cmd copies stdout and stderr on two goroutines, and a gRPC stream's Send (behind the
// writers rpcutil gives us for streamed RPCs) must not be called from two goroutines at once.
func lockedWriters(stdout, stderr io.Writer) (io.Writer, io.Writer) {
	var mu sync.Mutex
	return &lockedWriter{mu: &mu, w: stdout}, &lockedWriter{mu: &mu, w: stderr}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// hostStdout/hostStderr wrap our own stdout/stderr so that exec.Cmd copies the child's output
// through a pipe instead of handing node our file descriptors: node switches the descriptors
// it inherits to non-blocking mode, which would make our own later writes fail with EAGAIN.
func hostStdout() io.Writer { return struct{ io.Writer }{os.Stdout} }
func hostStderr() io.Writer { return struct{ io.Writer }{os.Stderr} }

// markerWriter passes output through unchanged and remembers whether any of the markers went
// by, even when a marker is split across two writes. Run uses it to recognise V8's
// out-of-memory report on node's stderr and add advice to the error.
type markerWriter struct {
	w       io.Writer
	markers []string

	mu    sync.Mutex
	tail  string
	found bool
}

func newMarkerWriter(w io.Writer, markers ...string) *markerWriter {
	return &markerWriter{w: w, markers: markers}
}

func (m *markerWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	if !m.found {
		window := m.tail + string(p)
		for _, marker := range m.markers {
			if strings.Contains(window, marker) {
				m.found = true
				break
			}
		}
		// Keep just enough of the end to catch a marker that straddles the next write.
		keep := 0
		for _, marker := range m.markers {
			keep = max(keep, len(marker)-1)
		}
		if len(window) > keep {
			window = window[len(window)-keep:]
		}
		m.tail = window
	}
	m.mu.Unlock()
	return m.w.Write(p)
}

func (m *markerWriter) Found() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.found
}
