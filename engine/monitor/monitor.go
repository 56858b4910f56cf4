package monitor

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/testhook"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/logfile"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
	"golang.org/x/sys/unix"
)

// errStopped ends a restart loop: the user stopped the container while
// it waited to restart.
var errStopped = errors.New("stopped before the restart")

// Arg is argv[1] of the monitor: scow-monitor's, which runs nothing else
// but the helpers its networks re-execute it as.
const Arg = "__monitor"

// program is the monitor's binary, installed beside scow as Podman has
// conmon: a small binary of its own, since a process per running
// container must not carry the image and store code of the CLI.
const program = "scow-monitor"

// onePEnv marks the GOMAXPROCS=1 Prestart gave the monitor, not the
// caller's own.
const onePEnv = "_SCOW_MONITOR_ONE_P"

// settleAfter is how long a container runs before its monitor gives back
// the memory its start took.
const settleAfter = 500 * time.Millisecond

// Setup is what the monitor of one container needs of the engine: where
// its records, sockets and runtime are, and how to run scow for the
// steps that need the store.
type Setup struct {
	// Records are the engine's records: containers, names, events.
	Records record.Store `json:"records"`
	// SocketDir holds the runtime's console sockets; Attach is where the
	// monitor serves attaches, Notify the directory of its relay to
	// systemd (--sdnotify container).
	SocketDir string `json:"socket_dir"`
	Attach    string `json:"attach"`
	Notify    string `json:"notify"`
	// Runtime runs the container.
	Runtime oci.Runtime `json:"runtime"`
	// Scow is the scow binary the hooks run as, with Options, its
	// global options as JSON.
	Scow    string          `json:"scow"`
	Options json.RawMessage `json:"options"`
}

// Plan is a run made ready by the prepare step: its rootfs mounted, its
// bundle written; what is left is the monitor's.
type Plan struct {
	// Net is the network the monitor sets up, the one the bundle's spec
	// joins.
	Net netns.Options `json:"net"`
	// Bundle is the OCI bundle of the run.
	Bundle string `json:"bundle"`
	// CgroupPath is the container's cgroup, "" when it is the runtime's.
	CgroupPath string `json:"cgroup_path,omitempty"`
	// Poststop says the spec has poststop hooks, which the runtime's
	// delete runs: that delete comes before the network goes.
	Poststop bool `json:"poststop,omitempty"`
}

// Monitor supervises one container in the monitor process: it runs it,
// relays its I/O to its log and its attached clients, restarts it as its
// policy says and records each exit.
type Monitor struct {
	setup Setup
	// h is the container's I/O hub, for all its runs.
	h *hub
	// netWaits wait for the network helpers of its runs.
	netWaits []func()
	// files are the container process's descriptors from 3 on, kept
	// for every start of the monitor's life (nil: /dev/null).
	files []*os.File
	// forceRestart restarts the container after its exit whatever its
	// policy: its health check asked for it.
	forceRestart atomic.Bool
	// notify tells a systemd unit the container is ready (--sdnotify).
	notify *notifier
	// exitCode is the container's last exit: the monitor's own, as a
	// unit's main process (conmon's is so too).
	exitCode int
}

// monitorRequest is what a CLI sends a monitor it starts.
type monitorRequest struct {
	Setup Setup  `json:"setup"`
	ID    string `json:"id"`
	// Plan is the first run's, made by the CLI.
	Plan Plan `json:"plan"`
	// Attach, when set, is what the client on fd 5 wants.
	Attach *attach.Request `json:"attach,omitempty"`
	// Files is how many descriptors for the container, from fd 6 on,
	// the monitor has; Passed says which of them are real (the others
	// are /dev/null).
	Files  int    `json:"files,omitempty"`
	Passed []bool `json:"passed,omitempty"`
	// Log is the file beside the container that takes the monitor's
	// stderr.
	Log string `json:"log"`
}

// monitorReport is the monitor's answer once the container runs.
type monitorReport struct {
	Error string `json:"error,omitempty"`
	// Class is the errdefs name of Error's class.
	Class string `json:"class,omitempty"`
}

