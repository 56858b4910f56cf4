package containers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/monitor"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Lookup resolves a name, a full ID or a unique ID prefix.
func (e *Service) Lookup(ref string) (string, error) {
	if ref == "" {
		return "", errdefs.WithClass(errdefs.ErrInvalid, errors.New("no container given"))
	}
	if owner, err := os.ReadFile(filepath.Join(e.Rec.NamesDir(), ref)); err == nil && record.ValidName(ref) == nil {
		if id := string(owner); e.Rec.Exists(id) {
			return id, nil
		}
	}
	if isHexID(ref) {
		entries, err := os.ReadDir(e.Rec.ContainersDir())
		if err != nil && !os.IsNotExist(err) {
			return "", err
		}
		var found []string
		for _, de := range entries {
			if strings.HasPrefix(de.Name(), ref) {
				found = append(found, de.Name())
			}
		}
		if len(found) == 1 {
			return found[0], nil
		}
		if len(found) > 1 {
			return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container ID %q is ambiguous: give more of it", ref))
		}
	}
	return "", errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("no container with name or ID %q found", ref))
}

// Config resolves ref and reads the container's container.json.
func (e *Service) Config(ref string) (*record.Config, error) {
	id, err := e.Lookup(ref)
	if err != nil {
		return nil, err
	}
	cfg, err := e.Rec.LoadConfig(id)
	if err != nil {
		return nil, fmt.Errorf("read container %.12s: %w", id, err)
	}
	return cfg, nil
}

