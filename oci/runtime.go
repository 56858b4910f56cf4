package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Errors that classify a command the runtime could not invoke: Docker and
// Podman exit 127 and 126 for them.
var (
	ErrNotFound      = errors.New("executable file not found")
	ErrNotExecutable = errors.New("permission denied")
)

// RuntimeError is a failed runtime invocation with the runtime's message.
type RuntimeError struct {
	Runtime string
	Args    []string
	Msg     string
	Err     error
}

func (e *RuntimeError) Error() string {
	return fmt.Sprintf("%s %s: %s", filepath.Base(e.Runtime), e.Args[0], e.Msg)
}

func (e *RuntimeError) Unwrap() error { return e.Err }

// Runtime drives one OCI runtime binary with its state under Root.
type Runtime struct {
	// Path is the runtime binary (runc or crun).
	Path string
	// Root is the runtime's state directory (its --root).
	Root string
}

// Name is the runtime's base name, e.g. "runc".
func (r *Runtime) Name() string { return RuntimeName(r.Path) }

func (r *Runtime) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.Path, append([]string{"--root", r.Root}, args...)...)
	cmd.Env = os.Environ()
	return cmd
}

func (r *Runtime) run(ctx context.Context, cmd *exec.Cmd) error {
	var stderr bytes.Buffer
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	if err := cmd.Run(); err != nil {
		return r.error(cmd.Args[3:], stderr.String(), err)
	}
	return nil
}

// error turns a runtime's stderr into one line and classifies it.
func (r *Runtime) error(args []string, stderr string, err error) error {
	msg := lastMessage(stderr)
	if msg == "" {
		msg = err.Error()
	}
	// runc repeats its own name and command: "runc run failed: ...".
	msg = strings.TrimPrefix(msg, r.Name()+" "+args[0]+" failed: ")
	class := err
	switch {
	case strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory") && strings.Contains(msg, "exec"):
		class = ErrNotFound
	case strings.Contains(msg, "permission denied") && strings.Contains(msg, "exec"):
		class = ErrNotExecutable
	}
	return &RuntimeError{Runtime: r.Path, Args: args, Msg: msg, Err: class}
}

// lastMessage extracts the last error a runtime printed, from either runc's
// logrus lines (level=error msg="...") or plain text.
func lastMessage(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if i := strings.Index(l, `msg="`); i >= 0 {
			if q, err := strconv.QuotedPrefix(l[i+4:]); err == nil {
				if s, err := strconv.Unquote(q); err == nil {
					return s
				}
			}
		}
		return l
	}
	return ""
}

// Stdio are the container's standard streams for Create.
type Stdio struct {
	In, Out, Err *os.File
}

// Run creates and starts container id from the bundle in one runtime
// invocation, detached: the runtime exits once the container's process
// runs, and that process is handed to the nearest subreaper. Its PID is
// returned.
func (r *Runtime) Run(ctx context.Context, id, bundle string, stdio Stdio) (int, error) {
	pidFile := filepath.Join(bundle, "pid")
	// The runtime hands its stdio to the container's init, so its own
	// messages are read from its log.
	logPath := filepath.Join(bundle, "runtime.log")
	os.Remove(logPath)
	cmd := r.command(ctx, "--log", logPath, "--log-format", "json", "run", "--detach", "--bundle", bundle, "--pid-file", pidFile, id)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.In, stdio.Out, stdio.Err
	if err := cmd.Run(); err != nil {
		data, _ := os.ReadFile(logPath)
		return 0, r.error([]string{"run"}, jsonLogErrors(data), err)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, fmt.Errorf("read pid of container %s: %w", id, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("pid file of container %s: %w", id, err)
	}
	return pid, nil
}

// jsonLogErrors returns the messages of a runtime's JSON log, one a line.
func jsonLogErrors(data []byte) string {
	var out []string
	for _, l := range bytes.Split(data, []byte("\n")) {
		var e struct{ Level, Msg string }
		if json.Unmarshal(l, &e) == nil && (e.Level == "error" || e.Level == "fatal") {
			out = append(out, e.Msg)
		}
	}
	return strings.Join(out, "\n")
}

// Exec runs process in running container id with stdio and returns its
// exit code; detached, it returns once the process runs (code 0).
func (r *Runtime) Exec(ctx context.Context, id string, process *specs.Process, detach bool, stdio Stdio) (int, error) {
	dir, err := os.MkdirTemp("", "scow-exec-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	data, err := json.Marshal(process)
	if err != nil {
		return 0, err
	}
	procPath := filepath.Join(dir, "process.json")
	if err := os.WriteFile(procPath, data, 0o600); err != nil {
		return 0, fmt.Errorf("write exec process: %w", err)
	}
	logPath := filepath.Join(dir, "runtime.log")
	args := []string{"--log", logPath, "--log-format", "json", "exec", "--process", procPath}
	if detach {
		args = append(args, "--detach")
	}
	cmd := r.command(ctx, append(args, id)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.In, stdio.Out, stdio.Err
	err = cmd.Run()
	if msgs := jsonLogErrors(mustRead(logPath)); msgs != "" {
		// The runtime itself failed, not the process.
		return 0, r.error([]string{"exec"}, msgs, errors.New("exec failed"))
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("%s exec: %w", r.Name(), err)
	}
	return 0, nil
}

func mustRead(path string) []byte {
	data, _ := os.ReadFile(path)
	return data
}

// Delete removes the runtime's state of container id, killing it first
// when force is set. A container the runtime does not know is not an
// error.
func (r *Runtime) Delete(ctx context.Context, id string, force bool) error {
	args := []string{"delete"}
	if force {
		args = append(args, "--force")
	}
	err := r.run(ctx, r.command(ctx, append(args, id)...))
	var re *RuntimeError
	if errors.As(err, &re) && strings.Contains(re.Msg, "does not exist") {
		return nil
	}
	return err
}

// Version returns the first line of the runtime's --version output.
func (r *Runtime) Version(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, r.Path, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", r.Path, err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return line, nil
}