// writeMessage sends v as length-prefixed JSON.
func writeMessage(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	if _, err := w.Write(append(n[:], data...)); err != nil {
		return fmt.Errorf("send to monitor: %w", err)
	}
	return nil
}

func readMessage(r io.Reader, v any) error {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 1<<20 {
		return fmt.Errorf("message of %d bytes is too big", size)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// Pending is a monitor process started before its container's run is
// ready: it starts up while the caller creates the container and
// prepares the run, then waits for its request. Start or Abort it.
type Pending struct {
	cmd   *exec.Cmd
	pid   int
	reqW  *os.File
	repR  *os.File
	conn  *attach.Conn
	extra []*os.File
}

// FullProgram is the full build of scow, installed beside the light one
// (scow), which hands it what it cannot do.
const FullProgram = "scow-full"

// ScowProgram is the scow that units and the monitor's hooks run: this
// executable; for the full build, when it runs in the place of the light
// scow beside it, that scow, which starts faster.
func ScowProgram() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own executable: %w", err)
	}
	if filepath.Base(exe) == FullProgram {
		light := filepath.Join(filepath.Dir(exe), "scow")
		if st, err := os.Stat(light); err == nil && st.Mode().IsRegular() {
			return light, nil
		}
	}
	return exe, nil
}

// FindProgram finds a program installed with scow (the monitor's, the
// full scow): beside the running scow, else in PATH.
func FindProgram(program string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own executable: %w", err)
	}
	beside := filepath.Join(filepath.Dir(exe), program)
	if _, err := os.Stat(beside); err == nil {
		return beside, nil
	}
	if p, err := exec.LookPath(program); err == nil {
		return p, nil
	}
	return "", errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("%s is neither beside %s nor in PATH: install it with scow (make install)", program, exe))
}

// Prestart starts a monitor that will run a container once Start names
// it; withAttach gives it a connection attached from the start, and
// extra become the container process's descriptors from 3 on (nil
// entries: /dev/null).
func Prestart(withAttach bool, extra []*os.File) (*Pending, error) {
	bin, err := FindProgram(program)
	if err != nil {
		return nil, err
	}
	var theirs, ours []*os.File
	closeAll := func() {
		for _, f := range append(theirs, ours...) {
			f.Close()
		}
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	theirs, ours = append(theirs, reqR), append(ours, reqW)
	repR, repW, err := os.Pipe()
	if err != nil {
		closeAll()
		return nil, err
	}
	theirs, ours = append(theirs, repW), append(ours, repR)
	cmd := exec.Command(bin, Arg)
	cmd.ExtraFiles = []*os.File{reqR, repW}
	// One P: a monitor relays and waits, and every P costs it memory (a
	// cache, a GC worker, threads). Main gives the runtime and the
	// container back the caller's setting.
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1", onePEnv+"=1")
	}
	p := &Pending{cmd: cmd, reqW: reqW, repR: repR, extra: extra}
	if withAttach {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("make the attach socket: %w", err)
		}
		mine, other := os.NewFile(uintptr(fds[0]), "attach"), os.NewFile(uintptr(fds[1]), "attach")
		theirs = append(theirs, other)
		c, err := net.FileConn(mine)
		mine.Close()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("make the attach socket: %w", err)
		}
		p.conn = attach.NewConn(c)
		cmd.ExtraFiles = append(cmd.ExtraFiles, other)
	}
	if len(extra) > 0 {
		// The container's descriptors start at fd 6, with or without an
		// attach on fd 5; a nil entry is closed in the monitor.
		if !withAttach {
			cmd.ExtraFiles = append(cmd.ExtraFiles, nil)
		}
		cmd.ExtraFiles = append(cmd.ExtraFiles, extra...)
	}
	// Its own session: no terminal, no SIGHUP when the shell goes. Its
	// stderr is the file beside its container once it knows which
	// (Main), where what it says should it fail before it can record
	// why, or crash, is kept.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	// Only the monitor may hold its ends, or its death goes unnoticed.
	for _, f := range theirs {
		f.Close()
	}
	if err != nil {
		for _, f := range ours {
			f.Close()
		}
		if p.conn != nil {
			p.conn.Close()
		}
		return nil, fmt.Errorf("start monitor: %w", err)
	}
	p.pid = cmd.Process.Pid
	return p, nil
}

