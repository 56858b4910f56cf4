package containers

import (
	"context"
	"errors"
	"fmt"
	units "github.com/docker/go-units"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/images"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/internal/testhook"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/monitor"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
	"go.podman.io/storage/pkg/idtools"
	"golang.org/x/sys/unix"
)

// Create records a container and makes its layer, ready to start.
func (e *Service) Create(ctx context.Context, o specgen.RunOptions) (string, error) {
	cfg, err := e.create(ctx, o)
	if err != nil {
		return "", err
	}
	return cfg.ID, nil
}

// Run creates a container and runs it. Detached, a monitor takes over
// and Run returns the container's ID once it runs. In the foreground the
// caller's streams are attached to the container until it exits (its
// code comes back as an *errdefs.ExitError when it is not 0) or the user
// detaches. A signal on s.Signals before the container runs cancels the
// run, and cleanup gets to finish; those after are the container's.
func (e *Service) Run(ctx context.Context, o specgen.RunOptions, s attach.Streams) (id string, err error) {
	stopWatch := func() {}
	if !o.Detach && s.Signals != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		stop, watched := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(watched)
			select {
			case <-s.Signals:
				cancel()
			case <-stop:
			}
		}()
		stopWatch = func() {
			close(stop)
			<-watched
		}
	}
	// The monitor starts up while the container is made.
	pending, err := monitor.Prestart(!o.Detach, s.Files)
	if err != nil {
		stopWatch()
		return "", err
	}
	cfg, err := e.create(ctx, o)
	// From here signals wait for the monitor, which delivers them once
	// the container runs.
	stopWatch()
	if err != nil {
		pending.Abort()
		return "", err
	}
	if ctx.Err() != nil {
		pending.Abort()
		e.removeContainer(context.WithoutCancel(ctx), cfg.ID, true, true)
		return "", fmt.Errorf("run of %s interrupted before it started", cfg.Name)
	}
	if err := e.startRequired(ctx, cfg); err != nil {
		pending.Abort()
		e.removeFailed(ctx, cfg)
		return "", err
	}
	if o.Detach {
		if _, err := e.launch(ctx, cfg, pending, nil); err != nil {
			return "", err
		}
		return cfg.ID, nil
	}
	return cfg.ID, e.startAttached(cfg, s, pending)
}

// removeFailed applies --rm (and --rmi) to container cfg that could not
// start before a monitor took it.
func (e *Service) removeFailed(ctx context.Context, cfg *record.Config) {
	if cfg.Remove {
		if _, err := e.Rec.LoadConfig(cfg.ID); err == nil {
			e.removeDone(context.WithoutCancel(ctx), cfg.ID)
		}
	}
}

// startAttached starts container cfg under a monitor with the caller's
// streams attached from its first byte of output: under p, a monitor
// started with an attach for it, or a new one when p is nil.
func (e *Service) startAttached(cfg *record.Config, s attach.Streams, p *monitor.Pending) error {
	if !cfg.Interactive {
		s.In = nil
	}
	if len(cfg.Attach) > 0 {
		// Only the streams -a named.
		if !slices.Contains(cfg.Attach, "stdin") {
			s.In = nil
		}
		if !slices.Contains(cfg.Attach, "stdout") {
			s.Out = io.Discard
		}
		if !slices.Contains(cfg.Attach, "stderr") {
			s.Err = io.Discard
		}
	}
	req := &attach.Request{Stdin: s.In != nil, Cleans: true}
	if cfg.Tty {
		req.Rows, req.Cols = s.TerminalSize()
	}
	ctx := context.Background()
	var err error
	if p == nil {
		if p, err = monitor.Prestart(true, s.Files); err != nil {
			e.removeFailed(ctx, cfg)
			return err
		}
	}
	c, err := e.launch(ctx, cfg, p, req)
	if err != nil {
		return err
	}
	// What follows the exit is ours to do while the monitor waits: it
	// comes before the run returns, and without another process.
	owner := p.Pid()
	s.Cleanup = func() error { return e.Cleanup(ctx, cfg.ID, owner) }
	// SIGTERM (systemd stopping a unit of a foreground run) stops it
	// within its stop timeout.
	if cfg.StopTimeout >= 0 { // -1 waits as long as it takes
		s.StopAfter = max(time.Duration(cfg.StopTimeout)*time.Second, time.Millisecond)
	}
	if sig, err := specgen.ParseSignal(cfg.StopSignal); err == nil && cfg.StopSignal != "" {
		s.StopSignal = sig
	}
	return attach.Stream(c, s, cfg.Tty)
}

