//go:build e2e

package tests

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// onPty is scow running on a pseudo-terminal that the test types into
// and reads, as a user at a terminal would.
type onPty struct {
	t        *testing.T
	cmd      *exec.Cmd
	ptm, pts *os.File
	// initial are the terminal's settings before scow ran.
	initial unix.Termios
	mu      sync.Mutex
	out     bytes.Buffer
	seen    int
	exited  chan struct{}
	code    int
}

// startPty runs scow with args on a new 30x100 terminal.
func (s *store) startPty(args ...string) *onPty {
	s.t.Helper()
	ptm, pts, err := pty.Open()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := pty.Setsize(ptm, &pty.Winsize{Rows: 30, Cols: 100}); err != nil {
		s.t.Fatal(err)
	}
	c := s.m.cmdIn(context.Background(), s.root, s.run, args...)
	c.Stdin, c.Stdout, c.Stderr = pts, pts, pts
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	// The terminal becomes scow's controlling terminal, as in a shell.
	c.SysProcAttr.Setsid, c.SysProcAttr.Setctty, c.SysProcAttr.Ctty = true, true, 0
	p := &onPty{t: s.t, cmd: c, ptm: ptm, pts: pts, exited: make(chan struct{})}
	p.initial = p.termios()
	if err := c.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptm.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		err := c.Wait()
		p.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			p.code = ee.ExitCode()
		}
		close(p.exited)
	}()
	s.t.Cleanup(func() {
		c.Process.Kill()
		<-p.exited
		ptm.Close()
		pts.Close()
	})
	return p
}

// expect waits for want in the output that follows the last expect.
func (p *onPty) expect(want string) {
	p.t.Helper()
	var got string
	ok := waitFor(30*time.Second, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		got = p.out.String()[p.seen:]
		if i := strings.Index(got, want); i >= 0 {
			p.seen += i + len(want)
			return true
		}
		return false
	})
	if !ok {
		p.t.Fatalf("%v: no %q in the terminal's output:\n%q", p.cmd.Args[5:], want, got)
	}
}

func (p *onPty) send(s string) {
	p.t.Helper()
	if _, err := p.ptm.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

// wait returns scow's exit code.
func (p *onPty) wait() int {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.code
	case <-time.After(60 * time.Second):
		p.mu.Lock()
		defer p.mu.Unlock()
		p.t.Fatalf("%v still runs; output:\n%q", p.cmd.Args[5:], p.out.String())
		return 0
	}
}

// wantExit fails the test unless scow exits with code.
func (p *onPty) wantExit(code int, what string) {
	p.t.Helper()
	if got := p.wait(); got != code {
		p.t.Fatalf("%s: scow exited %d, want %d", what, got, code)
	}
}

func (p *onPty) termios() unix.Termios {
	p.t.Helper()
	t, err := unix.IoctlGetTermios(int(p.pts.Fd()), unix.TCGETS)
	if err != nil {
		p.t.Fatal(err)
	}
	return *t
}

func TestInteractiveShell(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		p := s.startPty("run", "-it", "--name", "sh1", "busybox", "sh")
		before := p.initial
		p.expect("# ")
		if raw := p.termios(); raw.Lflag&unix.ECHO != 0 || raw.Lflag&unix.ICANON != 0 {
			t.Errorf("the terminal is not raw while attached: lflag %#x", raw.Lflag)
		}
		p.send("echo $((6*7)) $TERM\r")
		p.expect("42 xterm")
		p.send("stty size\r")
		p.expect("30 100")
		// A resize reaches the container.
		pty.Setsize(p.ptm, &pty.Winsize{Rows: 40, Cols: 120})
		time.Sleep(200 * time.Millisecond)
		p.send("stty size\r")
		p.expect("40 120")
		// Ctrl-C reaches the container's foreground process, not scow.
		p.send("sleep 100\r")
		time.Sleep(300 * time.Millisecond)
		p.send("\x03")
		p.send("echo after-interrupt\r")
		p.expect("after-interrupt")
		// Ctrl-P Ctrl-Q detaches and leaves the shell running.
		p.send("\x10\x11")
		p.wantExit(0, "detach")
		if after := p.termios(); after != before {
			t.Errorf("terminal not restored after detach:\n%+v\n%+v", before, after)
		}
		if got := s.must("ps", "--format", "{{.Names}} {{.State}}"); got != "sh1 running\n" {
			t.Fatalf("after detach: %q", got)
		}
		// Attach again and carry on.
		p = s.startPty("attach", "sh1")
		p.send("echo again\r")
		p.expect("again")
		p.send("exit 7\r")
		p.wantExit(7, "exit 7 in the shell")
		if got := s.must("inspect", "--format", "{{.Config.Tty}} {{.Config.OpenStdin}}", "sh1"); got != "true true\n" {
			t.Errorf("inspect Tty, OpenStdin: %q", got)
		}
		// What the terminal showed is in the log.
		if logs := s.must("logs", "sh1"); !strings.Contains(logs, "42 xterm") || !strings.Contains(logs, "again") {
			t.Errorf("logs of a terminal container: %q", logs)
		}
		s.must("rm", "sh1")
	})
}

