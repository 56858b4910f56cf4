//go:build e2e

package tests

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// notifySocket is a systemd notify socket the test listens on: what
// scow sends arrives on the channel.
func notifySocket(t *testing.T, m *mode) (string, <-chan string) {
	t.Helper()
	dir := m.userDir(t)
	os.Chmod(dir, 0o777)
	path := filepath.Join(dir, "notify.sock")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o777)
	t.Cleanup(func() { l.Close() })
	got := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := l.ReadFromUnix(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	return path, got
}

// next waits for the next message, "" after d.
func next(got <-chan string, d time.Duration) string {
	select {
	case msg := <-got:
		return msg
	case <-time.After(d):
		return ""
	}
}

// TestSdNotify: under a notify unit (NOTIFY_SOCKET) the monitor says
// READY=1 once the container runs, with its own PID as MAINPID when the
// CLI is gone (-d), and without when a foreground CLI stays the main
// process; healthy waits for the first passed check; container relays
// what the container says; ignore says nothing.
func TestSdNotify(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		sock, got := notifySocket(t, m)
		env := []string{"NOTIFY_SOCKET=" + sock}
		run := func(args ...string) string {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := m.cmdEnv(ctx, s.root, s.run, env, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("scow %s: %v: %s", strings.Join(args, " "), err, out)
			}
			return string(out)
		}
		run("run", "-d", "--name", "detached", "busybox", "sleep", "300")
		msg := next(got, 10*time.Second)
		monitor := strings.TrimSpace(s.must("inspect", "--format", "{{.State.ConmonPid}}", "detached"))
		if msg != "MAINPID="+monitor+"\nREADY=1" {
			t.Errorf("a detached run told %q, want MAINPID=%s and READY=1", msg, monitor)
		}
		if pid, _ := strconv.Atoi(monitor); pid > 0 {
			if cmdline, _ := os.ReadFile("/proc/" + monitor + "/cmdline"); !strings.Contains(string(cmdline), "scow") {
				t.Errorf("MAINPID %s is not the monitor on the host: %q", monitor, cmdline)
			}
		}
		if out := run("run", "--rm", "busybox", "echo", "fg"); out != "fg\n" {
			t.Errorf("a foreground run printed %q", out)
		}
		if msg := next(got, 10*time.Second); msg != "READY=1" {
			t.Errorf("a foreground run told %q, want READY=1 alone", msg)
		}
		run("run", "-d", "--sdnotify", "ignore", "busybox", "sleep", "300")
		if msg := next(got, 2*time.Second); msg != "" {
			t.Errorf("--sdnotify ignore told %q", msg)
		}
		run("run", "-d", "--name", "hc", "--sdnotify", "healthy", "--health-cmd", "test -e /tmp/ok", "--health-interval", "1s", "busybox", "sleep", "300")
		if msg := next(got, 10*time.Second); !strings.HasPrefix(msg, "MAINPID=") || strings.Contains(msg, "READY") {
			t.Errorf("--sdnotify healthy at start told %q, want its MAINPID alone", msg)
		}
		if msg := next(got, 2500*time.Millisecond); msg != "" {
			t.Errorf("--sdnotify healthy told %q before a check passed", msg)
		}
		s.must("exec", "hc", "touch", "/tmp/ok")
		if msg := next(got, 10*time.Second); !strings.HasSuffix(msg, "READY=1") {
			t.Errorf("--sdnotify healthy after a passed check: %q", msg)
		}
		wantError(t, s.scow("create", "--sdnotify", "loud", "busybox"), 125, "--sdnotify")
		wantError(t, s.scow("create", "--sdnotify", "healthy", "busybox"), 125, "no healthcheck")
		if suite.debian == "" {
			return
		}
		// container: the container's own message, through the relay.
		debianImage(t, s)
		perl := `use Socket; socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die; send($s, "STATUS=warming\nMAINPID=1\nREADY=1", 0, sockaddr_un($ENV{NOTIFY_SOCKET})) or die "$!"; sleep 300`
		run("run", "-d", "--name", "ctr", "--sdnotify", "container", "localhost/debian:12", "perl", "-e", perl)
		if msg := next(got, 10*time.Second); !strings.HasPrefix(msg, "MAINPID=") {
			t.Errorf("--sdnotify container: first %q, want the monitor's MAINPID", msg)
		}
		if msg := next(got, 10*time.Second); msg != "STATUS=warming\nREADY=1" {
			t.Errorf("--sdnotify container relayed %q", msg)
		}
		s.must("rm", "-a", "-f", "-t", "0")
	})
}

