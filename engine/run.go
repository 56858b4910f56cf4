package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/testhook"
	"github.com/scow-project/scow/engine/record"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	Entrypoint *string
	Env        []string
	EnvFiles   []string
	Workdir    string
	User       string
	Hostname   string
	// Network is --network; the default is slirp4netns rootless and the
	// default bridge network as root. NetworkAliases (--network-alias)
	// and IP (--ip) apply on a named network.
	Network        string
	NetworkAliases []string
	IP             string
	// Publish are -p values; PublishAll (-P) publishes every port the
	// image EXPOSEs on a free host port.
	Publish    []string
	PublishAll bool
	// DNS, DNSSearch and DNSOptions make resolv.conf; AddHosts
	// (HOST:IP) and NoHosts shape /etc/hosts.
	DNS, DNSSearch, DNSOptions, AddHosts []string
	NoHosts                              bool
	MacAddress                           string
	// Volumes are -v values, Mounts --mount values, Tmpfs --tmpfs values.
	Volumes []string
	Mounts  []string
	Tmpfs   []string
	// VolumesFrom are --volumes-from CONTAINER[:ro|rw].
	VolumesFrom []string
	// ReadOnly mounts the rootfs read-only, with tmpfs on /tmp, /var/tmp
	// and /run unless ReadOnlyTmpfs is false.
	ReadOnly      bool
	ReadOnlyTmpfs bool
	// UserNS is --userns (host, keep-id[:uid=,gid=], nomap, auto[:size=]);
	// UIDMap and GIDMap are --uidmap and --gidmap.
	UserNS         string
	UIDMap, GIDMap []string
	Labels         []string
	Interactive    bool
	// Tty gives the container a pseudo-terminal.
	Tty    bool
	Remove bool
	// Init runs an init as PID 1 that reaps zombies and forwards signals:
	// InitPath, or catatonit or tini-static found on the host.
	Init     bool
	InitPath string
	// Detach runs the container under a monitor and returns at once.
	Detach bool
	// Restart is the restart policy: no, on-failure[:N], always or
	// unless-stopped.
	Restart string
	// LogOpts are --log-opt values: max-size=SIZE, max-file=N.
	LogOpts []string
	// StopSignal and StopTimeout override the image's and the default 10 s.
	StopSignal  string
	StopTimeout *int
	// Replace removes an existing container of the same name first.
	Replace bool
	// CIDFile receives the container ID; it must not exist yet.
	CIDFile string
	// Pull is the pull policy (missing, always, never, newer) and Registry
	// the options of such a pull; PullProgress receives its progress.
	Pull         string
	Registry     RegistryOptions
	PullProgress io.Writer
}

// ExitError carries a container's exit code: the CLI exits with it.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("container exited with code %d", e.Code) }

// Create records a container and makes its layer, ready to start.
func (e *Engine) Create(ctx context.Context, o RunOptions) (string, error) {
	cfg, err := e.create(ctx, o)
	if err != nil {
		return "", err
	}
	return cfg.ID, nil
}

// Run creates a container and runs it. Detached, a monitor takes over
// and Run returns the container's ID once it runs. In the foreground the
// caller's streams are attached to the container until it exits (its
// code comes back as an *ExitError when it is not 0) or the user
// detaches; the caller's signals are forwarded.
func (e *Engine) Run(ctx context.Context, o RunOptions, s Streams) (id string, err error) {
	var relay *signalRelay
	if !o.Detach {
		// Signals from now on are the container's, or cancel the run
		// before it starts; either way cleanup gets to finish.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		relay = newSignalRelay(func(unix.Signal) { cancel() })
		defer relay.stop()
	}
	cfg, err := e.create(ctx, o)
	if err != nil {
		return "", err
	}
	if relay != nil {
		// From here signals wait for the monitor, which delivers them
		// once the container runs.
		relay.to(nil)
		if ctx.Err() != nil {
			e.removeContainer(context.WithoutCancel(ctx), cfg.ID, true, true)
			return "", fmt.Errorf("run of %s interrupted before it started", cfg.Name)
		}
	}
	if o.Detach {
		if _, err := e.spawnMonitor(cfg.ID, nil); err != nil {
			if cfg.Remove {
				e.removeContainer(context.WithoutCancel(ctx), cfg.ID, true, true)
			}
			return "", err
		}
		return cfg.ID, nil
	}
	return cfg.ID, e.startAttached(cfg, s, relay)
}

