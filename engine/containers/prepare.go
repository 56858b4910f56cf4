package containers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/monitor"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/oci"
)

// Prepare makes the next run of container id ready for its monitor, the
// process o.Owner: the rootfs (and shm) mounted and recorded as held for
// it, and the bundle written. What the last run held, if still held,
// goes first.
func (e *Service) Prepare(ctx context.Context, id string, o monitor.RunOptions) (monitor.Plan, error) {
	owner := o.Owner
	unlock, err := e.Rec.Lock(id)
	if err != nil {
		return monitor.Plan{}, err
	}
	defer unlock()
	cfg, err := e.Rec.LoadConfig(id)
	if err != nil {
		return monitor.Plan{}, err
	}
	st, err := e.Rec.LoadState(id)
	if err != nil {
		st = &record.State{Status: record.StatusCreated}
	}
	if st.MonitorPid != owner && runs(st) && record.Alive(st.MonitorPid, st.MonitorStart) {
		return monitor.Plan{}, errdefs.WithClass(errdefs.ErrRunning, fmt.Errorf("container %s is already running", cfg.Name))
	}
	if st.Mounted {
		if err := e.release(cfg, st); err != nil {
			return monitor.Plan{}, err
		}
	}
	if err := e.Open(); err != nil {
		return monitor.Plan{}, err
	}
	// Recorded before the mount: a kill in between leaves a record that
	// the next reader releases, never a mount nobody knows of. From here
	// the run is the owner's: another start waits for its end.
	st.Mounted, st.RuntimeState, st.MonitorPid = true, true, owner
	st.MonitorStart, _ = record.ProcStart(owner)
	if err := e.Rec.SaveState(id, st); err != nil {
		return monitor.Plan{}, err
	}
	plan, err := e.prepare(ctx, cfg, o)
	if err != nil {
		e.release(cfg, st)
		st.RuntimeState = false
		e.Rec.SaveState(id, st)
	}
	return plan, err
}

// prepare mounts what a run of cfg needs and writes its bundle.
func (e *Service) prepare(ctx context.Context, cfg *record.Config, o monitor.RunOptions) (monitor.Plan, error) {
	rootfs, err := e.MountRootfsForRun(cfg)
	if err != nil {
		return monitor.Plan{}, err
	}
	if cfg.Namespaces.ShareableIPC() {
		if err := e.MountShm(cfg.ID, cfg.Security.ShmSize); err != nil {
			return monitor.Plan{}, err
		}
	}
	net, err := e.networkOptions(ctx, cfg, rootfs)
	if err != nil {
		return monitor.Plan{}, err
	}
	spec, err := e.runtimeSpec(cfg, rootfs, o, net)
	if err != nil {
		return monitor.Plan{}, err
	}
	bundle := filepath.Join(e.Rec.Dir(cfg.ID), "bundle")
	if err := oci.WriteBundle(bundle, spec); err != nil {
		return monitor.Plan{}, err
	}
	return monitor.Plan{
		Net: net, Bundle: bundle, CgroupPath: e.CgroupPath(cfg),
		Poststop: spec.Hooks != nil && len(spec.Hooks.Poststop) > 0,
	}, nil
}

// release lets go of what a run of cfg holds for its monitor, the rootfs
// and the shm, and records that in st; the caller holds cfg's lock and
// saves st.
func (e *Service) release(cfg *record.Config, st *record.State) error {
	e.UnmountShm(cfg.ID)
	if cfg.Rootfs == "" {
		if err := e.Open(); err != nil {
			return err
		}
	}
	if err := e.ReleaseRun(cfg); err != nil {
		return err
	}
	st.Mounted = false
	return nil
}

// Cleanup is what follows the last exit of container id under monitor
// owner, by whichever of the two gets there (the monitor's hook, or the
// client that started the container): the rootfs released, --rm applied,
// and the pod's exit policy. A container started again meanwhile, under
// another monitor, is left to it.
func (e *Service) Cleanup(ctx context.Context, id string, owner int) error {
	unlock, err := e.Rec.Lock(id)
	if err != nil {
		return nil // removed meanwhile
	}
	cfg, cfgErr := e.Rec.LoadConfig(id)
	st, stErr := e.Rec.LoadState(id)
	// A monitor that recorded its failure to start owns nothing.
	if cfgErr != nil || stErr != nil || st.MonitorPid != owner && st.MonitorPid != 0 {
		unlock()
		return nil
	}
	if runs(st) {
		unlock()
		return nil // not the last exit: it runs again
	}
	if st.Mounted {
		err = e.release(cfg, st)
		if err == nil {
			err = e.Rec.SaveState(id, st)
		}
	}
	unlock()
	if err != nil {
		return fmt.Errorf("release the rootfs of %s: %w", cfg.Name, err)
	}
	if cfg.Remove {
		if err := e.removeDone(ctx, id); err != nil {
			return err
		}
	}
	e.finished(ctx, cfg)
	return nil
}

// setup is what the monitor of container id needs of the engine.
func (e *Service) setup(id string) (monitor.Setup, error) {
	rt, err := e.Runtime()
	if err != nil {
		return monitor.Setup{}, err
	}
	exe, err := monitor.ScowProgram()
	if err != nil {
		return monitor.Setup{}, err
	}
	opts, err := json.Marshal(e.Opts)
	if err != nil {
		return monitor.Setup{}, err
	}
	return monitor.Setup{
		Records:   e.Rec,
		SocketDir: e.SocketDir(), Attach: e.AttachSocket(id), Notify: e.NotifyDir(id),
		Runtime: *rt, Scow: exe, Options: opts,
	}, nil
}

// launch runs container cfg under monitor p, with att for a client
// attached from the start: the run prepared, then handed over. A run
// that does not start is cleaned up after, --rm applied.
func (e *Service) launch(ctx context.Context, cfg *record.Config, p *monitor.Pending, att *attach.Request) (*attach.Conn, error) {
	// The monitor has the caller's environment: its NOTIFY_SOCKET too.
	o := monitor.RunOptions{Owner: p.Pid(), Notify: os.Getenv("NOTIFY_SOCKET") != ""}
	if att != nil {
		o.Rows, o.Cols = att.Rows, att.Cols
	}
	setup, err := e.setup(cfg.ID)
	if err != nil {
		p.Abort()
		e.removeFailed(ctx, cfg)
		return nil, err
	}
	plan, err := e.Prepare(ctx, cfg.ID, o)
	if err != nil {
		p.Abort()
		monitor.RecordFailure(e.Rec, cfg.ID, p.Pid(), err)
		e.removeFailed(ctx, cfg)
		return nil, err
	}
	c, err := p.Start(setup, cfg.ID, plan, att)
	if err != nil {
		// A monitor that died before it could record why is found dead
		// first: the runtime's state and the rootfs go.
		ctx := context.WithoutCancel(ctx)
		e.State(ctx, cfg.ID)
		e.Cleanup(ctx, cfg.ID, p.Pid())
		return nil, err
	}
	return c, nil
}
