package engine

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/oci"
	"golang.org/x/sys/unix"
)

// errStopped ends a restart loop: the user stopped the container while
// it waited to restart.
var errStopped = errors.New("stopped before the restart")

// MonitorArg is argv[1] of the re-executed monitor.
const MonitorArg = "__monitor"

// forwardedSignals reach a foreground container, as with Docker.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// foreground is a container the CLI itself watches: its output goes to
// stdio as well as to the log, and the CLI's signals go to it.
type foreground struct {
	stdio   Stdio
	signals *signalRelay
}

// signalRelay forwards the CLI's signals to the running container, and
// cancels the run when one comes before the container is up.
type signalRelay struct {
	mu     sync.Mutex
	pid    int
	cancel context.CancelFunc
	sigs   chan os.Signal
}

func newSignalRelay(cancel context.CancelFunc) *signalRelay {
	r := &signalRelay{cancel: cancel, sigs: make(chan os.Signal, 16)}
	signal.Notify(r.sigs, forwardedSignals...)
	// A closed stdout must not kill the CLI in the middle of cleanup.
	signal.Ignore(syscall.SIGPIPE)
	go func() {
		for s := range r.sigs {
			r.mu.Lock()
			if r.pid > 0 {
				// pid is our unreaped child while set: it cannot have
				// been reused.
				unix.Kill(r.pid, s.(syscall.Signal))
			} else {
				r.cancel()
			}
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *signalRelay) target(pid int) {
	r.mu.Lock()
	r.pid = pid
	r.mu.Unlock()
}

func (r *signalRelay) stop() {
	signal.Stop(r.sigs)
	close(r.sigs)
}

// monitorRequest is what a CLI sends a monitor it starts.
type monitorRequest struct {
	Options Options `json:"options"`
	ID      string  `json:"id"`
}

// monitorReport is the monitor's answer once the container runs.
type monitorReport struct {
	Error string `json:"error,omitempty"`
	Code  int    `json:"code,omitempty"`
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

// spawnMonitor starts a detached monitor for container id and returns
// once the container runs, or with the reason it could not start.
func (e *Engine) spawnMonitor(ctx context.Context, id string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return err
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return err
	}
	cmd := exec.Command(exe, MonitorArg)
	cmd.ExtraFiles = []*os.File{reqR, repW}
	// Its own session: no terminal, no SIGHUP when the shell goes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	reqR.Close()
	repW.Close()
	defer repR.Close()
	if err != nil {
		reqW.Close()
		return fmt.Errorf("start monitor: %w", err)
	}
	err = writeMessage(reqW, monitorRequest{Options: e.opts, ID: id})
	reqW.Close()
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	var rep monitorReport
	if err := readMessage(repR, &rep); err != nil {
		cmd.Wait()
		return fmt.Errorf("monitor of %.12s ended before the container started: %w", id, err)
	}
	// The monitor outlives us; it is reparented when we exit.
	cmd.Process.Release()
	if rep.Error != "" {
		return startError(rep.Error, rep.Code)
	}
	return nil
}

// startError rebuilds a start failure's class from its exit code.
func startError(msg string, code int) error {
	switch code {
	case 127:
		return withClass(ErrCommandNotFound, errors.New(msg))
	case 126:
		return withClass(ErrCannotInvoke, errors.New(msg))
	}
	return errors.New(msg)
}

// MonitorMain is the monitor process: it reads its request from fd 3,
// answers on fd 4 once the container runs, and watches it to the end.
func MonitorMain() error {
	req, rep := os.NewFile(3, "request"), os.NewFile(4, "report")
	var r monitorRequest
	err := readMessage(req, &r)
	req.Close()
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE, syscall.SIGINT)
	// Keep the user namespace, and so the container's mounts, alive.
	if err := userns.Hold(); err != nil {
		writeMessage(rep, monitorReport{Error: err.Error(), Code: 125})
		return err
	}
	e, err := New(r.Options)
	if err != nil {
		writeMessage(rep, monitorReport{Error: err.Error(), Code: 125})
		return err
	}
	defer e.Close()
	reported := false
	_, err = e.monitor(context.Background(), r.ID, nil, func(err error) {
		if reported {
			return
		}
		reported = true
		var m monitorReport
		if err != nil {
			m = monitorReport{Error: err.Error(), Code: exitCodeOf(err)}
		}
		writeMessage(rep, m)
		rep.Close()
	})
	if !reported && err != nil {
		writeMessage(rep, monitorReport{Error: err.Error(), Code: exitCodeOf(err)})
	}
	return err
}

// monitor runs container id to its end, restarting it as its policy
// says, then applies --rm. started, if set, hears of the first start.
func (e *Engine) monitor(ctx context.Context, id string, fg *foreground, started func(error)) (int, error) {
	if err := e.open(); err != nil {
		return 0, err
	}
	notify := func(err error) {
		if started != nil {
			started(err)
			started = nil
		}
	}
	cfg, err := e.loadConfig(id)
	if err != nil {
		notify(err)
		return 0, err
	}
	code, lastCode := 0, 0
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			notify(err)
			e.finish(ctx, cfg)
			return 0, fmt.Errorf("run of %s interrupted before it started", cfg.Name)
		}
		var again time.Duration
		code, again, err = e.runOnce(ctx, cfg, fg, attempt > 0, notify)
		if errors.Is(err, errStopped) {
			code = lastCode
			break
		}
		if err != nil {
			notify(err)
			if attempt == 0 {
				e.finish(ctx, cfg)
				return 0, err
			}
			break
		}
		lastCode = code
		if again < 0 {
			break
		}
		time.Sleep(again)
	}
	e.finish(ctx, cfg)
	return code, nil
}