// startAttached starts container cfg under a monitor with the caller's
// streams attached from its first byte of output; relay, if not nil, is
// the caller's signal relay.
func (e *Engine) startAttached(cfg *record.Config, s Streams, relay *signalRelay) error {
	if relay == nil {
		relay = newSignalRelay(nil)
		defer relay.stop()
	}
	if !cfg.Interactive {
		s.In = nil
	}
	req := &attachRequest{Stdin: s.In != nil}
	if cfg.Tty {
		req.Rows, req.Cols = terminalSize(s)
	}
	c, err := e.spawnMonitor(cfg.ID, req)
	if err != nil {
		return err
	}
	return stream(c, s, cfg.Tty, relay)
}

// CreateSpec makes the container s describes, ready to start, and
// returns its ID; progress, if not nil, receives the progress of a pull.
// On failure nothing is left behind.
func (e *Engine) CreateSpec(ctx context.Context, s *Spec, progress io.Writer) (string, error) {
	if err := s.Check(); err != nil {
		return "", err
	}
	cfg, err := e.createSpec(ctx, s, progress)
	if err != nil {
		return "", err
	}
	return cfg.ID, nil
}

// create makes the container of run's and create's flags.
func (e *Engine) create(ctx context.Context, o RunOptions) (*record.Config, error) {
	s, err := NewSpec(o)
	if err != nil {
		return nil, err
	}
	return e.createSpec(ctx, s, o.PullProgress)
}

