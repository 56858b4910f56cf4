package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// attachFlags are the flags of commands that attach to a process.
func attachFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "detach-keys", Value: attach.DefaultDetachKeys, Usage: "keys that detach and leave the container running (\"\" disables)"},
		&cli.BoolFlag{Name: "sig-proxy", Value: true, Usage: "forward received signals to the process"},
	}
}

// preserveFlags pass the CLI's own descriptors to a process.
func preserveFlags() []cli.Flag {
	return []cli.Flag{
		&cli.UintFlag{Name: "preserve-fds", Usage: "pass descriptors 3 to 3+N-1 of scow to the process"},
		&cli.StringSliceFlag{Name: "preserve-fd", Usage: "pass these descriptors of scow (FD1[,FD2...]) to the process under the same numbers; the gaps below them are /dev/null"},
	}
}

// inherited are the descriptors from 3 up that scow was started with,
// which keepInherited made close-on-exec: none reaches a monitor or a
// helper (a pipe whose reader waits for its end would wait for the
// container's), unless --preserve-fds passes it.
var inherited = map[int]bool{}

// keepInherited finds the descriptors scow inherited (those without
// close-on-exec: Go and scow's constructor open theirs with it) and marks
// them close-on-exec.
func keepInherited() {
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < 3 {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			inherited[fd] = true
			unix.CloseOnExec(fd)
		}
	}
}

// preservedFiles are the descriptors --preserve-fds and --preserve-fd
// pass, from fd 3 on, nil for a gap. Each must have been inherited.
func preservedFiles(c *cli.Context) ([]*os.File, error) {
	var fds []int
	count := int(c.Uint("preserve-fds"))
	if n := activationFDs(); n > count {
		count = n // systemd's sockets go through
	}
	for fd := 3; fd < 3+count; fd++ {
		fds = append(fds, fd)
		if !inherited[fd] {
			break // reported below
		}
	}
	for _, v := range c.StringSlice("preserve-fd") {
		for _, one := range strings.Split(v, ",") {
			fd, err := strconv.Atoi(strings.TrimSpace(one))
			if err != nil || fd < 3 {
				return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--preserve-fd %q: give descriptor numbers from 3 on", one))
			}
			fds = append(fds, fd)
		}
	}
	if len(fds) == 0 {
		return nil, nil
	}
	files := make([]*os.File, slices.Max(fds)-2)
	for _, fd := range fds {
		if !inherited[fd] {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("descriptor %d to preserve is not open: open it for scow (%d>file)", fd, fd))
		}
		if files[fd-3] == nil {
			files[fd-3] = os.NewFile(uintptr(fd), "fd"+strconv.Itoa(fd))
		}
	}
	return files, nil
}

// activationFDs is how many sockets systemd passed scow (socket
// activation: LISTEN_FDS, for this process's LISTEN_PID), from fd 3 on.
func activationFDs() int {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return 0
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// activationEnv is what tells the container's init, PID 1, of the
// sockets systemd passed.
func activationEnv() []string {
	n := activationFDs()
	if n == 0 {
		return nil
	}
	env := []string{"LISTEN_FDS=" + strconv.Itoa(n), "LISTEN_PID=1"}
	if names, ok := os.LookupEnv("LISTEN_FDNAMES"); ok {
		env = append(env, "LISTEN_FDNAMES="+names)
	}
	return env
}

// forwardedSignals reach an attached process, as with Docker.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// streams are the CLI's own stdio for an attach, stdin only if asked,
// with its terminal and the signals it receives from now on.
func streams(c *cli.Context, stdin bool) (attach.Streams, error) {
	keys, err := attach.ParseDetachKeys(c.String("detach-keys"))
	if err != nil {
		return attach.Streams{}, err
	}
	s := attach.Streams{Out: os.Stdout, Err: os.Stderr, DetachKeys: keys, SigProxy: c.Bool("sig-proxy")}
	if stdin {
		s.In = os.Stdin
	}
	if isTerminal(os.Stdin) || isTerminal(os.Stdout) {
		s.Terminal = cliTerminal{}
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwardedSignals...)
	// A closed stdout must not kill the CLI in the middle of cleanup.
	signal.Ignore(syscall.SIGPIPE)
	s.Signals = sigs
	return s, nil
}

// isTerminal tells whether f is a terminal.
func isTerminal(f *os.File) bool { return f != nil && term.IsTerminal(int(f.Fd())) }

// isTerminalWriter tells whether w is a terminal: no place for an
// archive.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// cliTerminal is the terminal the CLI runs in: its stdin, or else its
// stdout for the size.
type cliTerminal struct{}

func (cliTerminal) Size() (rows, cols uint16) {
	for _, f := range []*os.File{os.Stdin, os.Stdout} {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
			return ws.Row, ws.Col
		}
	}
	return 0, 0
}

// MakeRaw sets stdin raw, when it is the terminal, and tells of each
// SIGWINCH until restored; the caller's terminal is restored whatever
// happens short of SIGKILL.
func (cliTerminal) MakeRaw() (restore func(), resized <-chan struct{}, err error) {
	if !isTerminal(os.Stdin) {
		return func() {}, nil, nil
	}
	fd := int(os.Stdin.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, nil, err
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	out := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for {
			select {
			case <-winch:
				select {
				case out <- struct{}{}:
				default:
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(winch)
		close(done)
		term.Restore(fd, old)
	}, out, nil
}
