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
	"slices"
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
	// Flags are more global flags for every call (--runtime-flag), each
	// without its leading dashes: "debug", "log-format=json".
	Flags []string
}

// Name is the runtime's base name, e.g. "runc".
func (r *Runtime) Name() string { return RuntimeName(r.Path) }

func (r *Runtime) command(ctx context.Context, args ...string) *exec.Cmd {
	global := []string{"--root", r.Root}
	for _, f := range r.Flags {
		global = append(global, "--"+strings.TrimLeft(f, "-"))
	}
	cmd := exec.CommandContext(ctx, r.Path, append(global, args...)...)
	// The runtime would answer systemd itself: scow's monitor does.
	// Nor are systemd's sockets its to pass (crun would take LISTEN_FDS):
	// the container's descriptors are given explicitly.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains([]string{"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"}, k)
	})
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

// Stdio are the container's standard streams for Create; Extra are its
// descriptors from 3 on, passed with the runtime's --preserve-fds.
type Stdio struct {
	In, Out, Err *os.File
	Extra        []*os.File
}

// Run creates and starts container id from the bundle in one runtime
// invocation, detached: the runtime exits once the container's process
// runs, and that process is handed to the nearest subreaper. With a
// terminal in the spec, console is the socket that receives its master.
// The process's PID is returned.
func (r *Runtime) Run(ctx context.Context, id, bundle string, stdio Stdio, console string) (int, error) {
	args := []string{"run", "--detach", "--bundle", bundle}
	if console != "" {
		args = append(args, "--console-socket", console)
	}
	return r.detached(ctx, bundle, id, args, stdio)
}

// Create creates container id from the bundle and leaves it waiting to
// be started (Start), with stdio and console as for Run; the runtime
// exits once the container's process waits. Between the two, the
// process's namespaces exist: a network namespace the runtime made can
// be set up. The process's PID is returned.
func (r *Runtime) Create(ctx context.Context, id, bundle string, stdio Stdio, console string) (int, error) {
	args := []string{"create", "--bundle", bundle}
	if console != "" {
		args = append(args, "--console-socket", console)
	}
	return r.detached(ctx, bundle, id, args, stdio)
}

// Start starts the process of container id, created by Create.
func (r *Runtime) Start(ctx context.Context, id string) error {
	return r.run(ctx, r.command(ctx, "start", id))
}

// Exec starts process in running container id, detached like Run, and
// returns its PID.
func (r *Runtime) Exec(ctx context.Context, id string, process *specs.Process, stdio Stdio, console string) (int, error) {
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
	args := []string{"exec", "--detach", "--process", procPath}
	if console != "" {
		args = append(args, "--console-socket", console)
	}
	return r.detached(ctx, dir, id, args, stdio)
}

// detached runs a runtime command that leaves a process running, with
// its PID file and log in dir, and returns the PID.
func (r *Runtime) detached(ctx context.Context, dir, id string, args []string, stdio Stdio) (int, error) {
	pidFile := filepath.Join(dir, "pid")
	// The runtime hands its stdio to the process, so its own messages
	// are read from its log.
	logPath := filepath.Join(dir, "runtime.log")
	os.Remove(logPath)
	os.Remove(pidFile)
	full := append([]string{"--log", logPath, "--log-format", "json"}, args...)
	if len(stdio.Extra) > 0 {
		full = append(full, "--preserve-fds", strconv.Itoa(len(stdio.Extra)))
	}
	cmd := r.command(ctx, append(full, "--pid-file", pidFile, id)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.In, stdio.Out, stdio.Err
	cmd.ExtraFiles = stdio.Extra
	run := cmd.Run
	if args[0] == "run" || args[0] == "create" {
		run = func() error { return runWithPersonality(cmd, bundlePersonality(dir)) }
	}
	if err := run(); err != nil {
		data, _ := os.ReadFile(logPath)
		return 0, r.error(args[:1], jsonLogErrors(data), err)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, fmt.Errorf("read pid of %s in container %s: %w", args[0], id, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("pid file of %s in container %s: %w", args[0], id, err)
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

// Pause freezes every process of container id; Resume thaws them.
func (r *Runtime) Pause(ctx context.Context, id string) error {
	return r.run(ctx, r.command(ctx, "pause", id))
}

// Resume thaws a container Pause froze.
func (r *Runtime) Resume(ctx context.Context, id string) error {
	return r.run(ctx, r.command(ctx, "resume", id))
}

// Update sets the cgroup limits of running container id to r.
func (r *Runtime) Update(ctx context.Context, id string, res *specs.LinuxResources) error {
	data, err := json.Marshal(res)
	if err != nil {
		return err
	}
	cmd := r.command(ctx, "update", "--resources", "-", id)
	cmd.Stdin = bytes.NewReader(data)
	return r.run(ctx, cmd)
}
