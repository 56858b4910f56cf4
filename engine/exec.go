package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
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
	Detach      bool
}

// Exec runs a command in a running container and returns its exit code
// as an *ExitError when it is not 0.
func (e *Engine) Exec(ctx context.Context, ref string, o ExecOptions, stdio Stdio) error {
	if len(o.Args) == 0 {
		return withClass(ErrInvalid, fmt.Errorf("exec: no command given"))
	}
	id, _, err := e.running(ctx, ref)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(e.containerDir(id), "bundle", "config.json"))
	if err != nil {
		return fmt.Errorf("read bundle of %s: %w", ref, err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("parse bundle of %s: %w", ref, err)
	}
	p := *spec.Process
	p.Args = o.Args
	var env []string
	for _, f := range o.EnvFiles {
		fe, err := ReadEnvFile(f)
		if err != nil {
			return err
		}
		env = append(env, fe...)
	}
	for _, kv := range o.Env {
		entry, err := envEntry(kv)
		if err != nil {
			return withClass(ErrInvalid, fmt.Errorf("-e: %w", err))
		}
		if entry != "" {
			env = append(env, entry)
		}
	}
	p.Env = mergeEnv(p.Env, env...)
	rootfs := spec.Root.Path
	if o.User != "" {
		u, err := oci.ResolveUser(rootfs, o.User)
		if err != nil {
			return withClass(ErrInvalid, err)
		}
		p.User = specs.User{UID: u.UID, GID: u.GID, AdditionalGids: u.Additional}
	}
	if o.Workdir != "" {
		p.Cwd = o.Workdir
	}
	if err := oci.CheckExecutable(rootfs, p.Args[0], p.Env, p.Cwd); err != nil {
		return err
	}
	rt, err := e.ociRuntime()
	if err != nil {
		return err
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	io := Stdio{In: stdio.In, Out: stdio.Out, Err: stdio.Err}
	if !o.Interactive || io.In == nil {
		io.In = devnull
	}
	if o.Detach {
		// A detached process must not keep the caller's streams open.
		io = Stdio{In: devnull, Out: devnull, Err: devnull}
	}
	code, err := rt.Exec(ctx, id, &p, o.Detach, io)
	if err != nil {
		return err
	}
	e.eventByID(id, "exec", nil)
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}