// TestSocketActivation: the sockets systemd passes scow (LISTEN_FDS for
// its LISTEN_PID) reach the container from fd 3, with LISTEN_FDS and
// LISTEN_PID=1, and the container serves on the inherited socket.
func TestSocketActivation(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		f, err := l.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		activated := func(ctx context.Context, args ...string) *exec.Cmd {
			c := m.cmdEnv(ctx, s.root, s.run, []string{"LISTEN_FDS=1", "LISTEN_FDNAMES=web"}, args...)
			// systemd sets LISTEN_PID to the PID it execs: the shell's.
			c.Args = append([]string{"sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`}, c.Args...)
			c.Path = "/bin/sh"
			c.ExtraFiles = []*os.File{f}
			return c
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := activated(ctx, "run", "--rm", "busybox", "sh", "-c", `echo $LISTEN_FDS $LISTEN_PID $LISTEN_FDNAMES; readlink /proc/self/fd/3 | cut -c1-7`).CombinedOutput()
		if err != nil || string(out) != "1 1 web\nsocket:\n" {
			t.Errorf("an activated run: %q (%v)", out, err)
		}
		if suite.debian == "" {
			return
		}
		debianImage(t, s)
		serve := `use IO::Socket; my $l = IO::Socket->new_from_fd(3, "r") or die "$!"; my $c = $l->accept or die "$!"; print $c "served by the container\n"; close $c`
		run := activated(ctx, "run", "--rm", "localhost/debian:12", "perl", "-e", serve)
		var runOut lockedOutput
		run.Stdout, run.Stderr = &runOut, &runOut
		if err := run.Start(); err != nil {
			t.Fatal(err)
		}
		conn, err := net.DialTimeout("tcp", l.Addr().String(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		reply, _ := io.ReadAll(conn)
		conn.Close()
		if err := run.Wait(); err != nil || string(reply) != "served by the container\n" {
			t.Errorf("the container's reply on the passed socket: %q (%v: %s)", reply, err, runOut.String())
		}
	})
}

// TestSystemBoot: after a simulated reboot (every process of the store
// killed, its mounts gone, the run root wiped), system boot starts
// exactly the containers of --restart always and of unless-stopped that
// the user did not stop, and a second system boot changes nothing; the
// units make install puts in place pass systemd-analyze verify.
func TestSystemBoot(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		for name, policy := range map[string]string{"always": "always", "unless": "unless-stopped", "stopped": "unless-stopped", "none": "no", "onfail": "on-failure"} {
			s.must("run", "-d", "--name", name, "--network", "none", "--restart", policy, "busybox", "sleep", "300")
		}
		s.must("stop", "-t", "0", "stopped")
		var pids []string
		for _, name := range []string{"always", "unless", "none", "onfail"} {
			pids = append(pids, strings.Fields(s.must("inspect", "--format", "{{.State.ConmonPid}} {{.State.Pid}}", name))...)
		}
		// The reboot: processes, mounts and the run root go.
		if m.rootless {
			exec.Command("pkill", "-9", "-U", strconv.Itoa(m.uid)).Run()
		} else {
			for _, p := range pids {
				if pid, _ := strconv.Atoi(p); pid > 0 {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		time.Sleep(500 * time.Millisecond)
		unmountUnder(t, s.root, s.run)
		st, err := os.Stat(s.run)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(s.run); err != nil {
			t.Fatal(err)
		}
		os.Mkdir(s.run, st.Mode().Perm())
		os.Chown(s.run, m.uid, m.gid)

		out := s.must("system", "boot")
		if n := strings.Count(out, "\n"); n != 2 {
			t.Errorf("system boot started %d containers, want 2: %q", n, out)
		}
		state := func() string {
			return s.must("ps", "-a", "--sort", "names", "--format", "{{.Names}}={{.State}}")
		}
		want := "always=running\nnone=exited\nonfail=exited\nstopped=exited\nunless=running\n"
		if got := state(); got != want {
			t.Errorf("after system boot:\n%s\nwant\n%s", got, want)
		}
		first := s.must("inspect", "--format", "{{.State.Pid}}", "always")
		if out := s.must("system", "boot"); out != "" || s.must("inspect", "--format", "{{.State.Pid}}", "always") != first {
			t.Errorf("a second system boot did something: %q", out)
		}
		s.must("rm", "-a", "-f", "-t", "0")
		// The units, as make install writes them, for this binary.
		for _, unit := range []string{"scow-restart.service", "scow-restart.user.service"} {
			data, err := os.ReadFile(filepath.Join("..", "hack", "systemd", unit))
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), strings.Replace(unit, ".user", "", 1))
			os.WriteFile(p, []byte(strings.ReplaceAll(string(data), "@BINDIR@", filepath.Dir(suite.binary))), 0o644)
			verifyUnit(t, p)
		}
	})
}

// unmountUnder unmounts, deepest first, what is mounted under the dirs:
// what a reboot takes away.
func unmountUnder(t *testing.T, dirs ...string) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		for _, d := range dirs {
			if strings.HasPrefix(f[4], d+"/") {
				points = append(points, f[4])
			}
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}

// TestForegroundStop: a foreground run is a unit's main process; the
// SIGTERM that stops the unit stops the container within its stop
// timeout even when it ignores SIGTERM, and the run's exit status is the
// container's.
func TestForegroundStop(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for _, tc := range []struct {
			script string
			code   int
		}{{`trap "" TERM; echo up; while :; do sleep 1; done`, 137}, {`trap "exit 3" TERM; echo up; while :; do sleep 1; done`, 3}} {
			run := m.cmdIn(ctx, s.root, s.run, "run", "--rm", "--stop-timeout", "2", "busybox", "sh", "-c", tc.script)
			var out lockedOutput
			run.Stdout = &out
			if err := run.Start(); err != nil {
				t.Fatal(err)
			}
			if !waitFor(20*time.Second, func() bool { return strings.Contains(out.String(), "up") }) {
				t.Fatalf("the container did not start: %q", out.String())
			}
			run.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- run.Wait() }()
			select {
			case err := <-done:
				if code := run.ProcessState.ExitCode(); code != tc.code {
					t.Errorf("%s: exit %d (%v), want %d", tc.script, code, err, tc.code)
				}
			case <-time.After(30 * time.Second):
				run.Process.Kill()
				t.Fatalf("%s: SIGTERM did not stop the foreground run", tc.script)
			}
		}
		if got := s.must("ps", "-a", "-q"); got != "" {
			t.Errorf("--rm containers left: %q", got)
		}
	})
}