// systemdMode tells whether a container runs systemd (--systemd): always,
// or for true (the default) when its command is an init.
func systemdMode(flag string, command []string) bool {
	switch flag {
	case "always":
		return true
	case "false":
		return false
	}
	if len(command) == 0 {
		return false
	}
	return slices.Contains([]string{"/sbin/init", "/usr/sbin/init", "/usr/local/sbin/init"}, command[0]) || filepath.Base(command[0]) == "systemd"
}

// systemdMounts gives a container that runs systemd what systemd wants
// of it, as Podman does: tmpfs on /run, /run/lock, /tmp and
// /var/log/journal (size: --shm-size-systemd) unless mounted otherwise,
// and SIGRTMIN+3 to stop it unless a stop signal was asked for.
func systemdMounts(cfg *record.Config, size string, stopSignal bool) {
	for _, dir := range []string{"/run", "/run/lock", "/tmp", "/var/log/journal"} {
		if slices.ContainsFunc(cfg.Volumes, func(m record.Mount) bool { return m.Destination == dir }) {
			continue
		}
		opts := []string{"rw", "rprivate", "nosuid", "nodev"}
		if n, err := units.RAMInBytes(size); err == nil && size != "" {
			opts = append(opts, fmt.Sprintf("size=%d", n))
		}
		cfg.Volumes = append(cfg.Volumes, record.Mount{Type: record.MountTmpfs, Destination: dir, Options: opts})
	}
	if stopSignal {
		cfg.StopSignal = "SIGRTMIN+3"
	}
}