// finish applies --rm once the container is done for good.
func (e *Engine) finish(ctx context.Context, cfg *ContainerConfig) {
	if cfg.Remove {
		e.removeContainer(context.WithoutCancel(ctx), cfg.ID, true)
	}
}

// restartDelay applies the restart policy to an exit with code: whether
// to restart, and after what back-off (Docker's: 100 ms, doubling, at
// most a minute). A container stopped by the user stays stopped.
func restartDelay(p RestartPolicy, st *ContainerState, code int) (time.Duration, bool) {
	if p.Name == "" || p.Name == "no" || st.StoppedByUser {
		return 0, false
	}
	if p.Name == "on-failure" && (code == 0 || p.MaxRetries > 0 && st.RestartCount >= p.MaxRetries) {
		return 0, false
	}
	return min(100*time.Millisecond<<min(st.RestartCount, 10), time.Minute), true
}

// runOnce starts the container, relays its output to the log (and to
// fg), waits for it, releases the runtime state and the rootfs mount, and
// records the exit.
func (e *Engine) runOnce(ctx context.Context, cfg *ContainerConfig, fg *foreground, restart bool, started func(error)) (code int, again time.Duration, err error) {
	rt, err := e.ociRuntime()
	if err != nil {
		return 0, -1, err
	}
	unlock, err := e.lockContainer(cfg.ID)
	if err != nil {
		return 0, -1, err
	}
	defer func() {
		if unlock != nil {
			unlock()
		}
	}()
	rootfs, err := e.store.Mount(cfg.ID)
	if err != nil {
		return 0, -1, err
	}
	mounted := true
	defer func() {
		if mounted {
			e.store.Unmount(cfg.ID)
		}
	}()
	spec, err := e.spec(cfg, rootfs)
	if err != nil {
		e.recordFailure(cfg.ID, err)
		return 0, -1, err
	}
	dir := e.containerDir(cfg.ID)
	bundle := filepath.Join(dir, "bundle")
	if err := oci.WriteBundle(bundle, spec); err != nil {
		return 0, -1, err
	}
	log, err := openLog(filepath.Join(dir, "ctr.log"), cfg.LogMaxSize, cfg.LogMaxFiles)
	if err != nil {
		return 0, -1, err
	}
	defer log.close()

	// The container's init is reparented to us when the runtime exits, so
	// that we can wait for it.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return 0, -1, fmt.Errorf("become subreaper: %w", err)
	}
	in, err := os.Open(os.DevNull)
	if err != nil {
		return 0, -1, err
	}
	defer in.Close()
	if fg != nil && cfg.Interactive && fg.stdio.In != nil {
		in = fg.stdio.In
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return 0, -1, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return 0, -1, err
	}
	st, err := e.loadState(cfg.ID)
	if err != nil {
		st = &ContainerState{Status: StatusCreated}
	}
	if restart && st.StoppedByUser {
		// Stopped while the restart waited out its back-off.
		outR.Close()
		outW.Close()
		errR.Close()
		errW.Close()
		st.Status = StatusExited
		e.saveState(cfg.ID, st)
		return 0, -1, errStopped
	}
	st.StoppedByUser = false
	// Whoever finds this monitor dead from here on cleans up after it.
	st.RuntimeState, st.MonitorPid = true, os.Getpid()
	st.MonitorStart, _ = procStart(st.MonitorPid)
	if err := e.saveState(cfg.ID, st); err != nil {
		outR.Close()
		outW.Close()
		errR.Close()
		errW.Close()
		return 0, -1, err
	}
	testPause("before-runtime")
	rctx := context.WithoutCancel(ctx)
	pid, err := rt.Run(rctx, cfg.ID, bundle, oci.Stdio{In: in, Out: outW, Err: errW})
	outW.Close()
	errW.Close()
	if err != nil {
		// What reached the pipes is the runtime's own complaint, which
		// err carries as one line.
		outR.Close()
		errR.Close()
		rt.Delete(rctx, cfg.ID, true)
		e.recordFailure(cfg.ID, err)
		return 0, -1, err
	}
	testPause("runtime-started")
	st.Status, st.Pid, st.StartedAt, st.Error = StatusRunning, pid, time.Now().UTC(), ""
	st.PidStart, _ = procStart(pid)
	unregister, err := userns.RegisterLive(pid, st.PidStart)
	if err != nil {
		unix.Kill(pid, unix.SIGKILL)
		waitPid(pid)
		rt.Delete(rctx, cfg.ID, true)
		return 0, -1, err
	}
	defer unregister()
	if err := e.saveState(cfg.ID, st); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		waitPid(pid)
		rt.Delete(rctx, cfg.ID, true)
		return 0, -1, err
	}
	unlock()
	unlock = nil
	testPause("running")
	e.event(cfg, "start", nil)
	if fg != nil {
		fg.signals.target(pid)
	}
	started(nil)
	if fg == nil {
		e.idle()
	}

	var relays sync.WaitGroup
	for _, s := range []struct {
		name string
		r    *os.File
		out  io.Writer
	}{{"stdout", outR, fgWriter(fg, true)}, {"stderr", errR, fgWriter(fg, false)}} {
		relays.Add(1)
		go func() {
			defer relays.Done()
			log.relay(s.name, s.r, s.out)
			s.r.Close()
		}()
	}
	code = waitPid(pid)
	if fg != nil {
		fg.signals.target(0)
	}
	// Output is complete once every process of the container is gone.
	relays.Wait()

	// Release before recording: a monitor killed in between leaves a
	// "running" record that readers reconcile, never a leaked mount.
	rt.Delete(rctx, cfg.ID, true)
	if err := e.open(); err == nil {
		e.store.Unmount(cfg.ID)
	}
	mounted = false
	again = -1
	if unlock, err := e.lockContainer(cfg.ID); err == nil {
		if st, err := e.loadState(cfg.ID); err == nil {
			// The exit and the restart decision are one record, so no
			// reader sees "exited" of a container about to restart. The
			// monitor stays recorded: a restarting record needs it alive.
			st.Status, st.ExitCode, st.FinishedAt = StatusExited, code, time.Now().UTC()
			st.Pid, st.PidStart, st.RuntimeState = 0, 0, false
			if delay, ok := restartDelay(cfg.RestartPolicy, st, code); ok {
				st.Status, st.RestartCount, again = StatusRestarting, st.RestartCount+1, delay
			}
			e.saveState(cfg.ID, st)
		}
		unlock()
	}
	e.event(cfg, "died", map[string]string{"exitCode": fmt.Sprint(code)})
	return code, again, nil
}

// idle gives back what a detached monitor holds only to start the
// container (the store, the garbage of reading it) while it waits: a
// monitor per container must stay small. open brings the store back.
func (e *Engine) idle() {
	e.Close()
	e.store = nil
	debug.FreeOSMemory()
	trimExecutable()
}

// fgWriter is where a foreground container's stream goes besides its log.
func fgWriter(fg *foreground, stdout bool) io.Writer {
	if fg == nil {
		return nil
	}
	if stdout {
		return fg.stdio.Out
	}
	return fg.stdio.Err
}