func TestDetachKeys(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		p := s.startPty("run", "-it", "--rm", "--detach-keys", "ctrl-a,x", "--name", "dk", "busybox", "sh")
		p.expect("# ")
		// The default keys are no longer special; a lone ctrl-a passes.
		p.send("\x10\x11echo still\r")
		p.expect("still")
		p.send("\x01x")
		p.wantExit(0, "detach with ctrl-a,x")
		// Detached from start -ai too, with the keys of that command.
		p = s.startPty("attach", "--detach-keys", "ctrl-]", "dk")
		p.send("echo back\r")
		p.expect("back")
		p.send("\x1d")
		p.wantExit(0, "detach with ctrl-]")
		// Without keys, nothing detaches.
		p = s.startPty("attach", "--detach-keys", "", "dk")
		p.send("\x10\x11\x01x\r")
		p.send("exit 3\r")
		p.wantExit(3, "with no detach keys")
		wantError(t, s.scow("run", "-it", "--detach-keys", "ctrl-1", "busybox", "true"), 125, "ctrl-1")
		if n := containerCount(t, s.root); n != 0 {
			t.Errorf("%d containers left", n)
		}
	})
}

func TestExecInteractive(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "-d", "--name", "ex", "busybox", "sleep", "300")
		p := s.startPty("exec", "-it", "ex", "sh")
		p.expect("# ")
		p.send("tty; stty size\r")
		p.expect("/dev/pts/")
		p.expect("30 100")
		p.send("exit 5\r")
		p.wantExit(5, "exec -it, exit 5")
		// Detach from an exec: its process goes on.
		p = s.startPty("exec", "-it", "ex", "sh", "-c", "echo ready; sleep 200")
		p.expect("ready")
		p.send("\x10\x11")
		p.wantExit(0, "detach from exec")
		if top := s.must("top", "ex"); !strings.Contains(top, "sleep 200") {
			t.Errorf("the detached exec is gone:\n%s", top)
		}
		// Piped stdin, with and without a terminal for the process.
		if r := s.scowStdin("through exec\n", "exec", "-i", "ex", "cat"); r.code != 0 || r.stdout != "through exec\n" {
			t.Errorf("exec -i: %s", r)
		}
		if r := s.scowStdin("no input\n", "exec", "ex", "cat"); r.code != 0 || r.stdout != "" {
			t.Errorf("exec without -i saw input: %s", r)
		}
		if r := s.scowStdin("typed\n", "exec", "-it", "ex", "cat"); r.code != 0 || !strings.Contains(r.stdout, "typed") {
			t.Errorf("exec -it with piped input: %s", r)
		}
		if r := s.scowStdin("typed\n", "run", "--rm", "-it", "busybox", "cat"); r.code != 0 || !strings.Contains(r.stdout, "typed") {
			t.Errorf("run -it with piped input: %s", r)
		}
		wantError(t, s.scow("exec", "-it", "ex", "/nosuch"), 127, "nosuch")
		s.must("stop", "-t", "0", "ex")
		wantError(t, s.scow("exec", "-it", "ex", "sh"), 125, "not running")
		wantError(t, s.scow("attach", "ex"), 125, "not running")
		wantError(t, s.scow("attach", "nosuch"), 125, "nosuch")
		s.must("rm", "ex")
	})
}

func TestTerminalRestoredOnSignals(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		// Without --sig-proxy, SIGTERM ends scow, not the container.
		p := s.startPty("run", "-it", "--sig-proxy=false", "--name", "sp", "busybox", "sh")
		before := p.initial
		p.expect("# ")
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.wantExit(143, "SIGTERM without --sig-proxy")
		if after := p.termios(); after != before {
			t.Errorf("terminal not restored after SIGTERM:\n%+v\n%+v", before, after)
		}
		if got := s.must("ps", "--format", "{{.Names}}"); got != "sp\n" {
			t.Errorf("the container must run on: %q", got)
		}
		s.must("rm", "-f", "-t", "0", "sp")
		// With it, the container gets the signal and its exit is scow's.
		p = s.startPty("run", "-it", "--rm", "busybox", "sh", "-c", `trap "exit 3" TERM; echo trapped; while :; do sleep 0.1; done`)
		before = p.initial
		p.expect("trapped")
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.wantExit(3, "SIGTERM proxied to a trap")
		if after := p.termios(); after != before {
			t.Errorf("terminal not restored:\n%+v\n%+v", before, after)
		}
	})
}