// Abort ends a monitor that will not be needed: with no request, it
// exits at once.
func (p *Pending) Abort() {
	p.reqW.Close()
	p.repR.Close()
	if p.conn != nil {
		p.conn.Close()
	}
	p.cmd.Wait()
}

// Pid is the monitor's process: the owner of the run prepared for it.
func (p *Pending) Pid() int { return p.pid }

// Start has the monitor run container id as plan says, with setup, and
// with att when it was started with an attach, and returns once the
// container runs, or with the reason it could not start.
func (p *Pending) Start(setup Setup, id string, plan Plan, att *attach.Request) (*attach.Conn, error) {
	defer p.repR.Close()
	fail := func(err error) (*attach.Conn, error) {
		if p.conn != nil {
			p.conn.Close()
		}
		return nil, err
	}
	req := monitorRequest{Setup: setup, ID: id, Plan: plan, Attach: att, Files: len(p.extra), Log: setup.Records.MonitorLog(id)}
	for _, f := range p.extra {
		req.Passed = append(req.Passed, f != nil)
	}
	// An earlier monitor's last words must not pass for this one's.
	if err := os.Truncate(req.Log, 0); err != nil && !os.IsNotExist(err) {
		p.Abort()
		return nil, fmt.Errorf("open the monitor's log: %w", err)
	}
	err := writeMessage(p.reqW, req)
	p.reqW.Close()
	if err != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		return fail(err)
	}
	var rep monitorReport
	if err := readMessage(p.repR, &rep); err != nil {
		p.cmd.Wait()
		if said := LastError(req.Log); said != "" {
			err = errors.New(said)
		}
		return fail(fmt.Errorf("monitor of %.12s ended before the container started: %w", id, err))
	}
	// The monitor outlives us; it is reparented when we exit.
	p.cmd.Process.Release()
	if rep.Error != "" {
		return fail(errdefs.Rebuild(rep.Class, rep.Error))
	}
	return p.conn, nil
}

// Main is the monitor process: it reads its request from fd 3, answers
// on fd 4 once the container runs, serves attaches (the first on fd 5,
// when asked) and watches the container to the end.
func Main() error {
	if os.Getenv(onePEnv) != "" {
		os.Unsetenv("GOMAXPROCS")
		os.Unsetenv(onePEnv)
	}
	// The runtime and the container must not inherit these.
	for fd := 3; fd <= 5; fd++ {
		unix.CloseOnExec(fd)
	}
	req, rep := os.NewFile(3, "request"), os.NewFile(4, "report")
	var r monitorRequest
	err := readMessage(req, &r)
	req.Close()
	if errors.Is(err, io.EOF) {
		return nil // aborted: the container was not made
	}
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	var files []*os.File
	for i := range r.Files {
		if i < len(r.Passed) && r.Passed[i] {
			unix.CloseOnExec(6 + i)
			files = append(files, os.NewFile(uintptr(6+i), "preserved"))
		} else {
			files = append(files, nil)
		}
	}
	// Caught, not ignored: an ignored signal would stay ignored in the
	// runtime and the container.
	// SIGTERM too: systemd stopping a unit signals every process of it,
	// and the monitor must live to record the container's end.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	reported := false
	report := func(err error) {
		if reported {
			return
		}
		reported = true
		var m monitorReport
		if err != nil {
			m = monitorReport{Error: err.Error(), Class: errdefs.Name(err)}
		}
		writeMessage(rep, m)
		rep.Close()
	}
	// What it says from here on is kept beside its container.
	logf, err := os.OpenFile(r.Log, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|unix.O_CLOEXEC, 0o600)
	if err == nil {
		err = unix.Dup3(int(logf.Fd()), 2, 0)
		logf.Close()
	}
	if err != nil {
		err = fmt.Errorf("open the monitor's log: %w", err)
		report(err)
		return err
	}
	h := newHub()
	if r.Attach != nil {
		f := os.NewFile(5, "attach")
		c, err := net.FileConn(f)
		f.Close() // FileConn has its own copy, which the runtime must not inherit
		if err != nil {
			report(err)
			return err
		}
		h.join(attach.NewConn(c), *r.Attach, true)
	}
	// Keep the user namespace, and so the container's mounts, alive.
	if err := userns.Hold(); err != nil {
		report(err)
		return err
	}
	// NOTIFY_SOCKET is the monitor's to answer, never the runtime's or
	// the container's but through it.
	m := &Monitor{setup: r.Setup, h: h, files: files,
		notify: &notifier{socket: os.Getenv("NOTIFY_SOCKET"), foreground: r.Attach != nil}}
	os.Unsetenv("NOTIFY_SOCKET")
	if cfg, err := m.setup.Records.LoadConfig(r.ID); err == nil && cfg.MonitorPidFile != "" {
		if err := os.WriteFile(cfg.MonitorPidFile, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "Warning: --conmon-pidfile: %v\n", err)
		}
	}
	l, socket, err := m.listenAttach(r.ID)
	if err != nil {
		report(err)
		return err
	}
	var execs sync.WaitGroup
	accepting := make(chan struct{})
	go m.acceptClients(l, r.ID, &execs, accepting)
	defer func() {
		closeAttach(l, socket)
		<-accepting
		// The container's end ends what was exec'd in it.
		execs.Wait()
	}()
	err = m.supervise(r.ID, r.Plan, report)
	report(err)
	for _, wait := range m.netWaits {
		wait()
	}
	if err == nil && m.exitCode != 0 {
		return &errdefs.ExitError{Code: m.exitCode}
	}
	return err
}