// RunSpec runs the container s describes in the foreground with streams
// st, as run does, and returns its ID; a non-zero exit is an
// errdefs.ExitError. The container stays, for the caller to commit or
// remove; it is killed if ctx ends first.
func (e *Service) RunSpec(ctx context.Context, s *specgen.Spec, st attach.Streams) (string, error) {
	id, err := e.CreateSpec(ctx, s, nil)
	if err != nil {
		return "", err
	}
	cfg, err := e.Rec.LoadConfig(id)
	if err != nil {
		return id, err
	}
	if err := ctx.Err(); err != nil {
		return id, err
	}
	if err := e.startRequired(ctx, cfg); err != nil {
		e.removeFailed(ctx, cfg)
		return id, err
	}
	// Killed when ctx ends, again until it runs no more: it may be
	// starting still when ctx ends.
	finished := make(chan struct{})
	var killer sync.WaitGroup
	killer.Add(1)
	go func() {
		defer killer.Done()
		select {
		case <-finished:
			return
		case <-ctx.Done():
		}
		for {
			e.Kill(context.WithoutCancel(ctx), id, unix.SIGKILL)
			select {
			case <-finished:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	err = e.startAttached(cfg, st, nil)
	close(finished)
	killer.Wait()
	if ctx.Err() != nil {
		return id, ctx.Err()
	}
	return id, err
}

// CreateSpec makes the container s describes, ready to start, and
// returns its ID; progress, if not nil, receives the progress of a pull.
// On failure nothing is left behind.
func (e *Service) CreateSpec(ctx context.Context, s *specgen.Spec, progress io.Writer) (string, error) {
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
func (e *Service) create(ctx context.Context, o specgen.RunOptions) (*record.Config, error) {
	s, err := specgen.NewSpec(o)
	if err != nil {
		return nil, err
	}
	return e.createSpec(ctx, s, o.PullProgress)
}

// createSpec resolves what checked spec s refers to in the store (image,
// named networks, other containers, volumes), then records the container
// and makes its layer; on failure nothing is left behind.
func (e *Service) createSpec(ctx context.Context, s *specgen.Spec, progress io.Writer) (cfg *record.Config, err error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	pulled := false
	if s.Pod != "" && !s.Infra {
		// The image first, outside the pods' lock: a pull may be long.
		if err := e.EnsureImage(ctx, s, progress); err != nil {
			return nil, err
		}
		pulled = true
		// Held until the member is whole: pod rm waits for it.
		unlock, err := e.Rec.LockPods(unix.LOCK_SH)
		if err != nil {
			return nil, err
		}
		defer unlock()
		if s, err = e.joinPod(s); err != nil {
			return nil, err
		}
	}
	if s.Security.KeepGroups {
		rt, err := e.Runtime()
		if err != nil {
			return nil, err
		}
		if rt.Name() != "crun" {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--group-add keep-groups: only crun can leave the process the user's groups, and the runtime is %s (give --runtime crun where crun works)", rt.Name()))
		}
	}
	if len(s.Security.CDIDevices) > 0 {
		// Resolved at each start from the directories of its create.
		s.Security.CDISpecDirs = e.Opts.CDISpecDirs
		if err := oci.CheckCDIDevices(s.Security.CDISpecDirs, s.Security.CDIDevices); err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
		}
	}
	mode := s.Network
	var attachments []netns.Attachment
	if mode.Kind == netns.ModeBridge {
		_, a, err := e.networks.Attachment(netns.Attachment{Network: mode.Target, Aliases: s.NetworkAliases, IP: s.IP, IP6: s.IP6})
		if err != nil {
			return nil, err
		}
		attachments = []netns.Attachment{a}
		mode.Target = a.Network
	}
	img := &images.Image{} // --rootfs: no image, nothing it sets
	if s.Rootfs == "" {
		if !pulled {
			if err := e.EnsureImage(ctx, s, progress); err != nil {
				return nil, err
			}
		}
		if img, err = e.Store.Resolve(s.Image); err != nil {
			return nil, backend.StorageErr(err)
		}
	}
	mounts, err := e.completeMounts(slices.Clone(s.Mounts), s.VolumesFrom, img.Config.Config.Volumes, s.ImageVolume)
	if err != nil {
		return nil, err
	}
	ports := slices.Clone(s.Ports)
	if s.PublishAll {
		exposed := maps.Clone(img.Config.Config.ExposedPorts)
		for _, p := range s.Expose {
			if exposed == nil {
				exposed = map[string]struct{}{}
			}
			exposed[p] = struct{}{}
		}
		ports = append(ports, exposedPorts(exposed, ports)...)
	}
	if err := netns.CheckPorts(ports, userns.Rootless()); err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
	}
	hostname := s.Hostname
	switch mode.Kind {
	case netns.ModeContainer:
		owner, err := e.Config(mode.Target)
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
	// --seccomp-policy image: the image's profile, where it has one,
	// over --security-opt seccomp=, as Podman's.
	security := s.Security
	if p, ok := img.Config.Config.Labels[seccompLabel]; ok && security.SeccompFromImage {
		if err := oci.CheckSeccompProfile(p); err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--seccomp-policy image: the image's %s label: %w", seccompLabel, err))
		}
		security.Seccomp, security.SeccompPath = p, ""
	}
	security.SeccompFromImage = false
	// Secrets are kept by ID: one made again under the name is not it.
	var secretUses []record.SecretUse
	for _, u := range s.Secrets {
		sec, _, err := e.secrets.Inspect(u.Name, false)
		if err != nil {
			return nil, fmt.Errorf("--secret: %w", err)
		}
		u.ID, u.Name = sec.ID, sec.Spec.Name
		secretUses = append(secretUses, u)
	}
	// Other containers' namespaces are joined by ID too.
	namespaces := s.Namespaces
	for _, p := range []*string{&namespaces.PID, &namespaces.IPC, &namespaces.UTS, &namespaces.Cgroup, &namespaces.User} {
		if name, ok := strings.CutPrefix(*p, "container:"); ok {
			owner, err := e.Config(name)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", *p, err)
			}
			*p = "container:" + owner.ID
		}
	}
	var requires []string
	for _, r := range s.Requires {
		dep, err := e.Config(r)
		if err != nil {
			return nil, fmt.Errorf("--requires: %w", err)
		}
		requires = append(requires, dep.ID)
	}
	cfg = &record.Config{
		ID: record.NewID(), Name: s.Name, Pod: s.Pod, Infra: s.Infra, InitContainer: s.InitContainer, Image: s.Image, ImageID: img.ID, Created: time.Now().UTC(),
		Entrypoint: img.Config.Config.Entrypoint, Cmd: img.Config.Config.Cmd,
		Env: containerEnv(img.Config.Config.Env, s), WorkingDir: img.Config.Config.WorkingDir,
		Annotations: s.Annotations, UnsetEnv: s.UnsetEnv, UnsetEnvAll: s.UnsetEnvAll,
		RemoveImage: s.RemoveImage, Requires: requires, Attach: s.Attach,
		User: img.Config.Config.User, Hostname: hostname, Network: mode.String(), Networks: attachments,
		Ports: ports, DNS: s.DNS, DNSSearch: s.DNSSearch, DNSOptions: s.DNSOptions,
		AddHosts: s.AddHosts, NoHosts: s.NoHosts, NoHostname: s.NoHostname, HostsFile: s.HostsFile, MacAddress: s.MacAddress,
		ChrootDirs: s.ChrootDirs, Security: security, Namespaces: namespaces, Rootfs: s.Rootfs,
		Resources: s.Resources, CgroupParent: s.CgroupParent, Cgroups: s.Cgroups, Secrets: secretUses, RootfsOverlay: s.RootfsOverlay, NoPasswd: s.NoPasswd, PasswdEntry: s.PasswdEntry, GroupEntry: s.GroupEntry, HostUsers: s.HostUsers,
		Umask: s.Umask, TZ: s.TZ,
		Volumes: mounts, ReadOnly: s.ReadOnly, ReadOnlyTmpfs: s.ReadOnlyTmpfs, Interactive: s.Interactive, Tty: s.Tty, Init: s.Init, Remove: s.Remove,
		Labels: specgen.MergeLabels(img.Config.Config.Labels, s.Labels), RestartPolicy: s.Restart,
		LogDriver: s.LogDriver, LogMaxSize: s.LogMaxSize, LogMaxFiles: s.LogMaxFiles,
		Timeout: s.Timeout, PidFile: s.PidFile, MonitorPidFile: s.MonitorPidFile,
		StopSignal: img.Config.Config.StopSignal, StopTimeout: 10,
	}
	if s.StopSignal != "" {
		cfg.StopSignal = s.StopSignal
	}
	if cfg.Healthcheck, err = s.Health.Healthcheck(img.Config.Config.Healthcheck); err != nil {
		return nil, err
	}
	cfg.CreateCommand = s.CreateCommand
	if s.CIDFile != "" {
		if cfg.CIDFile, err = filepath.Abs(s.CIDFile); err != nil {
			return nil, err
		}
	}
	if cfg.SdNotify = s.SdNotify; cfg.SdNotify == "healthy" && cfg.Healthcheck == nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--sdnotify healthy: the container has no healthcheck (--health-cmd)"))
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
		if s.Rootfs != "" {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("no command: give one after the --rootfs directory %s", s.Rootfs))
		}
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("no command: image %s has no Cmd or Entrypoint; give one after the image name", s.Image))
	}
	if s.WorkingDir != "" {
		cfg.WorkingDir = s.WorkingDir
	}
	if systemdMode(s.Systemd, cfg.Command()) {
		systemdMounts(cfg, s.ShmSizeSystemd, s.StopSignal == "" && img.Config.Config.StopSignal == "")
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
		if old, err := e.Lookup(s.Name); err == nil {
			if err := e.infraInUse(old); err != nil {
				return nil, fmt.Errorf("--replace: %w", err)
			}
			if err := e.removeContainer(ctx, old, true, false); err != nil {
				return nil, fmt.Errorf("--replace: %w", err)
			}
		}
	}
	// The record comes first: a name file whose owner has no record is
	// then surely stale, and ReserveName may reclaim it. It is written
	// under the networks' lock, once its networks are known to be still
	// there: network rm sees it from then on.
	if err := e.networks.CreateRecord(cfg); err != nil {
		return nil, err
	}
	// Held until the container is whole: a reader that finds a record
	// without its name and can take this lock knows that a crash left it.
	unlockCreate, err := e.Rec.Lock(cfg.ID)
	if err != nil {
		os.RemoveAll(e.Rec.Dir(cfg.ID))
		return nil, err
	}
	testhook.Pause("created-record")
	if err := e.Rec.ReserveName(cfg.Name, cfg.ID); err != nil {
		unlockCreate()
		os.RemoveAll(e.Rec.Dir(cfg.ID))
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
	if err := e.volumes.Ensure(cfg.Volumes); err != nil {
		return nil, err
	}
	var uids, gids []idtools.IDMap
	if s.Rootfs == "" {
		if uids, gids, err = e.Store.CreateContainer(cfg.ID, img.ID, s.IDMapping, s.Remove); err != nil {
			return nil, backend.StorageErr(err)
		}
	}
	if s.IDMapping.Auto {
		// --userns=auto's ranges are known only now.
		cfg.UIDMap, cfg.GIDMap = specIDMaps(uids), specIDMaps(gids)
		if err := e.Rec.SaveConfig(cfg); err != nil {
			return nil, err
		}
	}
	testhook.Pause("created-layer")
	if s.CIDFile != "" {
		if err := writeCIDFile(s.CIDFile, cfg.ID); err != nil {
			return nil, err
		}
	}
	e.Rec.Event(cfg, "create", nil)
	return cfg, nil
}

