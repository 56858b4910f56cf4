package specgen

import (
	"cmp"
	"errors"
	"fmt"
	units "github.com/docker/go-units"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	stdnet "net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
	"github.com/scow-project/scow/storage"
	"github.com/sirupsen/logrus"
)

// Spec is a container to create, typed and checked: what run and create
// make of their flags (NewSpec), and what builds, pods, kube play,
// compose and an API fill in directly. CreateSpec makes the container
// from it; what needs the store (the image, named networks, volumes,
// other containers) is looked up there.
type Spec struct {
	// Name is the container's name; "" picks one.
	Name string
	// Pod is the pod it joins, by name or ID; Infra makes it that pod's
	// infra container (its Pod is then the pod's ID). A member whose pod
	// shares its network leaves Network empty.
	Pod   string
	Infra bool
	// InitContainer runs to its end before the pod's others start.
	InitContainer bool
	// Image is the image reference; Pull is the pull policy (missing,
	// always, never, newer) and Registry the options of such a pull.
	Image    string
	Pull     string
	Registry storage.RegistryOptions

	// Entrypoint replaces the image's when SetEntrypoint is set (nil
	// clears it); Cmd, when set, replaces the image's.
	Entrypoint    []string
	SetEntrypoint bool
	Cmd           []string
	// Env entries go over the image's; WorkingDir and User, when set,
	// replace the image's. EnvMerge entries expand $VAR in the image's
	// environment; UnsetEnv and UnsetEnvAll drop the image's and scow's
	// defaults.
	Env         []string
	EnvMerge    []string
	UnsetEnv    []string
	UnsetEnvAll bool
	WorkingDir  string
	User        string
	Interactive bool
	Tty         bool
	// Init is the host path of an init to run as PID 1, "" for none.
	Init string

	// Network is the network mode; NetworkAliases and IP apply on a
	// named network. Ports are published (host port 0: one is picked);
	// PublishAll adds every port the image exposes.
	Network        netns.Mode
	NetworkAliases []string
	IP, IP6        string
	Ports          []netns.PortMapping
	PublishAll     bool
	// Expose are ports ("80/tcp") added to those the image exposes.
	Expose     []string
	Hostname   string
	DNS        []string
	DNSSearch  []string
	DNSOptions []string
	AddHosts   []string
	NoHosts    bool
	NoHostname bool
	HostsFile  string
	// Security is what the container asks of its isolation; Namespaces
	// how it gets its PID, IPC, UTS and cgroup namespaces (container:
	// names a container, by name or ID).
	Security   oci.Security
	Namespaces record.Namespaces
	// Secrets are the secrets it gets, by name.
	Secrets []record.SecretUse
	// Resources are its cgroup limits (nil: none asked), CgroupParent
	// the cgroup its own goes under; Cgroups is "" (a cgroup of its
	// own), CgroupsDisabled or CgroupsSplit.
	Resources    *specs.LinuxResources
	CgroupParent string
	Cgroups      string
	// ChrootDirs receive the files scow manages as the root does.
	ChrootDirs []string
	// NoPasswd, PasswdEntry, GroupEntry and HostUsers shape the
	// accounts added to /etc/passwd and /etc/group.
	NoPasswd                bool
	PasswdEntry, GroupEntry string
	HostUsers               []string
	MacAddress              string

	// Mounts are the user's binds, volumes and tmpfs; VolumesFrom are
	// CONTAINER[:ro|rw] whose mounts are added.
	Mounts      []record.Mount
	VolumesFrom []string
	// ImageVolume is what the image's VOLUMEs get: bind (an anonymous
	// volume, the default), tmpfs or ignore (nothing).
	ImageVolume   string
	ReadOnly      bool
	ReadOnlyTmpfs bool
	// Rootfs, when set, is a host directory the container runs on
	// instead of an image (Image is then empty); RootfsOverlay keeps its
	// changes in an overlay that goes when the container stops (:O).
	Rootfs        string
	RootfsOverlay bool
	// IDMapping is the container's own user namespace, if any;
	// KeepIDUser is the user --userns=keep-id runs as.
	IDMapping  storage.IDMapping
	KeepIDUser string

	Labels      map[string]string
	Annotations map[string]string
	Remove      bool
	Restart     record.RestartPolicy
	LogDriver   string
	LogMaxSize  int64
	LogMaxFiles int
	// Attach are the streams attached at run or start -a ("stdin",
	// "stdout", "stderr"); empty is all.
	Attach []string
	// RemoveImage removes the image with the container (--rmi);
	// Requires are containers started before it.
	RemoveImage bool
	Requires    []string
	// Umask is the process's umask (nil: the runtime's 0022); TZ the
	// host's zone file for /etc/localtime.
	Umask *uint32
	TZ    string
	// Timeout kills the container after that many seconds; PidFile and
	// MonitorPidFile receive its PID and its monitor's.
	Timeout                 int
	PidFile, MonitorPidFile string
	// StopSignal and StopTimeout, when set, replace the image's signal
	// and the default 10 s.
	StopSignal  string
	StopTimeout *int
	// Health is the healthcheck's flags, over the image's HEALTHCHECK.
	Health HealthOptions
	// SdNotify is --sdnotify ("": conmon).
	SdNotify string
	// CreateCommand is the command line that asked for the container.
	CreateCommand []string
	// Systemd is --systemd ("": true); ShmSizeSystemd the size of its
	// tmpfs mounts.
	Systemd, ShmSizeSystemd string
	// Replace removes a container of the same name first; CIDFile
	// receives the new container's ID.
	Replace bool
	CIDFile string
}

