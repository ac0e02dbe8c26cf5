package provider

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
)

// Logging says which output streams of a command are logged to the engine as they arrive.
type logMode string

const (
	logStdout          logMode = "stdout"
	logStderr          logMode = "stderr"
	logStdoutAndStderr logMode = "stdoutAndStderr"
	logNone            logMode = "none"
)

func (m logMode) logs(stream string) bool {
	switch m {
	case logNone:
		return false
	case logStdout, logStderr:
		return string(m) == stream
	default: // unset means stdoutAndStderr, as in pulumi-command
		return true
	}
}

// capture collects one stream of a running command and, when asked to, logs each line (secrets
// replaced) to the engine while the command runs.
type capture struct {
	buf    bytes.Buffer
	mu     sync.Mutex
	pw     *io.PipeWriter
	done   chan struct{}
	stream string
}

func newCapture(ctx context.Context, stream string, mode logMode, r redactor) *capture {
	c := &capture{stream: stream, done: make(chan struct{})}
	if !mode.logs(stream) {
		close(c.done)
		return c
	}
	pr, pw := io.Pipe()
	c.pw = pw
	log := p.GetLogger(ctx)
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			log.Info(r.redact(sc.Text()))
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	return c
}

func (c *capture) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.buf.Write(b)
	c.mu.Unlock()
	if c.pw != nil {
		_, _ = c.pw.Write(b)
	}
	return len(b), nil
}

// finish waits for the last logged line and returns what the command wrote, without the
// trailing newline (pulumi-command's stdout/stderr outputs have it trimmed).
func (c *capture) finish() string {
	if c.pw != nil {
		_ = c.pw.Close()
	}
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimRight(c.buf.String(), "\n")
}

// commandError is the error of a command that exited non-zero or could not start: it names
// the operation and carries the command's stderr (secrets replaced), since that is what a user
// needs to see in the failed `up`.
func commandError(r redactor, op string, err error, stdout, stderr string) error {
	msg := fmt.Sprintf("%s command failed: %v", op, err)
	if stderr != "" {
		msg += "\nstderr:\n" + stderr
	} else if stdout != "" {
		msg += "\nstdout:\n" + stdout
	}
	return fmt.Errorf("%s", r.redact(msg))
}