// EnsureImage pulls the image of spec s as its pull policy says;
// progress, if not nil, receives the progress of a pull.
func (e *Service) EnsureImage(ctx context.Context, s *specgen.Spec, progress io.Writer) error {
	if s.Rootfs != "" {
		return nil
	}
	if err := e.Open(); err != nil {
		return err
	}
	return e.images.Ensure(ctx, s.Image, s.Pull, s.Registry, progress)
}

// joinPod is s made a member of the pod it names: a copy, with the
// pod's namespaces, volumes and restart policy, checked again.
func (e *Service) joinPod(s *specgen.Spec) (*specgen.Spec, error) {
	p, err := e.Rec.FindPod(s.Pod)
	if err != nil {
		return nil, fmt.Errorf("--pod: %w", err)
	}
	infra, err := e.PodInfra(p)
	if err != nil {
		return nil, err
	}
	joined := *s
	if err := joined.JoinPod(p, infra); err != nil {
		return nil, err
	}
	return &joined, joined.Check()
}

// PodInfra is pod p's infra container, nil when it has none.
func (e *Service) PodInfra(p *record.Pod) (*record.Config, error) {
	if !p.Infra {
		return nil, nil
	}
	members, err := e.Rec.PodMembers()
	if err != nil {
		return nil, err
	}
	if m := members[p.ID]; len(m) > 0 && m[0].Infra {
		return m[0], nil
	}
	return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("pod %s has lost its infra container: remove the pod (pod rm -f %s) and create it again", p.Name, p.Name))
}