// NewSpec turns the flags of run and create into a Spec and checks it.
// It reads the files the flags name (--env-file) and the host's init, but
// not the store.
func NewSpec(o RunOptions) (*Spec, error) {
	s := &Spec{
		Name: o.Name, Pod: o.Pod, Image: o.Image, Pull: o.Pull, Registry: o.Registry,
		Cmd: o.Args, WorkingDir: o.Workdir, User: o.User, Interactive: o.Interactive, Tty: o.Tty,
		NetworkAliases: o.NetworkAliases, IP: o.IP, IP6: o.IP6, PublishAll: o.PublishAll, Hostname: o.Hostname,
		DNS: o.DNS, DNSSearch: o.DNSSearch, DNSOptions: o.DNSOptions, AddHosts: o.AddHosts,
		NoHosts: o.NoHosts, MacAddress: o.MacAddress, VolumesFrom: o.VolumesFrom,
		ReadOnly: o.ReadOnly, ReadOnlyTmpfs: o.ReadOnlyTmpfs, Remove: o.Remove,
		StopSignal: o.StopSignal, StopTimeout: o.StopTimeout, Replace: o.Replace, CIDFile: o.CIDFile, Health: o.Health, SdNotify: o.SdNotify, CreateCommand: o.CreateCommand, Systemd: o.Systemd, ShmSizeSystemd: o.ShmSizeSystemd,
		EnvMerge: o.EnvMerge, UnsetEnv: o.UnsetEnv, UnsetEnvAll: o.UnsetEnvAll,
		Timeout: o.Timeout, PidFile: absPath(o.PidFile), MonitorPidFile: absPath(o.MonitorPidFile),
		NoHostname: o.NoHostname, RemoveImage: o.RemoveImage, ImageVolume: o.ImageVolume,
		NoPasswd: o.NoPasswd, PasswdEntry: o.PasswdEntry, GroupEntry: o.GroupEntry, HostUsers: o.HostUsers,
	}
	switch o.InitCtr {
	case "":
	case "always", "once":
		if o.Pod == "" && o.PodIDFile == "" {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--init-ctr: an init container belongs to a pod: give --pod"))
		}
		s.InitContainer, s.Remove = true, o.InitCtr == "once"
	default:
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--init-ctr %q: use always or once", o.InitCtr))
	}
	switch o.HostsFile {
	case "", "none", "image":
		s.HostsFile = o.HostsFile
	default:
		s.HostsFile = absPath(o.HostsFile)
		if _, err := os.Stat(s.HostsFile); err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--hosts-file: %w", err))
		}
	}
	switch s.ImageVolume {
	case "", "bind", "tmpfs", "ignore":
	default:
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--image-volume %q: use bind, tmpfs or ignore", s.ImageVolume))
	}
	if o.RemoveImage {
		s.Remove = true // --rmi implies --rm, as with Podman
	}
	for _, n := range o.Attach {
		for _, one := range strings.Split(n, ",") {
			switch one = strings.ToLower(strings.TrimSpace(one)); one {
			case "stdin", "stdout", "stderr":
				s.Attach = append(s.Attach, one)
			default:
				return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("-a %q: attach stdin, stdout or stderr", one))
			}
		}
	}
	if o.Rootfs {
		dir, opts := o.Image, ""
		if i := strings.LastIndex(dir, ":"); i >= 0 && !strings.Contains(dir[i:], "/") {
			dir, opts = dir[:i], dir[i+1:]
		}
		switch opts {
		case "":
		case "O":
			s.RootfsOverlay = true
		default:
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--rootfs %s: option %q: only O (an overlay) is known", o.Image, opts))
		}
		s.Rootfs, s.Image = absPath(dir), ""
		if st, err := os.Stat(s.Rootfs); err != nil || !st.IsDir() {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--rootfs %s: not a directory", dir))
		}
	}
	for _, d := range o.ChrootDirs {
		for _, one := range strings.Split(d, ",") {
			if !path.IsAbs(one) || path.Clean(one) == "/" {
				return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--chrootdirs %q: give absolute paths of directories in the container, not /", one))
			}
			s.ChrootDirs = append(s.ChrootDirs, path.Clean(one))
		}
	}
	if len(s.Attach) > 0 && o.Detach {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, errors.New("-a and -d conflict: a detached container has nothing attached"))
	}
	for _, r := range o.Requires {
		for _, name := range strings.Split(r, ",") {
			if name = strings.TrimSpace(name); name != "" {
				s.Requires = append(s.Requires, name)
			}
		}
	}
	var err error
	// A pod's member takes its network from the pod: JoinPod.
	if network := o.Network; network != "" || o.Pod == "" {
		if s.Network, err = netns.ParseMode(cmp.Or(network, DefaultNetwork())); err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
		}
	}
	if s.Security, err = ParseSecurity(o.Security, s.Network); err != nil {
		return nil, err
	}
	if s.Namespaces, err = parseNamespaces(o.Namespaces); err != nil {
		return nil, err
	}
	if s.Secrets, err = parseSecrets(o.Secrets); err != nil {
		return nil, err
	}
	if s.Resources, err = ParseResources(o.Resources); err != nil {
		return nil, err
	}
	s.CgroupParent = o.CgroupParent
	if s.CgroupParent != "" && !path.IsAbs(s.CgroupParent) {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--cgroup-parent %q: give an absolute cgroup path such as /apps", s.CgroupParent))
	}
	if s.Cgroups, err = parseCgroups(o.Cgroups, s); err != nil {
		return nil, err
	}
	for _, p := range o.Publish {
		m, err := netns.ParsePublish(p)
		if err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
		}
		s.Ports = append(s.Ports, m...)
	}
	if s.Mounts, err = parseMounts(o); err != nil {
		return nil, err
	}
	uns, err := parseUserNS(&o)
	if err != nil {
		return nil, err
	}
	s.IDMapping, s.KeepIDUser = uns.mapping, uns.user
	if s.Env, err = UserEnv(o.EnvFiles, o.Env); err != nil {
		return nil, err
	}
	s.Env = append(hostEnv(o.EnvHost, o.HTTPProxy), s.Env...)
	for _, kv := range s.EnvMerge {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--env-merge %q: want KEY=VALUE", kv))
		}
	}
	if s.Labels, err = ReadLabels(o.LabelFiles, o.Labels); err != nil {
		return nil, err
	}
	if s.Annotations, err = ParseKeyValues("--annotation", o.Annotations); err != nil {
		return nil, err
	}
	if s.Expose, err = parseExpose(o.Expose); err != nil {
		return nil, err
	}
	if s.Restart, err = ParseRestartPolicy(o.Restart); err != nil {
		return nil, err
	}
	if s.LogMaxSize, s.LogMaxFiles, err = parseLogOpts(o.LogOpts); err != nil {
		return nil, err
	}
	if s.LogDriver, err = parseLogDriver(o.LogDriver); err != nil {
		return nil, err
	}
	if s.Umask, err = parseUmask(o.Umask); err != nil {
		return nil, err
	}
	if s.TZ, err = parseTZ(o.TZ); err != nil {
		return nil, err
	}
	if o.Timeout < 0 {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--timeout %d: want seconds, 0 for none", o.Timeout))
	}
	if o.Entrypoint != nil {
		s.SetEntrypoint = true
		if s.Entrypoint, err = ParseCommand("--entrypoint", *o.Entrypoint); err != nil {
			return nil, err
		}
	}
	if s.Init, err = findInit(o.Init, o.InitPath); err != nil {
		return nil, err
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	if s.CIDFile != "" {
		if _, err := os.Stat(s.CIDFile); err == nil {
			return nil, errdefs.WithClass(errdefs.ErrExists, fmt.Errorf("--cidfile %s already exists: remove it first", s.CIDFile))
		}
	}
	return s, nil
}