// createSpec resolves what checked spec s refers to in the store (image,
// named networks, other containers, volumes), then records the container
// and makes its layer; on failure nothing is left behind.
func (e *Engine) createSpec(ctx context.Context, s *Spec, progress io.Writer) (cfg *record.Config, err error) {
	if err := e.open(); err != nil {
		return nil, err
	}
	mode := s.Network
	var attachments []netns.Attachment
	if mode.Kind == netns.ModeBridge {
		_, a, err := e.attachment(mode.Target, s.NetworkAliases, s.IP)
		if err != nil {
			return nil, err
		}
		attachments = []netns.Attachment{a}
		mode.Target = a.Network
	}
	if err := e.ensureImage(ctx, s.Image, s.Pull, s.Registry, progress); err != nil {
		return nil, err
	}
	img, err := e.store.Resolve(s.Image)
	if err != nil {
		return nil, storageErr(err)
	}
	mounts, err := e.completeMounts(slices.Clone(s.Mounts), s.VolumesFrom, img.Config.Config.Volumes)
	if err != nil {
		return nil, err
	}
	ports := slices.Clone(s.Ports)
	if s.PublishAll {
		ports = append(ports, exposedPorts(img.Config.Config.ExposedPorts, ports)...)
	}
	if err := netns.CheckPorts(ports, userns.Rootless()); err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
	}
	hostname := s.Hostname
	switch mode.Kind {
	case netns.ModeContainer:
		owner, err := e.lookupConfig(mode.Target)
		if err != nil {
			return nil, fmt.Errorf("--network container: %w", err)
		}
		// Joined by ID: a rename of the owner changes nothing.
		mode.Target, hostname = owner.ID, owner.Hostname
	case netns.ModeNS:
		if _, err := os.Stat(mode.Target); err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--network ns:%s: %w", mode.Target, err))
		}
	}
	cfg = &record.Config{
		ID: record.NewID(), Name: s.Name, Image: s.Image, ImageID: img.ID, Created: time.Now().UTC(),
		Entrypoint: img.Config.Config.Entrypoint, Cmd: img.Config.Config.Cmd,
		Env: mergeEnv(img.Config.Config.Env, s.Env...), WorkingDir: img.Config.Config.WorkingDir,
		User: img.Config.Config.User, Hostname: hostname, Network: mode.String(), Networks: attachments,
		Ports: ports, DNS: s.DNS, DNSSearch: s.DNSSearch, DNSOptions: s.DNSOptions,
		AddHosts: s.AddHosts, NoHosts: s.NoHosts, MacAddress: s.MacAddress,
		Volumes: mounts, ReadOnly: s.ReadOnly, ReadOnlyTmpfs: s.ReadOnlyTmpfs, Interactive: s.Interactive, Tty: s.Tty, Init: s.Init, Remove: s.Remove,
		Labels: mergeLabels(img.Config.Config.Labels, s.Labels), RestartPolicy: s.Restart,
		LogMaxSize: s.LogMaxSize, LogMaxFiles: s.LogMaxFiles,
		StopSignal: img.Config.Config.StopSignal, StopTimeout: 10,
	}
	if s.StopSignal != "" {
		cfg.StopSignal = s.StopSignal
	}
	if s.StopTimeout != nil {
		cfg.StopTimeout = *s.StopTimeout
	}
	if s.SetEntrypoint {
		cfg.Entrypoint = s.Entrypoint
		cfg.Cmd = nil // Docker drops the image's Cmd with a new entrypoint
	}
	if len(s.Cmd) > 0 {
		cfg.Cmd = s.Cmd
	}
	if len(cfg.Entrypoint)+len(cfg.Cmd) == 0 {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("no command: image %s has no Cmd or Entrypoint; give one after the image name", s.Image))
	}
	if s.WorkingDir != "" {
		cfg.WorkingDir = s.WorkingDir
	}
	// Explicit maps are known now; --userns=auto's once storage picks.
	cfg.UIDMap, cfg.GIDMap = specIDMaps(s.IDMapping.UIDMap), specIDMaps(s.IDMapping.GIDMap)
	if s.KeepIDUser != "" {
		cfg.User = s.KeepIDUser // keep-id runs as the user
	}
	if s.User != "" {
		cfg.User = s.User
	}
	if cfg.Hostname == "" {
		cfg.Hostname = cfg.ID[:12]
		if mode.Kind == netns.ModeHost {
			cfg.Hostname, _ = os.Hostname()
		}
	}
	if cfg.Name == "" {
		cfg.Name = record.RandomName() + "_" + cfg.ID[:4]
	}
	if s.Replace && s.Name != "" {
		if old, err := e.LookupContainer(s.Name); err == nil {
			if err := e.removeContainer(ctx, old, true, false); err != nil {
				return nil, fmt.Errorf("--replace: %w", err)
			}
		}
	}
	// The record comes first: a name file whose owner has no record is
	// then surely stale, and ReserveName may reclaim it. It is written
	// under the networks' lock, once its networks are known to be still
	// there: network rm sees it from then on.
	if err := e.createRecordOnNetworks(cfg); err != nil {
		return nil, err
	}
	// Held until the container is whole: a reader that finds a record
	// without its name and can take this lock knows that a crash left it.
	unlockCreate, err := e.rec.Lock(cfg.ID)
	if err != nil {
		os.RemoveAll(e.rec.Dir(cfg.ID))
		return nil, err
	}
	testhook.Pause("created-record")
	if err := e.rec.ReserveName(cfg.Name, cfg.ID); err != nil {
		unlockCreate()
		os.RemoveAll(e.rec.Dir(cfg.ID))
		return nil, err
	}
	testhook.Pause("reserved-name")
	id := cfg.ID // cfg is nil once an error is returned
	defer func() {
		unlockCreate()
		if err != nil {
			e.removeContainer(context.WithoutCancel(ctx), id, true, true)
		}
	}()
	if err := e.ensureVolumes(cfg.Volumes); err != nil {
		return nil, err
	}
	uids, gids, err := e.store.CreateContainer(cfg.ID, img.ID, s.IDMapping)
	if err != nil {
		return nil, storageErr(err)
	}
	if s.IDMapping.Auto {
		// --userns=auto's ranges are known only now.
		cfg.UIDMap, cfg.GIDMap = specIDMaps(uids), specIDMaps(gids)
		if err := e.rec.SaveConfig(cfg); err != nil {
			return nil, err
		}
	}
	testhook.Pause("created-layer")
	if s.CIDFile != "" {
		if err := writeCIDFile(s.CIDFile, cfg.ID); err != nil {
			return nil, err
		}
	}
	e.rec.Event(cfg, "create", nil)
	return cfg, nil
}