// runtimeSpec builds the runtime spec of cfg on the mounted rootfs, in
// network net, for a run under the monitor run describes.
func (e *Service) runtimeSpec(cfg *record.Config, rootfs string, run monitor.RunOptions, net netns.Options) (*specs.Spec, error) {
	user, err := oci.ResolveUser(rootfs, cfg.User)
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
	}
	if len(cfg.Security.GroupAdd) > 0 {
		gids, err := oci.AdditionalGroups(rootfs, cfg.Security.GroupAdd)
		if err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
		}
		user.Additional = append(user.Additional, gids...)
	}
	var defaults []string
	if !cfg.UnsetEnvAll {
		for _, kv := range []string{oci.DefaultEnvPath, "HOSTNAME=" + cfg.Hostname, "container=scow", "HOME=" + user.Home} {
			if k, _, _ := strings.Cut(kv, "="); !slices.Contains(cfg.UnsetEnv, k) {
				defaults = append(defaults, kv)
			}
		}
	}
	env := specgen.MergeEnv(defaults, cfg.Env...)
	secretEnv, secretMounts, err := e.secretFiles(cfg)
	if err != nil {
		return nil, err
	}
	env = specgen.MergeEnv(env, secretEnv...)
	cwd := cfg.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	if err := securejoin.MkdirAll(rootfs, cwd, 0o755); err != nil {
		return nil, fmt.Errorf("create working directory %s: %w", cwd, err)
	}
	args := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	mounts, err := e.specMounts(cfg, rootfs, user.UID, user.GID)
	if err != nil {
		return nil, err
	}
	if cfg.SdNotify == "container" && run.Notify {
		// The monitor's relay to systemd, which it makes before the
		// runtime runs.
		mounts = append(mounts, specs.Mount{Destination: "/run/notify", Type: "bind", Source: e.NotifyDir(cfg.ID), Options: []string{"bind", "rw"}})
		env = specgen.MergeEnv(env, "NOTIFY_SOCKET=/run/notify/notify.sock")
	}
	if len(cfg.UIDMap) > 0 && !mapsOwner(cfg.UIDMap) {
		// The runtime's root in the container's namespace must reach
		// the rootfs and the volumes.
		for _, p := range append([]string{rootfs}, mountSources(mounts)...) {
			if err := makeTraversable(p, e.Opts.Root, e.Opts.RunRoot); err != nil {
				return nil, err
			}
		}
	}
	// After the traversable paths: the secrets' directory is opened to
	// the container's root only.
	mounts = append(mounts, secretMounts...)
	if err := oci.CheckExecutable(rootfs, args[0], env, cwd, mounts); err != nil {
		return nil, err
	}
	// Files scow manages: in the root, and in each chroot directory.
	var managed []specs.Mount
	if cfg.TZ != "" {
		managed = append(managed, oci.BindMount(cfg.TZ, "/etc/localtime", true))
	}
	// Podman's sign to programs that they run in a container; empty
	// unless privileged, as Podman's.
	containerenv := filepath.Join(e.Rec.Dir(cfg.ID), "containerenv")
	var envFile []byte
	if cfg.Security.Privileged {
		rootless := 0
		if userns.Rootless() {
			rootless = 1
		}
		envFile = fmt.Appendf(nil, "engine=\"scow\"\nname=%q\nid=%q\nimage=%q\nimageid=%q\nrootless=%d\n", cfg.Name, cfg.ID, cfg.Image, cfg.ImageID, rootless)
	}
	if err := os.WriteFile(containerenv, envFile, 0o644); err != nil {
		return nil, fmt.Errorf("write /run/.containerenv: %w", err)
	}
	managed = append(managed, oci.BindMount(containerenv, ContainerEnvPath, true))
	mounts = append(mounts, managed...)
	for _, dir := range cfg.ChrootDirs {
		for _, m := range append(net.Mounts(), managed...) {
			m.Destination = path.Join(dir, m.Destination)
			mounts = append(mounts, m)
		}
	}
	accounts, err := e.accountFiles(cfg, rootfs, *user)
	if err != nil {
		return nil, err
	}
	for _, f := range accounts {
		mounts = append(mounts, oci.BindMount(filepath.Join(e.Rec.Dir(cfg.ID), f), "/etc/"+f, false))
	}
	if cfg.Init != "" {
		// The init is PID 1 and runs the command as its child.
		mounts = append(mounts, oci.BindMount(cfg.Init, specgen.InitDest, true))
		args = append([]string{specgen.InitDest, "--"}, args...)
	}
	opts := []oci.SpecOpt{
		oci.WithRootfs(rootfs, cfg.ReadOnly),
		oci.WithArgs(args),
		oci.WithEnv(env),
		oci.WithCwd(cwd),
		oci.WithUser(user.UID, user.GID, user.Additional),
		oci.WithUmask(cfg.Umask),
		oci.WithHostname(cfg.Hostname),
		oci.WithAnnotations(cfg.Annotations),
		oci.WithNetNS(net.NSPath()),
		oci.WithMounts(net.Mounts()),
		oci.WithMounts(mounts),
	}
	if cfg.Tty {
		opts = append(opts, oci.WithTerminal(run.Rows, run.Cols))
	}
	if len(cfg.UIDMap) > 0 {
		opts = append(opts, oci.WithUserNS(cfg.UIDMap, cfg.GIDMap))
	}
	if userns.Rootless() {
		opts = append(opts, oci.WithRootless(userns.SingleMapping()))
	}
	nsOpts, err := e.namespaceOpts(cfg)
	if err != nil {
		return nil, err
	}
	opts = append(opts, nsOpts...)
	if p := e.CgroupPath(cfg); p != "" {
		opts = append(opts, oci.WithResources(p, cfg.Resources))
	}
	opts = append(opts, oci.WithDevices(cfg.Security.Devices, cfg.Security.Privileged, userns.Rootless()),
		oci.WithCDIDevices(cfg.Security.CDISpecDirs, cfg.Security.CDIDevices, userns.Rootless()), oci.WithSecurity(cfg.Security))
	spec, err := oci.New(opts...)
	if err != nil {
		return nil, err
	}
	hooks := e.Opts.HooksDirs
	if hooks == nil {
		hooks = oci.DefaultHooksDirs
	}
	userBinds := slices.ContainsFunc(cfg.Volumes, func(m record.Mount) bool { return m.Kind() == record.MountBind })
	if err := oci.AddHooks(spec, hooks, userBinds); err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
	}
	return spec, nil
}