// supervise runs container id to its end, the first run as plan says,
// restarting it as its policy says, then has it cleaned up; its attached
// clients hear of every exit. started hears of the first start, and
// ignores any later call.
func (m *Monitor) supervise(id string, plan Plan, started func(error)) error {
	ctx := context.Background()
	code, lastCode := 0, 0
	for attempt := 0; ; attempt++ {
		var again time.Duration
		var err error
		if attempt > 0 {
			// The restart's rootfs, spec and network options are made
			// afresh, an update since the last run applies; unless it
			// was stopped while the restart waited out its back-off,
			// which runOnce records.
			var next Plan
			if st, stErr := m.setup.Records.LoadState(id); stErr != nil || !st.StoppedByUser {
				err = m.hook(ctx, hookPrepare, id, &next)
			}
			plan = next
		}
		if err == nil {
			code, again, err = m.runOnce(ctx, id, plan, attempt > 0, started)
		}
		if errors.Is(err, errStopped) {
			code = lastCode
			break
		}
		if err != nil {
			// Nobody may be there to hear it: the record and the log
			// keep it.
			RecordFailure(m.setup.Records, id, os.Getpid(), err)
			if attempt == 0 {
				// The caller cleans up after a start that failed.
				started(err)
				m.h.end(attach.FailedExit(err), true)
				return err
			}
			// A restart that could not start: clients still attached
			// hear why.
			m.finish(ctx, id, attach.FailedExit(err))
			return nil
		}
		lastCode = code
		if again < 0 {
			break
		}
		// Attaches end with each run, as with Docker.
		m.h.end(attach.Exit{Code: code}, false)
		time.Sleep(again)
	}
	m.exitCode = code
	m.finish(ctx, id, attach.Exit{Code: code})
	return nil
}

// finish tells the clients of container id's end, x, and has the
// container cleaned up after its last run: its rootfs released, --rm and
// its pod's exit policy applied, through scow. The client that started
// it, when it is still attached, does that itself once it hears of the
// end; else it is done before anyone hears of the end, so that an attach
// that returns finds a --rm container gone.
func (m *Monitor) finish(ctx context.Context, id string, x attach.Exit) {
	if m.h.hasCleaner() {
		m.h.end(x, true)
		if m.h.cleaned.Load() {
			return
		}
	}
	testhook.Pause("cleanup")
	if err := m.hook(ctx, hookCleanup, id, nil); err != nil {
		fmt.Fprintf(os.Stderr, "Error: clean up after %.12s: %v\n", id, err)
	}
	m.h.end(x, true)
}