// initDest is where an init binary appears in a container.
const initDest = "/run/scow-init"

// initCandidates are static inits Debian packages, in order of choice.
var initCandidates = []string{"catatonit", "/usr/libexec/podman/catatonit", "tini-static"}

// findInit returns the init to bind into the container: path when
// given, else the first candidate found; "" without --init.
func findInit(init bool, path string) (string, error) {
	if !init && path == "" {
		return "", nil
	}
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return "", err
		}
		if st, err := os.Stat(abs); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--init-path %s: not an executable file", path))
		}
		return abs, nil
	}
	for _, c := range initCandidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", errdefs.WithClass(errdefs.ErrNotFound, errors.New("--init: no catatonit or tini-static on this host: install the catatonit package or give --init-path"))
}

// spec builds the runtime spec of cfg on the mounted rootfs, in network
// net; rows and cols size its terminal.
func (e *Engine) spec(cfg *record.Config, rootfs string, rows, cols uint16, net *netns.Network) (*specs.Spec, error) {
	user, err := oci.ResolveUser(rootfs, cfg.User)
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
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
	mounts, err := e.specMounts(cfg, rootfs, user.UID, user.GID)
	if err != nil {
		return nil, err
	}
	if len(cfg.UIDMap) > 0 && !mapsOwner(cfg.UIDMap) {
		// The runtime's root in the container's namespace must reach
		// the rootfs and the volumes.
		for _, p := range append([]string{rootfs}, mountSources(mounts)...) {
			if err := makeTraversable(p, e.opts.Root, e.opts.RunRoot); err != nil {
				return nil, err
			}
		}
	}
	if cfg.Init != "" {
		// The init is PID 1 and runs the command as its child.
		mounts = append(mounts, oci.BindMount(cfg.Init, initDest, true))
		args = append([]string{initDest, "--"}, args...)
	}
	opts := []oci.SpecOpt{
		oci.WithRootfs(rootfs, cfg.ReadOnly),
		oci.WithArgs(args),
		oci.WithEnv(env),
		oci.WithCwd(cwd),
		oci.WithUser(user.UID, user.GID, user.Additional),
		oci.WithHostname(cfg.Hostname),
		oci.WithNetNS(net.NSPath),
		oci.WithMounts(net.Mounts),
		oci.WithMounts(mounts),
	}
	if cfg.Tty {
		opts = append(opts, oci.WithTerminal(rows, cols))
	}
	if len(cfg.UIDMap) > 0 {
		opts = append(opts, oci.WithUserNS(cfg.UIDMap, cfg.GIDMap))
	}
	if userns.Rootless() {
		opts = append(opts, oci.WithRootless(userns.SingleMapping()))
	}
	opts = append(opts, oci.WithDefaultSeccomp())
	return oci.New(opts...)
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

// recordFailure notes why a run of cfg failed, in its record (inspect's
// State.Error) and in its log, since its monitor has no terminal: the
// runtime holds no state for it any more.
func (e *Engine) recordFailure(cfg *record.Config, cause error) {
	if unlock, err := e.rec.Lock(cfg.ID); err == nil {
		st, err := e.rec.LoadState(cfg.ID)
		if err != nil {
			st = &record.State{Status: record.StatusCreated}
		}
		if self := os.Getpid(); st.MonitorPid != 0 && st.MonitorPid != self && record.Alive(st.MonitorPid, st.MonitorStart) {
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
		e.rec.SaveState(cfg.ID, st)
		unlock()
	}
	if log, err := openLog(e.LogPath(cfg.ID), cfg.LogMaxSize, cfg.LogMaxFiles); err == nil {
		log.write("stderr", []byte("Error: "+cause.Error()+"\n"))
		log.close()
	}
}
