package main

import (
	"fmt"
	"io"
	"maps"
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

// preservedFiles are the descriptors --preserve-fds and --preserve-fd
// pass, from fd 3 on, nil for a gap. Each must have been inherited: one
// scow opened itself is close-on-exec.
func preservedFiles(c *cli.Context) ([]*os.File, error) {
	want := map[int]bool{}
	for fd := 3; fd < 3+int(c.Uint("preserve-fds")); fd++ {
		want[fd] = true
	}
	for _, v := range c.StringSlice("preserve-fd") {
		for _, one := range strings.Split(v, ",") {
			fd, err := strconv.Atoi(strings.TrimSpace(one))
			if err != nil || fd < 3 {
				return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--preserve-fd %q: give descriptor numbers from 3 on", one))
			}
			want[fd] = true
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	files := make([]*os.File, slices.Max(slices.Collect(maps.Keys(want)))-2)
	for fd := range want {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("descriptor %d to preserve is not open: open it for scow (%d>file)", fd, fd))
		}
		files[fd-3] = os.NewFile(uintptr(fd), "fd"+strconv.Itoa(fd))
	}
	return files, nil
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