// restartDelay applies the restart policy to an exit with code: whether
// to restart, and after what back-off (Docker's: 100 ms, doubling, at
// most a minute). A container stopped by the user stays stopped.
func restartDelay(p record.RestartPolicy, st *record.State, code int) (time.Duration, bool) {
	if p.Name == "" || p.Name == "no" || st.StoppedByUser {
		return 0, false
	}
	if p.Name == "on-failure" && (code == 0 || p.MaxRetries > 0 && st.RestartCount >= p.MaxRetries) {
		return 0, false
	}
	return min(100*time.Millisecond<<min(st.RestartCount, 10), time.Minute), true
}

// runOnce starts the container on the run plan made ready, relays its
// output to the log and the hub, waits for it, releases the runtime
// state and the network, and records the exit; the rootfs stays for the
// clean-up, or the next run's prepare, to release.
func (m *Monitor) runOnce(ctx context.Context, id string, plan Plan, restart bool, started func(error)) (code int, again time.Duration, err error) {
	rt := &m.setup.Runtime
	unlock, err := m.setup.Records.Lock(id)
	if err != nil {
		return 0, -1, err
	}
	defer func() {
		if unlock != nil {
			unlock()
		}
	}()
	// The record as the run was prepared, under the lock: an update (or
	// a rename) since the last one applies.
	cfg, err := m.setup.Records.LoadConfig(id)
	if err != nil {
		return 0, -1, err
	}
	st, err := m.setup.Records.LoadState(cfg.ID)
	if err != nil {
		st = &record.State{Status: record.StatusCreated}
	}
	if restart && st.StoppedByUser {
		// Stopped while the restart waited out its back-off.
		st.Status = record.StatusExited
		m.setup.Records.SaveState(cfg.ID, st)
		return 0, -1, errStopped
	}
	net, err := netns.Start(plan.Net)
	if err != nil {
		return 0, -1, errdefs.WithClass(errdefs.ErrInvalid, err)
	}
	netUp := true
	defer func() {
		if netUp {
			net.Stop()
			net.Wait()
		}
	}()
	if m.notify.socket != "" && cfg.SdNotify == "container" {
		closeRelay, err := m.notify.relay(m.setup.Notify)
		if err != nil {
			return 0, -1, err
		}
		defer closeRelay()
	}
	bundle := plan.Bundle
	var log *logfile.Writer
	if cfg.LogDriver != "none" {
		if log, err = logfile.Open(m.setup.Records.LogPath(cfg.ID), cfg.LogMaxSize, cfg.LogMaxFiles); err != nil {
			return 0, -1, err
		}
		defer log.Close()
	}

	// The container's init is reparented to us when the runtime exits, so
	// that we can wait for it.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return 0, -1, fmt.Errorf("become subreaper: %w", err)
	}
	pio, err := newProcIO(m.setup.SocketDir, cfg.ID, cfg.Tty, cfg.Interactive)
	if err != nil {
		return 0, -1, err
	}
	defer pio.close()
	pio.pass(m.files)
	st.StoppedByUser = false
	// Whoever finds this monitor dead from here on cleans up after it.
	st.RuntimeState, st.MonitorPid, st.Runtime = true, os.Getpid(), rt.Path
	st.MonitorStart, _ = record.ProcStart(st.MonitorPid)
	if err := m.setup.Records.SaveState(cfg.ID, st); err != nil {
		return 0, -1, err
	}
	testhook.Pause("before-runtime")
	var pid int
	if net.Pending() {
		// Its network namespace is the runtime's to make: set up
		// between create and start.
		pid, err = rt.Create(ctx, cfg.ID, bundle, pio.runtime, pio.consolePath())
		if err == nil {
			testhook.Pause("runtime-created")
			err = net.Join(pid)
		}
		if err == nil {
			err = rt.Start(ctx, cfg.ID)
		}
	} else {
		pid, err = rt.Run(ctx, cfg.ID, bundle, pio.runtime, pio.consolePath())
	}
	if err == nil {
		err = pio.started()
	}
	if err != nil {
		// What reached the pipes is the runtime's own complaint, which
		// err carries as one line.
		rt.Delete(ctx, cfg.ID, true)
		return 0, -1, err
	}
	testhook.Pause("runtime-started")
	st.Status, st.Pid, st.StartedAt, st.Error = record.StatusRunning, pid, time.Now().UTC(), ""
	st.Ports = net.Ports
	st.PidStart, _ = record.ProcStart(pid)
	if cfg.Healthcheck != nil {
		// Each start is a new start: starting, and the startup check
		// again, before anyone sees it run.
		m.setup.Records.UpdateHealth(cfg.ID, func(h *record.Health) {
			h.Status, h.FailingStreak, h.StartupPassed, h.StartupStreak = record.HealthStarting, 0, false, 0
		})
	}
	unregister, err := userns.RegisterLive(pid, st.PidStart)
	if err != nil {
		unix.Kill(pid, unix.SIGKILL)
		waitPid(pid)
		rt.Delete(ctx, cfg.ID, true)
		return 0, -1, err
	}
	defer unregister()
	if err := m.setup.Records.SaveState(cfg.ID, st); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		waitPid(pid)
		rt.Delete(ctx, cfg.ID, true)
		return 0, -1, err
	}
	unlock()
	unlock = nil
	testhook.Pause("running")
	m.setup.Records.Event(cfg, "init", nil)
	m.setup.Records.Event(cfg, "start", nil)
	switch cfg.SdNotify {
	case "", "conmon":
		m.notify.ready()
	case "healthy":
		// The unit's main process is this monitor from now on: the CLI
		// of a detached run goes before the first check passes.
		m.notify.announce()
	}
	if cfg.PidFile != "" {
		if err := os.WriteFile(cfg.PidFile, []byte(strconv.Itoa(pid)), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "Warning: --pidfile: %v\n", err)
		}
	}
	stopTimeout := m.killAfter(pid, cfg.Timeout)
	stopHealth := m.watchHealth(cfg, pid)
	m.h.run(pid, pio.stdin, pio.master)
	started(nil)
	// What the start allocated goes back, once the container has run a
	// while: a monitor per container must stay small, and a container
	// that exits at once must not wait for that.
	settle := time.AfterFunc(settleAfter, func() {
		debug.FreeOSMemory()
		trimExecutable()
	})

	relays := pio.relay(m.h, log)
	code = m.h.wait(pid)
	settle.Stop()
	stopTimeout()
	stopHealth()
	// Output is complete once every process of the container is gone.
	relays.Wait()

	// Read while the cgroup is there: the runtime removes it.
	oomKilled := oci.OOMKilled(plan.CgroupPath)
	// The runtime's state goes while the network is released: in a PID
	// namespace of its own nothing of the container runs once its init
	// is gone. In a shared one, the delete kills what is left of it
	// before the network goes; poststop hooks, which the delete runs,
	// see the network still there.
	deleted := make(chan struct{})
	go func() {
		defer close(deleted)
		rt.Delete(ctx, cfg.ID, true)
	}()
	if !cfg.Namespaces.OwnPID() || plan.Poststop {
		<-deleted
	}
	net.Stop()
	netUp = false
	// Its helpers are waited for once the exit is reported.
	m.netWaits = append(m.netWaits, net.Wait)
	<-deleted
	again = -1
	// Heard before the exit is recorded: whoever waits for the exit (a
	// stop) records its own event after this one.
	m.setup.Records.Event(cfg, "died", map[string]string{"exitCode": fmt.Sprint(code)})
	if unlock, err := m.setup.Records.Lock(cfg.ID); err == nil {
		if st, err := m.setup.Records.LoadState(cfg.ID); err == nil {
			// The exit and the restart decision are one record, so no
			// reader sees "exited" of a container about to restart. The
			// monitor stays recorded: a restarting record needs it alive.
			st.Status, st.ExitCode, st.FinishedAt, st.OOMKilled = record.StatusExited, code, time.Now().UTC(), oomKilled
			st.Pid, st.PidStart, st.RuntimeState, st.Ports, st.Paused = 0, 0, false, nil, false
			delay, ok := restartDelay(cfg.RestartPolicy, st, code)
			if m.forceRestart.Swap(false) && !st.StoppedByUser {
				delay, ok = 0, true
			}
			if ok {
				st.Status, st.RestartCount, again = record.StatusRestarting, st.RestartCount+1, delay
			}
			m.setup.Records.SaveState(cfg.ID, st)
		}
		unlock()
	}
	return code, again, nil
}