// secretFiles are the secrets of cfg: environment entries, and files
// beside its record (the user's only) with their mounts. Read at each
// start, they are never in its layer or its record.
func (e *Service) secretFiles(cfg *record.Config) (env []string, mounts []specs.Mount, err error) {
	if len(cfg.Secrets) == 0 {
		return nil, nil, nil
	}
	// Only the container's root may enter: the files keep the modes
	// the container sees, and the record's directory may be traversable.
	dir := filepath.Join(e.Rec.Dir(cfg.ID), "secrets")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	if err := os.Chown(dir, ToNamespace(cfg.UIDMap, 0), ToNamespace(cfg.GIDMap, 0)); err != nil {
		return nil, nil, fmt.Errorf("secrets of %s: %w", cfg.Name, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, nil, err
	}
	for i, u := range cfg.Secrets {
		_, data, err := e.secrets.Inspect(u.ID, true)
		if err != nil {
			return nil, nil, fmt.Errorf("secret %s of %s: %w", u.Name, cfg.Name, err)
		}
		if u.Type == "env" {
			env = append(env, u.Target+"="+string(data))
			continue
		}
		f := filepath.Join(dir, strconv.Itoa(i))
		os.Remove(f) // read-only from the last start
		if err := os.WriteFile(f, data, os.FileMode(u.Mode)); err != nil {
			return nil, nil, fmt.Errorf("secret %s: %w", u.Name, err)
		}
		if err := os.Chown(f, ToNamespace(cfg.UIDMap, u.UID), ToNamespace(cfg.GIDMap, u.GID)); err != nil {
			return nil, nil, fmt.Errorf("secret %s: %w", u.Name, err)
		}
		if err := os.Chmod(f, os.FileMode(u.Mode)); err != nil {
			return nil, nil, err
		}
		mounts = append(mounts, oci.BindMount(f, u.Target, true))
	}
	return env, mounts, nil
}

// namespaceOpts give cfg its PID, IPC, UTS and cgroup namespaces: a
// container's whose namespace it joins must run.
func (e *Service) namespaceOpts(cfg *record.Config) ([]oci.SpecOpt, error) {
	var opts []oci.SpecOpt
	for _, ns := range []struct {
		flag, value string
		typ         specs.LinuxNamespaceType
	}{{"--pid", cfg.Namespaces.PID, specs.PIDNamespace}, {"--ipc", cfg.Namespaces.IPC, specs.IPCNamespace}, {"--uts", cfg.Namespaces.UTS, specs.UTSNamespace},
		{"--cgroupns", cfg.Namespaces.Cgroup, specs.CgroupNamespace}, {"--userns", cfg.Namespaces.User, specs.UserNamespace}} {
		var share oci.Sharing
		switch {
		case ns.value == "host":
			share.Host = true
		case strings.HasPrefix(ns.value, "container:"):
			id := strings.TrimPrefix(ns.value, "container:")
			st, err := e.Rec.LoadState(id)
			if err != nil || st.Status != record.StatusRunning || !record.Alive(st.Pid, st.PidStart) {
				return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s container:%s: that container is not running: start it first", ns.flag, e.Rec.NameOf(id)))
			}
			nsName := map[specs.LinuxNamespaceType]string{specs.PIDNamespace: "pid", specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts",
				specs.CgroupNamespace: "cgroup", specs.UserNamespace: "user"}[ns.typ]
			share.Path = fmt.Sprintf("/proc/%d/ns/%s", st.Pid, nsName)
			if ns.typ == specs.IPCNamespace {
				owner, err := e.Rec.LoadConfig(id)
				if err != nil {
					return nil, err
				}
				if !owner.Namespaces.ShareableIPC() {
					return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--ipc container:%s: its IPC namespace is not shareable (--ipc %s): create it with --ipc shareable", e.Rec.NameOf(id), owner.Namespaces.IPC))
				}
				if !e.HasShm(id) {
					return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--ipc container:%s: its /dev/shm is not shareable (it was started by an older scow): restart it first", e.Rec.NameOf(id)))
				}
				opts = append(opts, oci.WithShm(e.ShmDir(id)))
			}
		default:
			continue // its own, as Default has it
		}
		opts = append(opts, oci.WithNamespace(ns.typ, share, userns.Rootless()))
	}
	switch {
	case cfg.Namespaces.IPC == "none":
		opts = append(opts, oci.WithoutShm())
	case cfg.Namespaces.ShareableIPC():
		opts = append(opts, oci.WithShm(e.ShmDir(cfg.ID)))
	}
	// A cgroup namespace of its own: asked for, or the default on
	// cgroup v2, as Podman's.
	if cfg.Namespaces.OwnCgroup(oci.CgroupVersion()) {
		opts = append(opts, oci.WithNamespace(specs.CgroupNamespace, oci.Sharing{}, userns.Rootless()))
	}
	return opts, nil
}

// seccompLabel is the image label of its seccomp profile, as Podman's.
const seccompLabel = "io.containers.seccomp.profile"

// ContainerEnvPath is the file that tells programs they run in a
// container, as Podman's.
const ContainerEnvPath = "/run/.containerenv"

// containerEnv is a new container's environment: the image's (less what
// --unsetenv and --unsetenv-all drop), with --env-merge's entries
// expanded in it, under the user's.
func containerEnv(image []string, s *specgen.Spec) []string {
	var env []string
	if !s.UnsetEnvAll {
		for _, kv := range image {
			if k, _, _ := strings.Cut(kv, "="); !slices.Contains(s.UnsetEnv, k) {
				env = append(env, kv)
			}
		}
	}
	for _, kv := range s.EnvMerge {
		k, v, _ := strings.Cut(kv, "=")
		v = os.Expand(v, func(name string) string {
			for _, e := range env {
				if n, val, _ := strings.Cut(e, "="); n == name {
					return val
				}
			}
			return ""
		})
		env = specgen.MergeEnv(env, k+"="+v)
	}
	return specgen.MergeEnv(env, s.Env...)
}

// writeCIDFile writes the container ID to a file that must not exist.
func writeCIDFile(path, id string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return errdefs.WithClass(errdefs.ErrExists, fmt.Errorf("--cidfile: %w", err))
	}
	_, err = f.WriteString(id)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--cidfile: %w", err)
	}
	return nil
}
