package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
	"golang.org/x/sys/unix"
)

// RunOptions are the flags of create and run.
type RunOptions struct {
	Image string
	Name  string
	// Args are the command and arguments after the image; empty keeps the
	// image's Cmd.
	Args []string
	// Entrypoint, when non-nil, replaces the image's ("" clears it).
	Entrypoint  *string
	Env         []string
	EnvFiles    []string
	Workdir     string
	User        string
	Hostname    string
	Network     string
	Volumes     []string
	Interactive bool
	Remove      bool
}

// Stdio are the streams a foreground container uses.
type Stdio struct {
	In, Out, Err *os.File
}

// ExitError carries a container's exit code: the CLI exits with it.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("container exited with code %d", e.Code) }

// Run creates a container and runs it in the foreground: the container's
// stdio are the caller's, signals are forwarded, and the container's exit
// code comes back as an *ExitError when it is not 0.
func (e *Engine) Run(ctx context.Context, o RunOptions, stdio Stdio) (err error) {
	cfg, err := e.create(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		if !cfg.Remove {
			return
		}
		if rerr := e.removeContainer(context.WithoutCancel(ctx), cfg.ID, true); rerr != nil && err == nil {
			err = rerr
		}
	}()
	code, err := e.start(ctx, cfg, stdio)
	if err != nil {
		return err
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// create checks every option, then records the container and makes its
// layer; on failure nothing is left behind.
func (e *Engine) create(ctx context.Context, o RunOptions) (cfg *ContainerConfig, err error) {
	if o.Name != "" {
		if err := ValidName(o.Name); err != nil {
			return nil, err
		}
	}
	if _, err := netns.ParseMode(o.Network); err != nil {
		return nil, withClass(ErrInvalid, err)
	}
	var vols []Volume
	for _, spec := range o.Volumes {
		v, err := ParseVolume(spec)
		if err != nil {
			return nil, err
		}
		vols = append(vols, v)
	}
	var env []string
	for _, f := range o.EnvFiles {
		fe, err := ReadEnvFile(f)
		if err != nil {
			return nil, err
		}
		env = append(env, fe...)
	}
	for _, kv := range o.Env {
		entry, err := envEntry(kv)
		if err != nil {
			return nil, withClass(ErrInvalid, fmt.Errorf("-e: %w", err))
		}
		if entry != "" {
			env = append(env, entry)
		}
	}
	if err := e.open(); err != nil {
		return nil, err
	}
	img, err := e.store.Image(o.Image)
	if err != nil {
		return nil, storageErr(err)
	}
	cfg = &ContainerConfig{
		ID: newID(), Name: o.Name, Image: o.Image, ImageID: img.ID, Created: time.Now().UTC(),
		Entrypoint: img.Config.Config.Entrypoint, Cmd: img.Config.Config.Cmd,
		Env: mergeEnv(img.Config.Config.Env, env...), WorkingDir: img.Config.Config.WorkingDir,
		User: img.Config.Config.User, Hostname: o.Hostname, Network: o.Network,
		Volumes: vols, Interactive: o.Interactive, Remove: o.Remove,
	}
	if o.Entrypoint != nil {
		if cfg.Entrypoint, err = parseEntrypoint(*o.Entrypoint); err != nil {
			return nil, err
		}
		cfg.Cmd = nil // Docker drops the image's Cmd with a new entrypoint
	}
	if len(o.Args) > 0 {
		cfg.Cmd = o.Args
	}
	if len(cfg.Entrypoint)+len(cfg.Cmd) == 0 {
		return nil, withClass(ErrInvalid, fmt.Errorf("no command: image %s has no Cmd or Entrypoint; give one after the image name", o.Image))
	}
	if o.Workdir != "" {
		if !strings.HasPrefix(o.Workdir, "/") {
			return nil, withClass(ErrInvalid, fmt.Errorf("-w %q: the working directory must be absolute", o.Workdir))
		}
		cfg.WorkingDir = o.Workdir
	}
	if o.User != "" {
		cfg.User = o.User
	}
	if cfg.Hostname == "" {
		cfg.Hostname = cfg.ID[:12]
		if mode, _ := netns.ParseMode(o.Network); mode == netns.ModeHost {
			cfg.Hostname, _ = os.Hostname()
		}
	}
	if cfg.Name == "" {
		cfg.Name = randomName() + "_" + cfg.ID[:4]
	}
	// The record comes first: a name file whose owner has no record is
	// then surely stale, and reserveName may reclaim it.
	if err := e.createRecord(cfg); err != nil {
		return nil, err
	}
	if err := e.reserveName(cfg.Name, cfg.ID); err != nil {
		os.RemoveAll(e.containerDir(cfg.ID))
		return nil, err
	}
	defer func() {
		if err != nil {
			e.removeContainer(context.WithoutCancel(ctx), cfg.ID, true)
		}
	}()
	if err := e.store.CreateContainer(cfg.ID, img.ID); err != nil {
		return nil, err
	}
	return cfg, nil
}

// spec builds the runtime spec of cfg on the mounted rootfs.
func (e *Engine) spec(cfg *ContainerConfig, rootfs string) (*specs.Spec, error) {
	user, err := oci.ResolveUser(rootfs, cfg.User)
	if err != nil {
		return nil, withClass(ErrInvalid, err)
	}
	env := cfg.Env
	if !hasEnv(env, "PATH") {
		env = mergeEnv([]string{oci.DefaultEnvPath}, env...)
	}
	defaults := []string{"HOSTNAME=" + cfg.Hostname, "container=scow"}
	if !hasEnv(env, "HOME") {
		defaults = append(defaults, "HOME="+user.Home)
	}
	env = mergeEnv(defaults, env...)
	cwd := cfg.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	if err := securejoin.MkdirAll(rootfs, cwd, 0o755); err != nil {
		return nil, fmt.Errorf("create working directory %s: %w", cwd, err)
	}
	args := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	if err := oci.CheckExecutable(rootfs, args[0], env, cwd); err != nil {
		return nil, err
	}
	dir := e.containerDir(cfg.ID)
	net, err := netns.Prepare(netns.Options{Mode: cfg.Network, Hostname: cfg.Hostname, Dir: dir})
	if err != nil {
		return nil, withClass(ErrInvalid, err)
	}
	var mounts []specs.Mount
	for _, v := range cfg.Volumes {
		// A missing source is created as a directory, as Docker does;
		// an existing file is bound as it is.
		if _, err := os.Stat(v.Source); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(v.Source, 0o755); err != nil {
				return nil, withClass(ErrInvalid, fmt.Errorf("create bind mount source %s: %w", v.Source, err))
			}
		}
		mounts = append(mounts, oci.BindMount(v.Source, v.Destination, v.ReadOnly))
	}
	opts := []oci.SpecOpt{
		oci.WithRootfs(rootfs, false),
		oci.WithArgs(args),
		oci.WithEnv(env),
		oci.WithCwd(cwd),
		oci.WithUser(user.UID, user.GID, user.Additional),
		oci.WithHostname(cfg.Hostname),
		oci.WithNetNS(net.NetNS),
		oci.WithMounts(net.Mounts),
		oci.WithMounts(mounts),
	}
	if userns.Rootless() {
		opts = append(opts, oci.WithRootless(userns.SingleMapping()))
	}
	opts = append(opts, oci.WithDefaultSeccomp())
	return oci.New(opts...)
}

// start mounts the rootfs, runs the container to its end in the
// foreground and cleans up the runtime state and the mount.
func (e *Engine) start(ctx context.Context, cfg *ContainerConfig, stdio Stdio) (code int, err error) {
	rt, err := e.ociRuntime()
	if err != nil {
		return 0, err
	}
	unlock, err := e.lockContainer(cfg.ID)
	if err != nil {
		return 0, err
	}
	locked := true
	defer func() {
		if locked {
			unlock()
		}
	}()
	rootfs, err := e.store.Mount(cfg.ID)
	if err != nil {
		return 0, err
	}
	defer e.store.Unmount(cfg.ID)
	spec, err := e.spec(cfg, rootfs)
	if err != nil {
		e.recordFailure(cfg.ID, err)
		return 0, err
	}
	bundle := filepath.Join(e.containerDir(cfg.ID), "bundle")
	if err := oci.WriteBundle(bundle, spec); err != nil {
		return 0, err
	}

	// The container's init is reparented to us when the runtime exits, so
	// that we can wait for it.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return 0, fmt.Errorf("become subreaper: %w", err)
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)

	in := stdio.In
	if !cfg.Interactive || in == nil {
		devnull, err := os.Open(os.DevNull)
		if err != nil {
			return 0, err
		}
		defer devnull.Close()
		in = devnull
	}
	// The runtime passes its stderr on to the container, and prints its
	// own failure there too; that failure comes back as our one-line
	// error instead, so stderr is relayed only once the container runs.
	errR, errW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	rctx := context.WithoutCancel(ctx)
	pid, err := rt.Run(rctx, cfg.ID, bundle, oci.Stdio{In: in, Out: stdio.Out, Err: errW})
	errW.Close()
	if err != nil {
		errR.Close()
		rt.Delete(rctx, cfg.ID, true)
		e.recordFailure(cfg.ID, err)
		return 0, err
	}
	relayed := make(chan struct{})
	go func() {
		io.Copy(stdio.Err, errR)
		errR.Close()
		close(relayed)
	}()
	// All of the container's output is out before we report its end.
	defer func() { <-relayed }()
	defer rt.Delete(rctx, cfg.ID, true)
	st := &ContainerState{Status: StatusRunning, Pid: pid, StartedAt: time.Now().UTC()}
	st.PidStart, _ = procStart(pid)
	if err := e.saveState(cfg.ID, st); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		waitPid(pid)
		return 0, err
	}
	// Others may read the record while the container runs.
	unlock()
	locked = false

	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				// pid is our unreaped child until waitPid returns, so it
				// cannot have been reused.
				unix.Kill(pid, s.(syscall.Signal))
			case <-done:
				return
			}
		}
	}()
	code = waitPid(pid)
	close(done)

	if unlock, err := e.lockContainer(cfg.ID); err == nil {
		st.Status, st.ExitCode, st.FinishedAt, st.Pid, st.PidStart = StatusExited, code, time.Now().UTC(), 0, 0
		e.saveState(cfg.ID, st)
		unlock()
	}
	return code, nil
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