// TestGenerateSystemd: the units of generate systemd pass systemd-analyze
// verify, and the commands of a --new unit, run as systemd would, create
// the container afresh and remove it.
func TestGenerateSystemd(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "-d", "--name", "web", "--restart", "always", "-e", "GREETING=hello world", "--label", "app=web", "-dit", "busybox", "sh", "-c", "echo $GREETING; sleep 300")
		dir := m.userDir(t)
		units := map[string]string{
			"new":   s.must("generate", "systemd", "--new", "--name", "--restart-sec", "5", "--after", "x.target", "--env", "MSG=two words", "web"),
			"start": s.must("generate", "systemd", "--name", "web"),
		}
		for kind, text := range units {
			p := filepath.Join(dir, kind, "container-web.service")
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(text), 0o644)
			verifyUnit(t, p)
			// generate is the full scow's (scow-full), which the light
			// scow runs in its place: the unit runs the scow the user ran.
			if !strings.Contains(text, "ExecStart="+suite.binary+" ") {
				t.Errorf("the %s unit does not start with %s: %s", kind, suite.binary, text)
			}
		}
		spec := strings.NewReplacer("%t", dir, "%n", "container-web.service")
		exec := func(text, key string) {
			t.Helper()
			runUnitCommand(t, m, s, text, key, spec)
		}
		old := s.must("inspect", "--format", "{{.Id}}", "web")
		// -dit: -d goes, the terminal stays.
		exec(units["new"], "ExecStart")
		if got := s.must("inspect", "--format", "{{.Id}} {{.State.Status}} {{.Config.Labels.app}}", "web"); got == old || !strings.HasSuffix(got, " running web\n") {
			t.Errorf("ExecStart of the --new unit: %q (the old one was %q)", got, old)
		}
		if !waitFor(10*time.Second, func() bool { return s.must("logs", "web") == "hello world\r\n" }) {
			t.Errorf("the --new unit's container: logs %q", s.must("logs", "web"))
		}
		wantError(t, s.scow("generate", "systemd", "--restart-policy", "sometimes", "web"), 125, "--restart-policy")
		exec(units["new"], "ExecStop")
		exec(units["new"], "ExecStopPost")
		if got := s.must("ps", "-a", "-q"); got != "" {
			t.Errorf("ExecStop and ExecStopPost left %q", got)
		}
		// Started again, as a restart of the unit does: the cidfile went
		// with the container.
		exec(units["new"], "ExecStart")
		if got := s.must("inspect", "--format", "{{.State.Status}}", "web"); got != "running\n" {
			t.Errorf("a second ExecStart: %q", got)
		}
		exec(units["new"], "ExecStop")
		exec(units["new"], "ExecStopPost")
		if !strings.Contains(units["new"], "RestartSec=5\n") || !strings.Contains(units["new"], "After=x.target\n") || !strings.Contains(units["new"], "Environment=\"MSG=two words\"\n") {
			t.Errorf("--restart-sec, --after:\n%s", units["new"])
		}
		wantError(t, s.scow("generate", "systemd", "nosuch"), 125, "nosuch")
		wantError(t, s.scow("generate", "systemd", "--format", "yaml", "web"), 125, "only json")
		wantError(t, s.scow("quadlet"), 125, "--dryrun")
	})
}