// Check applies the rules between a spec's fields that hold whoever made
// it; CreateSpec checks every spec. Published ports with the host's
// network are dropped, with a warning, as Docker does: compose files
// publish ports and use the host's network too.
func (s *Spec) Check() error {
	bad := func(format string, a ...any) error {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	if s.Name != "" {
		if err := record.ValidName(s.Name); err != nil {
			return err
		}
	}
	if s.Hostname != "" && !hostnameRE.MatchString(s.Hostname) {
		return bad("--hostname %q: use letters, digits, '-' and '.', at most 253 of them, 63 between dots", s.Hostname)
	}
	// A pod's member gets its network from JoinPod, and is checked
	// again then.
	if s.Network.Kind != "" || s.Pod == "" {
		if err := s.checkNetwork(); err != nil {
			return err
		}
	}
	if err := s.checkCgroups(); err != nil {
		return err
	}
	// (A pod's member shares the pod's IPC namespace once it joins.)
	if err := checkIPCSysctls(s.Security.Sysctls, s.Namespaces.IPC); err != nil {
		return err
	}
	if s.Rootfs != "" && s.IDMapping.Auto {
		return bad("--userns=auto picks IDs for a layer in storage, which a --rootfs directory lacks: give --uidmap")
	}
	if s.Restart.Name != "" && s.Restart.Name != "no" && s.Remove {
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("--restart and --rm conflict: a container cannot be both restarted and removed when it exits"))
	}
	switch s.Systemd {
	case "", "true", "false", "always":
	default:
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--systemd %q: use true, false or always", s.Systemd))
	}
	if s.ShmSizeSystemd != "" {
		if _, err := units.RAMInBytes(s.ShmSizeSystemd); err != nil {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--shm-size-systemd %q: give a size such as 64m", s.ShmSizeSystemd))
		}
	}
	switch s.SdNotify {
	case "", "conmon", "container", "healthy", "ignore":
	default:
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--sdnotify %q: use conmon, container, healthy or ignore", s.SdNotify))
	}
	// The health flags are checked as over an image's check.
	if _, err := s.Health.Healthcheck(&dockerspec.HealthcheckConfig{Test: []string{"CMD", "true"}}); err != nil {
		return err
	}
	if s.StopSignal != "" {
		if _, err := ParseSignal(s.StopSignal); err != nil {
			return err
		}
	}
	if s.WorkingDir != "" && !strings.HasPrefix(s.WorkingDir, "/") {
		return bad("-w %q: the working directory must be absolute", s.WorkingDir)
	}
	for _, ref := range s.VolumesFrom {
		if _, mode, _ := strings.Cut(ref, ":"); mode != "" && mode != "ro" && mode != "rw" {
			return bad("--volumes-from %q: the mode must be ro or rw", ref)
		}
	}
	return checkDestinations(s.Mounts)
}