// recordFailure notes why a container could not start.
func (e *Engine) recordFailure(id string, cause error) {
	st := &ContainerState{Status: StatusCreated, Error: cause.Error(), ExitCode: exitCodeOf(cause)}
	e.saveState(id, st)
}

// exitCodeOf maps a start failure to Docker's codes: 127 not found, 126
// not executable, 125 anything else.
func exitCodeOf(err error) int {
	switch {
	case errors.Is(err, ErrCommandNotFound):
		return 127
	case errors.Is(err, ErrCannotInvoke):
		return 126
	}
	return 125
}

// removeContainer deletes a container: runtime state, layer, name and
// record. With force a running container is killed first.
func (e *Engine) removeContainer(ctx context.Context, id string, force bool) error {
	unlock, err := e.lockContainer(id)
	if err != nil {
		return err
	}
	defer unlock()
	cfg, _ := e.loadConfig(id)
	var st ContainerState
	readJSON(filepath.Join(e.containerDir(id), "state.json"), &st)
	// Only a running record can have runtime state left: a foreground
	// run deletes it as soon as the container exits.
	if st.Status == StatusRunning {
		if !force {
			return withClass(ErrRunning, fmt.Errorf("container %.12s is running: stop it first or force the removal", id))
		}
		rt, err := e.ociRuntime()
		if err != nil {
			return err
		}
		if err := rt.Delete(ctx, id, true); err != nil {
			return fmt.Errorf("remove container %.12s: %w", id, err)
		}
	}
	if err := e.store.DeleteContainer(id); err != nil {
		return err
	}
	if cfg != nil {
		e.releaseName(cfg.Name, id)
	}
	if err := os.RemoveAll(e.containerDir(id)); err != nil {
		return fmt.Errorf("remove record of %.12s: %w", id, err)
	}
	os.Remove(filepath.Join(e.locksDir(), id+".lock"))
	return nil
}