// watchHealth runs the container's checks on their interval while it
// runs, and does what a failing one asks; what it returns stops that.
func (m *Monitor) watchHealth(cfg *record.Config, pid int) (stop func()) {
	hc := cfg.Healthcheck
	if hc == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			interval := hc.Interval
			if hc.Startup != nil {
				if h, _ := m.setup.Records.LoadHealth(cfg.ID); h == nil || !h.StartupPassed {
					interval = hc.Startup.Interval
				}
			}
			if interval <= 0 {
				return // only healthcheck run checks it
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(interval):
			}
			var res record.HealthResult
			err := m.hook(ctx, hookHealth, cfg.ID, &res)
			if err != nil || ctx.Err() != nil {
				continue
			}
			if res.Status == record.HealthHealthy && cfg.SdNotify == "healthy" {
				m.notify.ready()
			}
			switch res.Action {
			case "kill", "restart":
				// Its exit is this monitor's to see, and to restart.
				m.forceRestart.Store(res.Action == "restart")
				unix.Kill(pid, unix.SIGKILL) // not reaped yet: still ours
			case "stop":
				// Stopped as stop does; not waited for, as the stop
				// waits for this monitor to record the exit.
				go m.hook(context.Background(), hookStop, cfg.ID, nil)
				return
			}
		}
	}()
	return cancel
}