// checkNetwork checks the network flags against the network mode.
func (s *Spec) checkNetwork() error {
	bad := func(format string, a ...any) error {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	mode := s.Network
	if mode.Kind != netns.ModeBridge && (len(s.NetworkAliases) > 0 || s.IP != "" || s.IP6 != "") {
		return bad("--network-alias, --ip and --ip6 need a named network, not --network %s", mode)
	}
	switch {
	case len(s.Ports) == 0 && !s.PublishAll, mode.Kind == netns.ModeSlirp, mode.Kind == netns.ModePasta, mode.Kind == netns.ModeBridge:
	case mode.Kind == netns.ModeHost:
		logrus.Warn("Published ports are discarded when using host network mode")
		s.Ports, s.PublishAll = nil, false
	default:
		return bad("-p and -P need a network of the container's own (slirp4netns, pasta or a named one), not --network %s", mode)
	}
	for _, h := range s.AddHosts {
		if err := netns.ValidateHost(h); err != nil {
			return errdefs.WithClass(errdefs.ErrInvalid, err)
		}
	}
	if s.MacAddress != "" {
		if _, err := stdnet.ParseMAC(s.MacAddress); err != nil || (mode.Kind != netns.ModeSlirp && mode.Kind != netns.ModePasta && mode.Kind != netns.ModeBridge) {
			return bad("--mac-address %q: give a MAC address, with --network slirp4netns, pasta or a named network", s.MacAddress)
		}
	}
	joins := mode.Kind == netns.ModeContainer || mode.Kind == netns.ModeNS
	// (A pod's member joins the user namespace that owns the network
	// namespace it joins: its infra container's.)
	joinsOwner := mode.Kind == netns.ModeContainer && s.Namespaces.User == "container:"+mode.Target
	if joins && (s.IDMapping.Auto || len(s.IDMapping.UIDMap) > 0) && !joinsOwner {
		// The runtime enters a container's own user namespace before its
		// network namespace, which would be one it cannot enter then.
		return bad("conflicting options: a user namespace of its own (--userns, --uidmap) and --network %s: such a container needs a network namespace of its own", mode)
	}
	if mode.Kind == netns.ModeContainer {
		// As in Docker, the joiner takes the owner's names and files.
		for _, f := range []struct {
			flag string
			set  bool
		}{
			{"--hostname", s.Hostname != ""}, {"--dns", len(s.DNS) > 0}, {"--dns-search", len(s.DNSSearch) > 0},
			{"--dns-option", len(s.DNSOptions) > 0}, {"--add-host", len(s.AddHosts) > 0}, {"--mac-address", s.MacAddress != ""},
		} {
			if f.set {
				return bad("conflicting options: %s and --network %s: the container takes them from the one whose network it joins", f.flag, mode)
			}
		}
	}
	return nil
}

// UserEnv reads the environment a user gives run or exec: --env-file
// files, then -e entries.
func UserEnv(files, entries []string) ([]string, error) {
	var env []string
	for _, f := range files {
		fe, err := ReadEnvFile(f)
		if err != nil {
			return nil, err
		}
		env = append(env, fe...)
	}
	for _, kv := range entries {
		entry, err := envEntry(kv)
		if err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("-e: %w", err))
		}
		if entry != "" {
			env = append(env, entry)
		}
	}
	return env, nil
}

// InitDest is where an init binary appears in a container.
const InitDest = "/run/scow-init"

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

// absPath makes a file the monitor writes absolute: it runs elsewhere.
func absPath(p string) string {
	if p == "" {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// DefaultNetwork is the --network of a container that names none:
// slirp4netns rootless (a bridge needs the infra namespace's extra
// process and hop), the default bridge network as root.
func DefaultNetwork() string {
	if userns.Rootless() {
		return netns.ModeSlirp
	}
	return netns.DefaultNetwork
}

// hostnameRE is a host name as RFC 1123 has it: it goes into the hosts
// files of a network's other containers.
var hostnameRE = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)