func TestInit(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		// The orphan's parent never waits; with an init as PID 1 it is
		// reaped all the same.
		s.must("run", "-d", "--init", "--name", "in", "busybox", "sh", "-c", `sh -c "sleep 0.3 & exec true"; touch /tmp/ready; exec sleep 300`)
		if !waitFor(10*time.Second, func() bool { return s.scow("exec", "in", "test", "-e", "/tmp/ready").code == 0 }) {
			t.Fatal("the container never got ready")
		}
		time.Sleep(time.Second)
		if ps := s.must("exec", "in", "ps", "-o", "pid,stat,comm"); strings.Contains(ps, " Z ") || strings.Contains(ps, "defunct") {
			t.Errorf("a zombie under --init:\n%s", ps)
		}
		if got := s.must("inspect", "--format", "{{.HostConfig.Init}}", "in"); got != "true\n" {
			t.Errorf("inspect Init: %q", got)
		}
		// SIGTERM reaches sleep through the init: no wait for SIGKILL.
		s.must("stop", "-t", "60", "in")
		if code := s.must("inspect", "--format", "{{.State.ExitCode}}", "in"); code != "143\n" {
			t.Errorf("stopped with --init: exit %q, want 143 (SIGTERM)", code)
		}
		s.must("rm", "in")
		wantError(t, s.scow("run", "--rm", "--init-path", "/nonexistent/init", "busybox", "true"), 125, "/nonexistent/init")
		if n := containerCount(t, s.root); n != 0 {
			t.Errorf("%d containers left", n)
		}
	})
}

// lineReader collects a process's output lines as they come.
type lineReader struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineReader) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		l.mu.Unlock()
	}
}

func (l *lineReader) has(line string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.lines {
		if x == line {
			return true
		}
	}
	return false
}

func TestAttachNonTTY(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "-d", "-i", "--name", "echoer", "busybox", "sh", "-c", `while read x; do echo "got $x"; echo "err $x" >&2; done; echo bye`)
		// A watcher without stdin and a writer: both see the same output.
		watch := s.m.cmdIn(context.Background(), s.root, s.run, "attach", "--no-stdin", "echoer")
		var watched lineReader
		wout, _ := watch.StdoutPipe()
		werr := &bytes.Buffer{}
		watch.Stderr = werr
		if err := watch.Start(); err != nil {
			t.Fatal(err)
		}
		go watched.read(wout)
		write := s.m.cmdIn(context.Background(), s.root, s.run, "attach", "--sig-proxy=false", "echoer")
		in, _ := write.StdinPipe()
		var wrote lineReader
		out, _ := write.StdoutPipe()
		if err := write.Start(); err != nil {
			t.Fatal(err)
		}
		go wrote.read(out)
		// Once the watcher sees a line it is surely attached.
		for i := 0; !watched.has(fmt.Sprintf("got %d", i-1)); i++ {
			if i > 300 {
				t.Fatal("the watcher saw nothing")
			}
			fmt.Fprintf(in, "%d\n", i)
			time.Sleep(100 * time.Millisecond)
		}
		fmt.Fprintln(in, "final")
		if !waitFor(10*time.Second, func() bool { return watched.has("got final") && wrote.has("got final") }) {
			t.Errorf("not both attaches saw the last line: %v / %v", watched.lines, wrote.lines)
		}
		if !strings.Contains(werr.String(), "err final") && !waitFor(5*time.Second, func() bool { return strings.Contains(werr.String(), "err final") }) {
			t.Errorf("stderr of attach: %q", werr.String())
		}
		// Detach keys are for terminals: piped input passes whole.
		in.Write([]byte{0x10, 0x11, '\n'})
		if !waitFor(10*time.Second, func() bool { return watched.has("got \x10\x11") }) {
			t.Errorf("the detach keys did not pass in piped input: %q", watched.lines)
		}
		// Without --sig-proxy a signal ends the attach, not the container.
		write.Process.Signal(syscall.SIGTERM)
		if write.Wait(); write.ProcessState.ExitCode() != 143 {
			t.Errorf("attach --sig-proxy=false after SIGTERM: exit %d", write.ProcessState.ExitCode())
		}
		if got := s.must("ps", "--format", "{{.Names}}"); got != "echoer\n" {
			t.Errorf("after an attach left: %q", got)
		}
		s.must("stop", "-t", "1", "echoer")
		watch.Wait()
		if watch.ProcessState.ExitCode() != 137 {
			t.Errorf("attach ends with the container's code: %d", watch.ProcessState.ExitCode())
		}
		// start -ai: the caller's stdin, its end closing the container's.
		s.must("create", "-i", "--name", "cat", "busybox", "cat")
		if r := s.scowStdin("via start\n", "start", "-ai", "cat"); r.code != 0 || r.stdout != "via start\n" {
			t.Errorf("start -ai: %s", r)
		}
		s.must("rm", "echoer", "cat")
	})
}
