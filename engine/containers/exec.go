package containers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/oci"
)

// ExecOptions are the flags of exec.
type ExecOptions struct {
	Args        []string
	Env         []string
	EnvFiles    []string
	Workdir     string
	User        string
	Interactive bool
	Tty         bool
	Detach      bool
	// Privileged gives the process every capability, as a privileged
	// container's: runc starts an exec'd process afresh.
	Privileged bool
	// NoEvent records no exec event: a healthcheck's has its own.
	NoEvent bool
}

// Exec runs a command in a running container, through its monitor, with
// the caller's streams attached; its exit code comes back as an
// *errdefs.ExitError when it is not 0. Detached, Exec returns once it runs.
func (e *Service) Exec(ctx context.Context, ref string, o ExecOptions, s attach.Streams) error {
	if len(o.Args) == 0 {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("exec: no command given"))
	}
	id, st, err := e.running(ctx, ref)
	if err != nil {
		return err
	}
	if st.Paused {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s is paused: unpause it first", ref))
	}
	data, err := os.ReadFile(filepath.Join(e.Rec.Dir(id), "bundle", "config.json"))
	if err != nil {
		return fmt.Errorf("read bundle of %s: %w", ref, err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("parse bundle of %s: %w", ref, err)
	}
	p := *spec.Process
	p.Args = o.Args
	if o.Privileged {
		caps := oci.Security{Privileged: true}.Caps()
		p.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	}
	env, err := specgen.UserEnv(o.EnvFiles, o.Env)
	if err != nil {
		return err
	}
	p.Env = specgen.MergeEnv(p.Env, env...)
	rootfs := spec.Root.Path
	if o.User != "" {
		u, err := oci.ResolveUser(rootfs, o.User)
		if err != nil {
			return errdefs.WithClass(errdefs.ErrInvalid, err)
		}
		p.User = specs.User{UID: u.UID, GID: u.GID, AdditionalGids: u.Additional}
	}
	if o.Workdir != "" {
		p.Cwd = o.Workdir
	}
	if err := oci.CheckExecutable(rootfs, p.Args[0], p.Env, p.Cwd, spec.Mounts); err != nil {
		return err
	}
	// The monitor sets the terminal up from the request's size, as for
	// a run.
	p.Terminal, p.ConsoleSize = o.Tty, nil
	if !o.Interactive || o.Detach {
		s.In = nil
	}
	req := attach.Request{Exec: &p, Detach: o.Detach, Stdin: s.In != nil, Extra: s.Files}
	if o.Tty {
		req.Rows, req.Cols = s.TerminalSize()
	}
	c, err := attach.Dial(e.AttachSocket(id), id, req)
	if err != nil {
		return err
	}
	var buf []byte
	kind, data, err := c.Read(&buf)
	switch {
	case err != nil:
		c.Close()
		return fmt.Errorf("exec in %s: the container's monitor went away", ref)
	case kind == attach.FrameExit:
		c.Close()
		return attach.ExitResult(data)
	}
	if !o.NoEvent {
		e.Rec.EventByID(id, "exec", nil)
	}
	if o.Detach {
		c.Close()
		return nil
	}
	return attach.Stream(c, s, o.Tty)
}