// TestGenerateSystemdPod: generate systemd of a pod writes the pod's
// unit and its containers', which pass verify; run as systemd would, the
// --new ones make the pod and its container afresh and remove them, the
// others start and stop what is there.
func TestGenerateSystemdPod(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		port := freeHostPort(t)
		s.must("pod", "create", "--name", "shop", "-p", fmt.Sprintf("127.0.0.1:%d:8080", port), "--label", "team=b")
		s.must("create", "--pod", "shop", "--name", "web", "busybox", "sh", "-c", webServer("pod-unit", 8080))
		dir := m.userDir(t)
		c := m.cmdIn(context.Background(), s.root, s.run, "generate", "systemd", "--new", "--name", "--files", "shop")
		c.Dir = dir
		out, err := c.CombinedOutput()
		if err != nil || string(out) != filepath.Join(dir, "pod-shop.service")+"\n"+filepath.Join(dir, "container-web.service")+"\n" {
			t.Fatalf("generate systemd --files of a pod: %v: %s", err, out)
		}
		units := map[string]string{}
		for _, name := range []string{"pod-shop.service", "container-web.service"} {
			data, _ := os.ReadFile(filepath.Join(dir, name))
			units[name] = string(data)
			verifyUnit(t, filepath.Join(dir, name))
		}
		if !strings.Contains(units["pod-shop.service"], "Requires=container-web.service") || !strings.Contains(units["container-web.service"], "BindsTo=pod-shop.service") {
			t.Errorf("the units are not bound:\n%s\n%s", units["pod-shop.service"], units["container-web.service"])
		}
		run := func(name, key string) {
			t.Helper()
			runUnitCommand(t, m, s, units[name], key, strings.NewReplacer("%t", dir, "%n", name))
		}
		s.must("pod", "rm", "-f", "-t", "0", "shop")
		run("pod-shop.service", "ExecStartPre")
		run("pod-shop.service", "ExecStart")
		run("container-web.service", "ExecStart")
		if got := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "pod-unit\n" {
			t.Errorf("the --new pod's port: %q", got)
		}
		if got := s.must("pod", "inspect", "--format", "{{.Name}} {{.Labels}} {{.NumContainers}} {{.ExitPolicy}}", "shop"); got != "shop map[team:b] 2 stop\n" {
			t.Errorf("the pod the --new unit made: %q", got)
		}
		run("container-web.service", "ExecStop")
		run("container-web.service", "ExecStopPost")
		run("pod-shop.service", "ExecStop")
		run("pod-shop.service", "ExecStopPost")
		if got := s.must("pod", "ps", "-q") + s.must("ps", "-aq"); got != "" {
			t.Errorf("left after the units' stops: %q", got)
		}
		// Without --new: the units start and stop the pod that is there.
		s.must("pod", "create", "--name", "shop")
		s.must("create", "--pod", "shop", "--name", "web", "busybox", "sleep", "600")
		text := s.must("generate", "systemd", "--name", "--pod-prefix", "p", "shop")
		if !strings.HasPrefix(text, "# p-shop.service\n") || !strings.Contains(text, "# container-web.service\n") {
			t.Errorf("generate systemd --pod-prefix:\n%s", text)
		}
		p := strings.SplitN(text, "\n\n# container-web.service", 2)[0]
		runUnitCommand(t, m, s, p, "ExecStart", strings.NewReplacer("%t", dir, "%n", "p-shop.service"))
		if got := s.must("pod", "ps", "--format", "{{.Status}}"); got != "Degraded\n" {
			t.Errorf("the pod unit's ExecStart starts the infra container: %q", got)
		}
		wantError(t, s.scow("generate", "systemd", "--new", "nosuchpod"), 125, "nosuchpod")
	})
}