func isHexID(s string) bool {
	return len(s) >= 3 && len(s) <= 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// reconcile repairs a record whose monitor is gone: the container is
// killed if it outlived it, its runtime state and mount are released, and
// it is recorded as exited (code -1 when nobody saw the exit). The caller
// holds the container's lock; reconcile reports whether st changed.
func (e *Service) reconcile(ctx context.Context, id string, st *record.State) bool {
	if !needsMonitor(st) || record.Alive(st.MonitorPid, st.MonitorStart) {
		return false
	}
	if !runs(st) {
		// Its last exit is recorded: only the rootfs is left.
		if cfg, err := e.Rec.LoadConfig(id); err == nil {
			e.release(cfg, st)
		}
		return true
	}
	wasRunning := st.Status != record.StatusCreated
	if record.Alive(st.Pid, st.PidStart) {
		signalPid(st.Pid, st.PidStart, unix.SIGKILL)
	}
	if rt, err := e.RuntimeOf(id, st); err == nil {
		rt.Delete(ctx, id, true)
	}
	if cfg, err := e.Rec.LoadConfig(id); err == nil {
		e.release(cfg, st)
	}
	netns.Release(e.Bridges(), id)
	st.Pid, st.PidStart, st.MonitorPid, st.MonitorStart, st.RuntimeState, st.Ports, st.Paused = 0, 0, 0, 0, false, nil, false
	said := monitor.LastError(e.Rec.MonitorLog(id))
	if wasRunning {
		st.Status, st.ExitCode, st.FinishedAt = record.StatusExited, -1, time.Now().UTC()
		st.Error = "the container's monitor died; its exit code is unknown"
		if said != "" {
			st.Error += "; it said: " + said
		}
	} else if said != "" {
		st.Error = "the container's monitor died while starting it; it said: " + said
	}
	return true
}

// needsMonitor tells whether a record is only true while its monitor
// lives: a container that runs, or whose rootfs a run holds.
func needsMonitor(st *record.State) bool { return runs(st) || st.Mounted }

// runs tells whether a container runs, or waits to run again, or the
// runtime may hold state for it.
func runs(st *record.State) bool {
	return st.Status == record.StatusRunning || st.Status == record.StatusRestarting || st.RuntimeState
}

// State loads a container's State, reconciled under its lock.
func (e *Service) State(ctx context.Context, id string) (*record.State, error) {
	st, err := e.Rec.LoadState(id)
	if err != nil || !needsMonitor(st) || record.Alive(st.MonitorPid, st.MonitorStart) {
		return st, err
	}
	unlock, err := e.Rec.Lock(id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if st, err = e.Rec.LoadState(id); err != nil {
		return nil, err
	}
	if e.reconcile(ctx, id, st) {
		if err := e.Rec.SaveState(id, st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// signalPid sends sig to pid only while it is still the process that
// started at start: the pidfd pins the process before the check.
func signalPid(pid int, start uint64, sig unix.Signal) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("open process %d: %w", pid, err)
	}
	defer unix.Close(fd)
	if !record.Alive(pid, start) {
		return fmt.Errorf("process %d: %w", pid, unix.ESRCH)
	}
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}

// Start starts a created or exited container under a monitor; with
// streams the caller attaches to it, as Attach does, from its first byte
// of output.
func (e *Service) Start(ctx context.Context, ref string, streams *attach.Streams) error {
	id, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	st, err := e.State(ctx, id)
	if err != nil {
		return err
	}
	running := st.Status == record.StatusRunning || st.Status == record.StatusRestarting
	cfg, err := e.Rec.LoadConfig(id)
	if err != nil {
		return err
	}
	if !running {
		if err := e.startRequired(ctx, cfg); err != nil {
			return err
		}
	}
	if streams == nil {
		if running {
			return nil
		}
		p, err := monitor.Prestart(false, nil)
		if err != nil {
			return err
		}
		_, err = e.launch(ctx, cfg, p, nil)
		return err
	}
	if running {
		// Its monitor is there, between runs too: attach to it.
		return e.attach(cfg, *streams)
	}
	return e.startAttached(cfg, *streams, nil)
}

// startRequired starts the containers cfg requires (--requires) that
// are not running, and theirs before them.
func (e *Service) startRequired(ctx context.Context, cfg *record.Config) error {
	for _, id := range cfg.Requires {
		if err := e.Start(ctx, id, nil); err != nil {
			return fmt.Errorf("start %s, which %s requires: %w", e.Rec.NameOf(id), cfg.Name, err)
		}
	}
	return nil
}

// finished applies the exit policy of the pod of container cfg, which
// is done for good: with stop, the pod's infra container stops once no
// other member runs or waits to be started.
func (e *Service) finished(ctx context.Context, cfg *record.Config) {
	if cfg.Pod == "" || cfg.Infra || cfg.InitContainer {
		return
	}
	p, err := e.Rec.LoadPod(cfg.Pod)
	if err != nil || p.ExitPolicy != record.ExitPolicyStop {
		return
	}
	members, err := e.Rec.PodMembers()
	if err != nil {
		return
	}
	infra := ""
	for _, m := range members[p.ID] {
		switch {
		case m.Infra:
			infra = m.ID
		case m.ID != cfg.ID && !m.InitContainer:
			if st, err := e.State(ctx, m.ID); err == nil && st.Status != record.StatusExited {
				return
			}
		}
	}
	if infra == "" {
		return
	}
	// A pod started again since this exit keeps its infra container.
	mine, err1 := e.Rec.LoadState(cfg.ID)
	its, err2 := e.Rec.LoadState(infra)
	if err1 == nil && err2 == nil && its.StartedAt.After(mine.FinishedAt) {
		return
	}
	e.Stop(ctx, infra, nil)
}

// Attach connects the caller's streams to a running container until it
// exits (its code as an *errdefs.ExitError unless 0) or the user detaches.
func (e *Service) Attach(ctx context.Context, ref string, s attach.Streams) error {
	id, _, err := e.running(ctx, ref)
	if err != nil {
		return err
	}
	cfg, err := e.Rec.LoadConfig(id)
	if err != nil {
		return err
	}
	return e.attach(cfg, s)
}

// attach streams s to and from the monitor of container cfg.
func (e *Service) attach(cfg *record.Config, s attach.Streams) error {
	id := cfg.ID
	if !cfg.Interactive {
		s.In = nil
	}
	c, err := attach.Dial(e.AttachSocket(id), id, attach.Request{Stdin: s.In != nil})
	if err != nil {
		return err
	}
	return attach.Stream(c, s, cfg.Tty)
}

// running resolves ref to a container that runs, and its state.
func (e *Service) running(ctx context.Context, ref string) (string, *record.State, error) {
	id, err := e.Lookup(ref)
	if err != nil {
		return "", nil, err
	}
	st, err := e.State(ctx, id)
	if err != nil {
		return "", nil, err
	}
	if st.Status != record.StatusRunning {
		return "", nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s is not running: start it first", ref))
	}
	return id, st, nil
}

// Pause freezes the processes of running container ref (the freezer
// cgroup, through the runtime).
func (e *Service) Pause(ctx context.Context, ref string) error {
	return e.setPaused(ctx, ref, true)
}

// Unpause thaws a container Pause froze.
func (e *Service) Unpause(ctx context.Context, ref string) error {
	return e.setPaused(ctx, ref, false)
}

func (e *Service) setPaused(ctx context.Context, ref string, pause bool) error {
	cfg, unlock, err := e.lockedConfig(ref)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := e.Rec.LoadState(cfg.ID)
	if err != nil {
		return err
	}
	e.reconcile(ctx, cfg.ID, st)
	switch {
	case st.Status != record.StatusRunning:
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s is not running: start it first", ref))
	case st.Paused == pause && pause:
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s is paused already", ref))
	case st.Paused == pause:
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s is not paused", ref))
	}
	if pause && st.StoppedByUser {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s is being stopped", ref))
	}
	rt, err := e.RuntimeOf(cfg.ID, st)
	if err != nil {
		return err
	}
	if pause {
		// Recorded first: one killed before runc answers leaves a
		// record that says paused, which unpause and stop then thaw.
		st.Paused = true
		if err := e.Rec.SaveState(cfg.ID, st); err != nil {
			return err
		}
		if err := rt.Pause(ctx, cfg.ID); err != nil {
			st.Paused = false
			e.Rec.SaveState(cfg.ID, st)
			if userns.Rootless() {
				return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("pause %s: a rootless container has no freezer here (no cgroup delegated to the user): %w", ref, err))
			}
			return err
		}
	} else {
		if err := resume(ctx, rt, cfg.ID); err != nil {
			return err
		}
		st.Paused = false
		if err := e.Rec.SaveState(cfg.ID, st); err != nil {
			return err
		}
	}
	e.Rec.Event(cfg, map[bool]string{true: "pause", false: "unpause"}[pause], nil)
	return nil
}

// resume thaws container id; one that is not frozen (a pause killed
// before the runtime froze it) is no error.
func resume(ctx context.Context, rt *oci.Runtime, id string) error {
	if err := rt.Resume(ctx, id); err != nil && !strings.Contains(err.Error(), "not paused") {
		return err
	}
	return nil
}

// thaw unpauses container id, whose state st its caller holds locked, so
// that signals reach it; a failure leaves it to a forced kill.
func (e *Service) thaw(ctx context.Context, id string, st *record.State) {
	if !st.Paused {
		return
	}
	if rt, err := e.RuntimeOf(id, st); err == nil && resume(ctx, rt, id) == nil {
		st.Paused = false
		e.Rec.SaveState(id, st)
	}
}

// Kill sends sig to a running container.
func (e *Service) Kill(ctx context.Context, ref string, sig unix.Signal) error {
	id, st, err := e.running(ctx, ref)
	if err != nil {
		return err
	}
	if st.Paused {
		// A frozen process hears no signal: SIGKILL thaws it first, as
		// Podman's; another signal waits for unpause.
		if sig != unix.SIGKILL {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s is paused: unpause it first, or kill it with SIGKILL", ref))
		}
		if unlock, err := e.Rec.Lock(id); err == nil {
			if st, err := e.Rec.LoadState(id); err == nil {
				e.thaw(ctx, id, st)
			}
			unlock()
		}
	}
	if err := signalPid(st.Pid, st.PidStart, sig); err != nil {
		return fmt.Errorf("signal container %s: %w", ref, err)
	}
	e.Rec.EventByID(id, "kill", map[string]string{"signal": unix.SignalName(sig)})
	return nil
}

// Stop sends the container's stop signal, then SIGKILL after timeout
// (nil: the container's own, 10 s by default), and waits for the exit.
// The restart policy does not bring a stopped container back.
func (e *Service) Stop(ctx context.Context, ref string, timeout *int) error {
	cfg, err := e.Config(ref)
	if err != nil {
		return err
	}
	id := cfg.ID
	unlock, err := e.Rec.Lock(id)
	if err != nil {
		return err
	}
	st, err := e.Rec.LoadState(id)
	if err != nil {
		unlock()
		return err
	}
	e.thaw(ctx, id, st) // a frozen process hears no signal
	if e.reconcile(ctx, id, st) || st.Status == record.StatusRunning || st.Status == record.StatusRestarting {
		st.StoppedByUser = true
		if err := e.Rec.SaveState(id, st); err != nil {
			unlock()
			return err
		}
	}
	unlock()
	if st.Status != record.StatusRunning && st.Status != record.StatusRestarting {
		return nil
	}
	sig := unix.SIGTERM
	if cfg.StopSignal != "" {
		if sig, err = specgen.ParseSignal(cfg.StopSignal); err != nil {
			return err
		}
	}
	wait := time.Duration(cfg.StopTimeout) * time.Second
	if timeout != nil {
		wait = time.Duration(*timeout) * time.Second
	}
	if wait < 0 {
		wait = math.MaxInt64 // -t -1 waits as long as it takes
	}
	// The clean-up after the exit is ours, as Podman's stop does it: the
	// monitor need not start scow for it. Without its monitor's socket,
	// the monitor does it.
	owner := st.MonitorPid
	c, dialErr := attach.Dial(e.AttachSocket(id), id, attach.Request{Cleans: true})
	var news *exitNews
	if dialErr == nil {
		defer c.Close()
		news = &exitNews{heard: c.WatchExit()}
	}
	exited := false
	if wait > 0 {
		signalPid(st.Pid, st.PidStart, sig)
		exited = e.waitExit(ctx, id, wait, news)
	}
	if !exited {
		signalPid(st.Pid, st.PidStart, unix.SIGKILL)
		if !e.waitExit(ctx, id, 30*time.Second, news) {
			return fmt.Errorf("container %s did not exit after SIGKILL", ref)
		}
	}
	e.Rec.EventByID(id, "stop", nil)
	if dialErr == nil {
		// The monitor takes the clean-up as done once it has told of the
		// exit, which it does once the exit is recorded.
		told, cancel := context.WithTimeout(ctx, 5*time.Second)
		news.wait(told)
		cancel()
		if e.Cleanup(ctx, id, owner) == nil && news.told {
			c.Send(attach.FrameCleaned, nil)
		}
	}
	return nil
}

// exitNews is what a stop hears from the container's monitor: told once
// the monitor has told of the exit, over once it told or hung up.
type exitNews struct {
	heard      <-chan bool
	told, over bool
}

// wait waits for the news until ctx ends; n may be nil: no monitor to
// hear from.
func (n *exitNews) wait(ctx context.Context) {
	if n == nil || n.over {
		return
	}
	select {
	case n.told = <-n.heard:
		n.over = true
	case <-ctx.Done():
	}
}

// Restart stops a container, if it runs, and starts it again.
func (e *Service) Restart(ctx context.Context, ref string, timeout *int) error {
	if err := e.Stop(ctx, ref, timeout); err != nil {
		return err
	}
	return e.Start(ctx, ref, nil)
}

// waitExit waits until the container is no longer running (as its
// monitor records it) or d passes. The monitor tells of the exit once it
// is recorded (news; nil without a connection to it); without that word,
// or when the record still says running (a restart the stop came too
// late for), it follows the container's process and record.
func (e *Service) waitExit(ctx context.Context, id string, d time.Duration, news *exitNews) bool {
	until, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	news.wait(until)
	if news != nil && !news.told && until.Err() != nil {
		return false
	}
	b := newBackoff(5*time.Millisecond, 100*time.Millisecond)
	defer b.close()
	for {
		st, err := e.State(ctx, id)
		if err != nil || (st.Status != record.StatusRunning && st.Status != record.StatusRestarting) {
			return true
		}
		b.follow(st, e.Rec.Dir(id), false)
		if b.wait(until) != nil {
			return false
		}
	}
}

// ForceRemove removes container id, stopped first if it runs (killed
// after timeout seconds, when given, else its stop timeout): what a
// forced removal of its image, a volume or a network it uses does.
func (e *Service) ForceRemove(ctx context.Context, id string, timeout *int) error {
	if err := e.infraInUse(id); err != nil {
		return err
	}
	e.Stop(ctx, id, timeout) // what fails to stop, the removal kills
	return e.removeContainer(ctx, id, true, false)
}

// infraInUse refuses the removal of container id when it is the infra
// container of a pod that is still there: pod rm removes the pod's
// record first, and then its infra container.
func (e *Service) infraInUse(id string) error {
	cfg, err := e.Rec.LoadConfig(id)
	if err != nil || !cfg.Infra {
		return nil
	}
	p, err := e.Rec.LoadPod(cfg.Pod)
	if err != nil {
		return nil // its pod is gone: it may go too
	}
	return errdefs.WithClass(errdefs.ErrInUse, fmt.Errorf("container %s is the infra container of pod %s: remove the pod (pod rm %s)", cfg.Name, p.Name, p.Name))
}

// removeDone removes container id, done for good, with its anonymous
// volumes: --rm after its last exit; and its image for --rmi, unless another
// container uses it.
func (e *Service) removeDone(ctx context.Context, id string) error {
	cfg, _ := e.Rec.LoadConfig(id)
	if err := e.removeContainer(ctx, id, true, true); err != nil {
		return err
	}
	if cfg != nil && cfg.RemoveImage && cfg.ImageID != "" {
		// By the name it was run with, as Podman (an image with other
		// names loses that one), while that name still means it.
		ref := cfg.ImageID
		if img, err := e.images.Get(cfg.Image); err == nil && img.ID == cfg.ImageID {
			ref = cfg.Image
		}
		_, err := e.images.Remove(ctx, ref, false, true)
		if err != nil && !errors.Is(err, errdefs.ErrNotFound) && !errors.Is(err, errdefs.ErrInUse) {
			return fmt.Errorf("--rmi: %w", err)
		}
	}
	return nil
}

// RemoveOptions are rm's flags.
type RemoveOptions struct {
	// Force removes a running container too, stopped first as Podman's
	// rm -f does: its stop signal, then SIGKILL after Timeout seconds or
	// its stop timeout (-t 0 kills at once, as Docker's rm -f).
	Force   bool
	Timeout *int
	// Volumes removes its anonymous volumes too.
	Volumes bool
	// Depend removes the containers that join its namespaces first;
	// without it a container that has such dependents stays.
	Depend bool
	// Infra allows the removal of a pod's infra container: pod rm's.
	Infra bool
}

// Remove deletes a container, and with Depend the containers that
// depend on it, and returns the IDs removed, dependents first.
func (e *Service) Remove(ctx context.Context, ref string, o RemoveOptions) ([]string, error) {
	id, err := e.Lookup(ref)
	if err != nil {
		return nil, err
	}
	if !o.Infra {
		if err := e.infraInUse(id); err != nil {
			return nil, err
		}
	}
	deps, err := e.dependents(id)
	if err != nil && !o.Force {
		return nil, err
	}
	// Forced, a record that cannot be read (this one's, maybe) names
	// no dependents: what can be removed is.
	if len(deps) > 0 && !o.Depend {
		names := make([]string, len(deps))
		for i, d := range deps {
			names[i] = e.Rec.NameOf(d)
		}
		return nil, errdefs.WithClass(errdefs.ErrInUse, fmt.Errorf("container %s has dependent containers (%s): remove them first, or use --depend", ref, strings.Join(names, ", ")))
	}
	var removed []string
	for _, d := range append(deps, id) {
		if o.Force {
			// A stop that fails (a record it cannot read) leaves the
			// kill to the forced removal.
			e.Stop(ctx, d, o.Timeout)
		}
		if err := e.removeContainer(ctx, d, o.Force, o.Volumes); err != nil {
			return removed, err
		}
		removed = append(removed, d)
	}
	return removed, nil
}

// dependents are the containers that join container id's namespaces
// (--network, --pid, --ipc or --uts container:ID) or require it
// (--requires), and theirs in turn, those furthest from id first.
func (e *Service) dependents(id string) ([]string, error) {
	users, err := e.dependencies()
	if err != nil {
		return nil, err
	}
	return dependentsIn(users, id), nil
}

// dependencies maps each container's ID to those that depend on it.
func (e *Service) dependencies() (map[string][]string, error) {
	return e.Rec.Users("containers", func(cfg *record.Config) []string {
		deps := slices.Clone(cfg.Requires)
		if mode, err := netns.ParseMode(cfg.Network); err == nil && mode.Kind == netns.ModeContainer {
			deps = append(deps, mode.Target)
		}
		for _, ns := range []string{cfg.Namespaces.PID, cfg.Namespaces.IPC, cfg.Namespaces.UTS, cfg.Namespaces.Cgroup, cfg.Namespaces.User} {
			if id, ok := strings.CutPrefix(ns, "container:"); ok {
				deps = append(deps, id)
			}
		}
		return deps
	})
}

// dependentsIn is dependents with the map of dependencies.
func dependentsIn(users map[string][]string, id string) []string {
	var out []string
	var walk func(string)
	walk = func(owner string) {
		for _, d := range users[owner] {
			if d != id && !slices.Contains(out, d) {
				walk(d)
				out = append(out, d)
			}
		}
	}
	walk(id)
	return out
}

// removeContainer deletes a container: runtime state, layer, name and
// record. With force a running container is killed first.
func (e *Service) removeContainer(ctx context.Context, id string, force, volumes bool) error {
	unlock, err := e.Rec.Lock(id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil // removed meanwhile, by its monitor or another rm
	}
	if err != nil {
		return err
	}
	defer func() { unlock() }() // unlock is replaced when we wait below
	cfg, _ := e.Rec.LoadConfig(id)
	st, stErr := e.Rec.LoadState(id)
	if stErr == nil {
		e.reconcile(ctx, id, st)
		if st.Status == record.StatusRunning || st.Status == record.StatusRestarting {
			if !force {
				return errdefs.WithClass(errdefs.ErrRunning, fmt.Errorf("container %.12s is running: stop it first, or remove it with --force", id))
			}
			st.StoppedByUser = true
			e.thaw(ctx, id, st) // saves st when it thaws
			e.Rec.SaveState(id, st)
			signalPid(st.Pid, st.PidStart, unix.SIGKILL)
			// The monitor records the exit; it needs the lock for that.
			// The rootfs it leaves goes with the container below.
			unlock()
			e.waitExit(ctx, id, 30*time.Second, nil)
			if unlock, err = e.Rec.Lock(id); err != nil {
				return nil // removed meanwhile (--rm)
			}
			if st, stErr = e.Rec.LoadState(id); stErr == nil {
				e.reconcile(ctx, id, st)
			}
		}
	}
	var known *record.State
	if stErr == nil {
		known = st
	}
	if rt, err := e.RuntimeOf(id, known); err == nil && (stErr != nil || st.RuntimeState) {
		rt.Delete(ctx, id, true)
	}
	// A monitor killed while it set up the network leaves a pin that
	// no record marks as running.
	netns.Release(e.Bridges(), id)
	if err := e.Open(); err != nil {
		return err
	}
	// A --rootfs overlay is mounted in the record's directory, which
	// goes below.
	if err := e.DropRootfs(id); err != nil {
		return err
	}
	e.UnmountShm(id)
	if err := e.Store.DeleteContainer(id); err != nil {
		return err
	}
	if cfg != nil {
		e.Rec.ReleaseName(cfg.Name, id)
		if cfg.CIDFile != "" {
			// Only while it still names this container.
			if data, err := os.ReadFile(cfg.CIDFile); err == nil && strings.TrimSpace(string(data)) == id {
				os.Remove(cfg.CIDFile)
			}
		}
		e.Rec.Event(cfg, "remove", nil)
	}
	if err := os.RemoveAll(e.Rec.Dir(id)); err != nil {
		return fmt.Errorf("remove record of %.12s: %w", id, err)
	}
	if volumes && cfg != nil {
		// The volumes' lock is never taken under a container's.
		unlock()
		unlock = func() {}
		return e.volumes.RemoveAnonymous(cfg)
	}
	return nil
}

// WaitOptions are wait's flags.
type WaitOptions struct {
	// Conditions are the states any of which ends the wait: "stopped"
	// (the default; "exited" too), "running", "created", "restarting".
	Conditions []string
	// Interval is the longest time between two looks (0: 100 ms).
	Interval time.Duration
}

// Wait blocks until the container meets one of the conditions and
// returns its exit code.
func (e *Service) Wait(ctx context.Context, ref string, o WaitOptions) (int, error) {
	id, err := e.Lookup(ref)
	if err != nil {
		return 0, err
	}
	states := map[string][]string{
		"stopped": {record.StatusExited, record.StatusCreated}, "exited": {record.StatusExited},
		"not-running": {record.StatusExited, record.StatusCreated}, "next-exit": {record.StatusExited},
		"running": {record.StatusRunning}, "created": {record.StatusCreated}, "restarting": {record.StatusRestarting},
	}
	conditions := o.Conditions
	if len(conditions) == 0 {
		conditions = []string{"stopped"}
	}
	var want, wantHealth []string
	for _, c := range conditions {
		if c == record.HealthHealthy || c == record.HealthUnhealthy {
			wantHealth = append(wantHealth, c)
			continue
		}
		s, ok := states[c]
		if !ok {
			return 0, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--condition %q: use stopped, exited, running, created, restarting, healthy or unhealthy", c))
		}
		want = append(want, s...)
	}
	var cfg *record.Config
	if len(wantHealth) > 0 {
		if cfg, err = e.Rec.LoadConfig(id); err != nil {
			return 0, err
		}
		if cfg.Healthcheck == nil {
			return 0, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--condition %s: container %s has no healthcheck", wantHealth[0], ref))
		}
	}
	interval := o.Interval
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	b := newBackoff(min(5*time.Millisecond, interval), interval)
	defer b.close()
	for {
		st, err := e.State(ctx, id)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return 0, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("container %s was removed", ref))
			}
			return 0, err
		}
		for _, w := range want {
			if st.Status == w {
				return st.ExitCode, nil
			}
		}
		if cfg != nil && slices.Contains(wantHealth, e.healthStatus(cfg, st)) {
			return st.ExitCode, nil
		}
		b.follow(st, e.Rec.Dir(id), cfg != nil)
		if err := b.wait(ctx); err != nil {
			return 0, err
		}
	}
}