// killAfter sends the container's init SIGKILL once it has run seconds
// (--timeout; 0: never) and returns what cancels that. The signal goes
// through a pidfd, which a reaped and reused PID cannot fool.
func (m *Monitor) killAfter(pid, seconds int) (cancel func()) {
	if seconds <= 0 {
		return func() {}
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Warning: --timeout: open process %d: %v\n", pid, err)
		return func() {}
	}
	var mu sync.Mutex
	timer := time.AfterFunc(time.Duration(seconds)*time.Second, func() {
		mu.Lock()
		defer mu.Unlock()
		if fd >= 0 {
			unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
		}
	})
	return func() {
		timer.Stop()
		mu.Lock()
		defer mu.Unlock()
		unix.Close(fd)
		fd = -1
	}
}

// LastError returns the last error, panic or fatal error a monitor wrote
// in its log, "" when there is none.
func LastError(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	last := ""
	for _, l := range strings.Split(string(data), "\n") {
		for _, p := range []string{"Error: ", "panic: ", "fatal error: "} {
			if strings.HasPrefix(l, p) {
				last = strings.TrimSpace(l)
			}
		}
	}
	return last
}

// waitPid reaps pid and returns its exit code, 128+signal when killed.
func waitPid(pid int) int {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1
		}
		break
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// RecordFailure notes why a run of container id under monitor owner
// failed, in its record (inspect's State.Error) and in its log, since
// no client may be there to hear it: the runtime holds no state for it
// any more.
func RecordFailure(rec record.Store, id string, owner int, cause error) {
	if unlock, err := rec.Lock(id); err == nil {
		st, err := rec.LoadState(id)
		if err != nil {
			st = &record.State{Status: record.StatusCreated}
		}
		if st.MonitorPid != 0 && st.MonitorPid != owner && record.Alive(st.MonitorPid, st.MonitorStart) {
			// Another start's monitor took the container meanwhile:
			// the record is its own.
			unlock()
			return
		}
		st.Error, st.ExitCode = cause.Error(), errdefs.ExitCode(cause)
		st.RuntimeState, st.MonitorPid, st.MonitorStart = false, 0, 0
		if st.Status == record.StatusRestarting {
			st.Status = record.StatusExited // a restart that could not start ends it
		}
		rec.SaveState(id, st)
		unlock()
	}
	cfg, err := rec.LoadConfig(id)
	if err != nil {
		return
	}
	if log, err := logfile.Open(rec.LogPath(id), cfg.LogMaxSize, cfg.LogMaxFiles); err == nil {
		log.Write("stderr", []byte("Error: "+cause.Error()+"\n"))
		log.Close()
	}
}