// verifyUnit checks a unit file with systemd-analyze verify, which CI
// must have (systemd is installed, if not PID 1).
func verifyUnit(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is missing")
		}
		t.Log("systemd-analyze is not installed: units not verified")
		return
	}
	if out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput(); err != nil || len(out) > 0 {
		data, _ := os.ReadFile(path)
		t.Errorf("systemd-analyze verify %s: %v: %s\n%s", path, err, out, data)
	}
}

// runUnitCommand runs the command of key= in a unit's text as systemd
// would, as the mode's user: its specifiers replaced by spec, in its
// WorkingDirectory=, a leading - (failure ignored) taken off.
func runUnitCommand(t *testing.T, m *mode, s *store, text, key string, spec *strings.Replacer) {
	t.Helper()
	var cmdline, dir string
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok && cmdline == "" {
			cmdline = spec.Replace(strings.TrimPrefix(v, "-"))
		}
		if v, ok := strings.CutPrefix(l, "WorkingDirectory="); ok {
			dir = v
		}
	}
	if cmdline == "" {
		t.Fatalf("no %s= in\n%s", key, text)
	}
	args := unitWords(cmdline)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := m.cmdIn(ctx, s.root, s.run)
	c.Path, c.Args, c.Dir = args[0], args, cmp.Or(dir, c.Dir)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", key, err, out)
	}
}

// unitWords splits a unit's command line as systemd does: words, double
// quotes with backslash escapes, $$ for $.
func unitWords(line string) []string {
	var words []string
	var w strings.Builder
	in, started := false, false
	for i := 0; i < len(line); i++ {
		switch ch := line[i]; {
		case ch == '\\' && in && i+1 < len(line):
			i++
			w.WriteByte(line[i])
		case ch == '"':
			in, started = !in, true
		case ch == '$' && i+1 < len(line) && line[i+1] == '$':
			i++
			w.WriteByte('$')
			started = true
		case ch == ' ' && !in:
			if started {
				words = append(words, w.String())
				w.Reset()
				started = false
			}
		default:
			w.WriteByte(ch)
			started = true
		}
	}
	if started {
		words = append(words, w.String())
	}
	return words
}