// Exists tells whether container ref exists; with external, a container
// in storage that another engine made (Buildah) counts too.
func (e *Service) Exists(ref string, external bool) (bool, error) {
	_, err := e.Lookup(ref)
	if err == nil || !errors.Is(err, errdefs.ErrNotFound) {
		return err == nil, err
	}
	if !external {
		return false, nil
	}
	if err := e.Open(); err != nil {
		return false, err
	}
	return e.Store.HasContainer(ref), nil
}

// lockedConfig resolves ref, locks the container and reads its record;
// the caller releases the lock with unlock.
func (e *Service) lockedConfig(ref string) (_ *record.Config, unlock func(), err error) {
	id, err := e.Lookup(ref)
	if err != nil {
		return nil, nil, err
	}
	if unlock, err = e.Rec.Lock(id); err != nil {
		return nil, nil, err
	}
	cfg, err := e.Rec.LoadConfig(id)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return cfg, unlock, nil
}

// Update changes the limits of container ref, running or not, and
// records them, so that its next start keeps them.
func (e *Service) Update(ctx context.Context, ref string, o specgen.ResourceOptions) error {
	if userns.Rootless() {
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("update: a rootless container has no cgroup limits here (no cgroup is delegated to the user)"))
	}
	cfg, unlock, err := e.lockedConfig(ref)
	if err != nil {
		return err
	}
	defer unlock()
	merged, err := specgen.UpdateResources(cfg.Resources, o)
	if err != nil {
		return err
	}
	if merged == nil {
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("update: give a limit to change (--memory, --cpus, --pids-limit...)"))
	}
	st, err := e.Rec.LoadState(cfg.ID)
	if err != nil {
		return err
	}
	if e.reconcile(ctx, cfg.ID, st); st.Status == record.StatusRunning {
		rt, err := e.RuntimeOf(cfg.ID, st)
		if err != nil {
			return err
		}
		apply := *merged
		apply.Memory = oci.DefaultSwap(merged.Memory)
		if err := rt.Update(ctx, cfg.ID, &apply); err != nil {
			return fmt.Errorf("update %s: %w", ref, err)
		}
	}
	cfg.Resources = merged
	if err := e.Rec.SaveConfig(cfg); err != nil {
		return err
	}
	e.Rec.Event(cfg, "update", nil)
	return nil
}

// Rename gives a container a new name.
func (e *Service) Rename(ctx context.Context, ref, name string) error {
	if err := record.ValidName(name); err != nil {
		return err
	}
	cfg, unlock, err := e.lockedConfig(ref)
	if err != nil {
		return err
	}
	defer unlock()
	id := cfg.ID
	if cfg.Name == name {
		return nil
	}
	if err := e.Rec.ReserveName(name, id); err != nil {
		return err
	}
	old := cfg.Name
	cfg.Name = name
	if err := e.Rec.SaveConfig(cfg); err != nil {
		e.Rec.ReleaseName(name, id)
		return err
	}
	e.Rec.ReleaseName(old, id)
	// Peers on its networks know it by its new name at once.
	if err := e.Bridges().Rename(id, name); err != nil {
		logrus.Warnf("rename %s on its networks: %v", name, err)
	}
	e.Rec.Event(cfg, "rename", map[string]string{"oldName": old})
	return nil
}

// Prune removes every container that is not running and matches the
// filters (ps's keys), and returns their IDs.
func (e *Service) Prune(ctx context.Context, filters []string) ([]string, error) {
	list, err := e.List(ctx, ListOptions{All: true, Filters: filters})
	if err != nil {
		return nil, err
	}
	users, err := e.dependencies()
	if err != nil {
		return nil, err
	}
	stopped := map[string]bool{}
	for _, c := range list {
		// A pod's infra container goes with its pod only.
		if c.State.Status != record.StatusRunning && c.State.Status != record.StatusRestarting && e.infraInUse(c.Config.ID) == nil {
			stopped[c.Config.ID] = true
		}
	}
	// One a container that stays depends on stays too; dependents go
	// before what they depend on.
	var order []string
	for _, c := range list {
		deps := dependentsIn(users, c.Config.ID)
		if !stopped[c.Config.ID] || slices.ContainsFunc(deps, func(d string) bool { return !stopped[d] }) {
			continue
		}
		for _, id := range append(deps, c.Config.ID) {
			if !slices.Contains(order, id) {
				order = append(order, id)
			}
		}
	}
	var removed []string
	for _, id := range order {
		if err := e.removeContainer(ctx, id, false, false); err != nil {
			if errors.Is(err, errdefs.ErrRunning) {
				continue // started meanwhile
			}
			return removed, err
		}
		removed = append(removed, id)
	}
	return removed, nil
}