// TestQuadlet: Quadlet files become units (scow quadlet, as systemd's
// generator runs it) that pass systemd-analyze verify, with the links
// their [Install] asks for; their commands, run as systemd would, make
// the volume and run the container on it, and remove the container.
func TestQuadlet(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		files := m.userDir(t)
		out := m.userDir(t)
		os.WriteFile(filepath.Join(files, "web.container"), []byte(`[Unit]
Description=a web server
[Container]
Image=busybox
Exec=sh -c "echo $$GREETING > /data/greeting; sleep 300"
Environment=GREETING="hello quadlet"
Volume=data.volume:/data
Label=app=web
[Service]
TimeoutStartSec=60
[Install]
WantedBy=default.target
`), 0o644)
		os.WriteFile(filepath.Join(files, "data.volume"), []byte("[Volume]\nLabel=kind=data\n"), 0o644)
		os.WriteFile(filepath.Join(files, "broken.container"), []byte("[Container]\nExec=true\n"), 0o644)
		os.WriteFile(filepath.Join(files, "app.build"), []byte("[Build]\nImageTag=localhost/qapp:1\nBuildArg=WHO=quadlet\n"), 0o644)
		os.WriteFile(filepath.Join(files, "Containerfile"), []byte("FROM busybox\nARG WHO\nRUN echo built by $WHO > /built\n"), 0o644)
		os.WriteFile(filepath.Join(files, "built.container"), []byte("[Container]\nImage=app.build\nExec=sh -c \"cat /built; sleep 300\"\n"), 0o644)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		q := m.cmdEnv(ctx, s.root, s.run, []string{"QUADLET_UNIT_DIRS=" + files}, "quadlet", out)
		res, err := q.CombinedOutput()
		if err == nil || !strings.Contains(string(res), "broken.container") || !strings.Contains(string(res), "Image=") {
			t.Errorf("a broken file: %v: %s", err, res)
		}
		if _, err := os.Lstat(filepath.Join(out, "default.target.wants", "web.service")); err != nil {
			t.Errorf("no [Install] link: %v", err)
		}
		units := map[string]string{}
		for _, name := range []string{"web.service", "data-volume.service", "app-build.service", "built.service"} {
			data, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			units[name] = string(data)
			verifyUnit(t, filepath.Join(out, name))
		}
		run := func(name, key string) {
			t.Helper()
			spec := strings.NewReplacer("%t", out, "%N", strings.TrimSuffix(name, ".service"), "%n", name)
			runUnitCommand(t, m, s, units[name], key, spec)
		}
		run("data-volume.service", "ExecStart")
		run("data-volume.service", "ExecStart") // again: --ignore
		run("web.service", "ExecStart")
		if got := s.must("inspect", "--format", "{{.State.Status}} {{.Config.Labels.app}}", "systemd-web"); got != "running web\n" {
			t.Errorf("the quadlet container: %q", got)
		}
		if !waitFor(10*time.Second, func() bool {
			r := s.scow("run", "--rm", "-v", "systemd-data:/data", "busybox", "cat", "/data/greeting")
			return r.stdout == "hello quadlet\n"
		}) {
			t.Errorf("the container did not write its greeting to the volume")
		}
		run("web.service", "ExecStop")
		// A .build's image, and a container of it.
		run("app-build.service", "ExecStart")
		if !strings.Contains(units["built.service"], "Requires=app-build.service") {
			t.Errorf("a container of a .build does not require it:\n%s", units["built.service"])
		}
		run("built.service", "ExecStart")
		if !waitFor(10*time.Second, func() bool { return s.scow("logs", "systemd-built").stdout == "built by quadlet\n" }) {
			t.Errorf("the container of the built image: %q", s.scow("logs", "systemd-built").stdout)
		}
		run("built.service", "ExecStop")
		if got := s.must("ps", "-a", "-q"); got != "" {
			t.Errorf("ExecStop left %q", got)
		}
	})
}

// TestSystemdMode: --systemd gives a container systemd's tmpfs mounts
// (sized by --shm-size-systemd) and SIGRTMIN+3 as its stop signal: always,
// or by default when its command is an init; false never.
func TestSystemdMode(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		got := s.must("run", "--rm", "--systemd", "always", "--shm-size-systemd", "8m", "busybox", "sh", "-c",
			`for d in /run /run/lock /tmp /var/log/journal; do grep " $d tmpfs " /proc/mounts | grep -c size=8192k; done`)
		if got != "1\n1\n1\n1\n" {
			t.Errorf("--systemd always mounts: %q", got)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"busybox", "/sbin/init"}, "SIGRTMIN+3\n"},
			{[]string{"--systemd", "false", "busybox", "/sbin/init"}, "\n"},
			{[]string{"--stop-signal", "USR1", "busybox", "/sbin/init"}, "USR1\n"},
			{[]string{"busybox", "sleep", "1"}, "\n"},
		} {
			id := strings.TrimSpace(s.must(append([]string{"create"}, tc.args...)...))
			if got := s.must("inspect", "--format", "{{.Config.StopSignal}}", id); got != tc.want {
				t.Errorf("%v: stop signal %q, want %q", tc.args, got, tc.want)
			}
		}
		// stop sends SIGRTMIN+3, 37.
		s.must("run", "-d", "--name", "sd", "--systemd", "always", "busybox", "sh", "-c", `trap "echo stopped by 37; exit 0" 37; echo up; while :; do sleep 0.2; done`)
		if !waitFor(10*time.Second, func() bool { return strings.Contains(s.must("logs", "sd"), "up") }) {
			t.Fatal("the container did not start")
		}
		s.must("stop", "sd")
		if got := s.must("logs", "sd"); !strings.Contains(got, "stopped by 37") {
			t.Errorf("stop of a --systemd container: %q", got)
		}
		wantError(t, s.scow("create", "--systemd", "maybe", "busybox"), 125, "--systemd")
		wantError(t, s.scow("create", "--shm-size-systemd", "lots", "busybox"), 125, "--shm-size-systemd")
		s.must("rm", "-a", "-f", "-t", "0")
	})
}

// TestQuadletPodKube: a .pod file's unit makes the pod and removes it,
// a .container of the pod runs in it, and a .kube file's unit plays its
// YAML and takes it down.
func TestQuadletPodKube(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		files, out := m.userDir(t), m.userDir(t)
		port := freeHostPort(t)
		write := func(name, text string) {
			t.Helper()
			if err := os.WriteFile(filepath.Join(files, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("shop.pod", fmt.Sprintf("[Pod]\nPublishPort=127.0.0.1:%d:8080\nLabel=team=q\n", port))
		write("web.container", "[Container]\nImage=busybox\nPod=shop.pod\nExec=sh -c \""+webServer("in-a-quadlet-pod", 8080)+"\"\n")
		write("app.kube", "[Kube]\nYaml=app.yaml\n")
		write("app.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: kubed}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - {name: c, image: busybox, command: [sleep, \"600\"]}\n")
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if res, err := m.cmdEnv(ctx, s.root, s.run, []string{"QUADLET_UNIT_DIRS=" + files}, "quadlet", out).CombinedOutput(); err != nil {
			t.Fatalf("quadlet: %v: %s", err, res)
		}
		units := map[string]string{}
		for _, name := range []string{"shop-pod.service", "web.service", "app.service"} {
			data, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			units[name] = string(data)
			verifyUnit(t, filepath.Join(out, name))
		}
		if !strings.Contains(units["web.service"], "BindsTo=shop-pod.service") {
			t.Errorf("the pod's container is not bound to the pod:\n%s", units["web.service"])
		}
		run := func(name, key string) {
			t.Helper()
			spec := strings.NewReplacer("%t", out, "%N", strings.TrimSuffix(name, ".service"), "%n", name)
			runUnitCommand(t, m, s, units[name], key, spec)
		}
		run("shop-pod.service", "ExecStartPre")
		run("shop-pod.service", "ExecStart")
		if b, err := os.ReadFile(filepath.Join(out, "shop-pod.pid")); err != nil || strings.TrimSpace(string(b)) == "" {
			t.Errorf("no PIDFile of the infra container's monitor: %v", err)
		}
		run("web.service", "ExecStart")
		if got := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "in-a-quadlet-pod\n" {
			t.Errorf("the quadlet pod's port: %q", got)
		}
		if got := s.must("pod", "ps", "--format", "{{.Name}} {{.Labels}} {{.NumberOfContainers}}"); got != "systemd-shop map[team:q] 2\n" {
			t.Errorf("the quadlet pod: %q", got)
		}
		run("web.service", "ExecStop")
		run("shop-pod.service", "ExecStop")
		run("shop-pod.service", "ExecStopPost")
		run("shop-pod.service", "ExecStopPost") // again: --ignore
		if got := s.must("pod", "ps", "-q") + s.must("ps", "-aq"); got != "" {
			t.Errorf("left after the pod unit's stop: %q", got)
		}
		run("app.service", "ExecStart")
		if got := s.must("pod", "ps", "--format", "{{.Name}} {{.Status}}"); got != "kubed Running\n" {
			t.Errorf("the .kube unit's pod: %q", got)
		}
		run("app.service", "ExecStopPost")
		if got := s.must("pod", "ps", "-q"); got != "" {
			t.Errorf("left after the .kube unit's stop: %q", got)
		}
	})
}
