package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/storage/pkg/ioutils"
	"golang.org/x/sys/unix"
)

// SpecOpt changes a spec under construction.
type SpecOpt func(*specs.Spec) error

// DefaultCaps is Podman's default capability set.
var DefaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
	"CAP_SETUID", "CAP_SYS_CHROOT",
}

// DefaultEnvPath is the PATH a container gets when its image sets none.
const DefaultEnvPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

var maskedPaths = []string{
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/fs/selinux", "/sys/dev/block", "/proc/interrupts",
	"/sys/devices/virtual/powercap",
}

var readonlyPaths = []string{
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

// Default returns the base spec every container starts from: Podman's
// capabilities, private PID, IPC, UTS and mount namespaces, the standard
// kernel filesystems, masked and read-only paths, no_new_privileges off
// as in Docker, and resource limits from this process.
func Default() *specs.Spec {
	caps := slices.Clone(DefaultCaps)
	s := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: "rootfs"},
		Process: &specs.Process{
			Cwd: "/",
			Env: []string{DefaultEnvPath},
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			Rlimits: hostRlimits(),
		},
		Hostname: "scow",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
				{Type: specs.NetworkNamespace},
			},
			MaskedPaths:   slices.Clone(maskedPaths),
			ReadonlyPaths: slices.Clone(readonlyPaths),
			Sysctl:        map[string]string{"net.ipv4.ping_group_range": "0 0"},
		},
	}
	return s
}

func hostRlimits() []specs.POSIXRlimit {
	var out []specs.POSIXRlimit
	for _, l := range []struct {
		name string
		res  int
	}{{"RLIMIT_NOFILE", unix.RLIMIT_NOFILE}, {"RLIMIT_NPROC", unix.RLIMIT_NPROC}} {
		var r unix.Rlimit
		if unix.Getrlimit(l.res, &r) == nil {
			// Raise the soft limit to the hard one: a container cannot go
			// above what this process may.
			out = append(out, specs.POSIXRlimit{Type: l.name, Hard: r.Max, Soft: r.Max})
		}
	}
	return out
}

// New applies opts to Default's spec.
func New(opts ...SpecOpt) (*specs.Spec, error) {
	s := Default()
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if foreignNetNS(s) {
		// A network namespace the container's user namespace does not
		// own (the host's, or one made outside it): no sysfs of its
		// own and no net sysctls.
		bindSys(s)
		delete(s.Linux.Sysctl, "net.ipv4.ping_group_range")
	}
	return s, nil
}

// foreignNetNS tells whether the container runs in a network namespace
// not made with it and its user namespace: the host's (no network
// namespace of its own), or one it joins from inside a user namespace of
// its own.
func foreignNetNS(s *specs.Spec) bool {
	var net *specs.LinuxNamespace
	user := false
	for i, n := range s.Linux.Namespaces {
		switch n.Type {
		case specs.NetworkNamespace:
			net = &s.Linux.Namespaces[i]
		case specs.UserNamespace:
			user = true
		}
	}
	return net == nil || (net.Path != "" && user)
}

// WithRootfs sets the root filesystem path and whether it is read-only.
func WithRootfs(path string, readonly bool) SpecOpt {
	return func(s *specs.Spec) error {
		s.Root = &specs.Root{Path: path, Readonly: readonly}
		return nil
	}
}

// WithArgs sets the command line.
func WithArgs(args []string) SpecOpt {
	return func(s *specs.Spec) error {
		if len(args) == 0 {
			return errors.New("no command to run")
		}
		s.Process.Args = args
		return nil
	}
}

// WithEnv sets the environment (KEY=VALUE entries, later ones win).
func WithEnv(env []string) SpecOpt {
	return func(s *specs.Spec) error {
		s.Process.Env = env
		return nil
	}
}

// WithCwd sets the working directory.
func WithCwd(dir string) SpecOpt {
	return func(s *specs.Spec) error {
		if dir != "" {
			s.Process.Cwd = dir
		}
		return nil
	}
}

// WithUser sets the user the process runs as.
func WithUser(uid, gid uint32, additional []uint32) SpecOpt {
	return func(s *specs.Spec) error {
		s.Process.User = specs.User{UID: uid, GID: gid, AdditionalGids: additional}
		return nil
	}
}

// WithAnnotations adds annotations to the spec.
func WithAnnotations(a map[string]string) SpecOpt {
	return func(s *specs.Spec) error {
		if len(a) > 0 && s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		maps.Copy(s.Annotations, a)
		return nil
	}
}

// WithUmask sets the process's umask; nil leaves the runtime's 0022.
func WithUmask(mask *uint32) SpecOpt {
	return func(s *specs.Spec) error {
		s.Process.User.Umask = mask
		return nil
	}
}

// WithHostname sets the container's hostname.
func WithHostname(name string) SpecOpt {
	return func(s *specs.Spec) error {
		s.Hostname = name
		return nil
	}
}

// WithTerminal gives the process a pseudo-terminal.
func WithTerminal(rows, cols uint16) SpecOpt {
	return func(s *specs.Spec) error {
		SetTerminal(s.Process, rows, cols)
		return nil
	}
}

// SetTerminal gives p a pseudo-terminal of rows x cols (0 leaves the
// size to a later resize) and TERM=xterm unless its env sets TERM.
func SetTerminal(p *specs.Process, rows, cols uint16) {
	p.Terminal = true
	if rows > 0 && cols > 0 {
		p.ConsoleSize = &specs.Box{Height: uint(rows), Width: uint(cols)}
	}
	for _, kv := range p.Env {
		if strings.HasPrefix(kv, "TERM=") {
			return
		}
	}
	p.Env = append(p.Env, "TERM=xterm")
}

// WithMounts appends mounts (binds, volumes, generated files).
func WithMounts(m []specs.Mount) SpecOpt {
	return func(s *specs.Spec) error {
		s.Mounts = append(s.Mounts, m...)
		return nil
	}
}

// WithNetNS sets the network namespace: "" for a new private one, a path
// to join, or "host" for the host's.
func WithNetNS(path string) SpecOpt {
	return func(s *specs.Spec) error {
		s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool {
			return n.Type == specs.NetworkNamespace
		})
		switch path {
		case "host":
		case "":
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
		default:
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: path})
		}
		return nil
	}
}

// WithUserNS gives the container its own user namespace with these
// mappings onto the runtime's namespace.
func WithUserNS(uids, gids []specs.LinuxIDMapping) SpecOpt {
	return func(s *specs.Spec) error {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings, s.Linux.GIDMappings = uids, gids
		return nil
	}
}

// bindSys replaces the sysfs mount with a read-only bind of the host's:
// sysfs of a network namespace that the container's user namespace does
// not own cannot be mounted.
func bindSys(s *specs.Spec) {
	replaceMount(s, "/sys", specs.Mount{Destination: "/sys", Type: "bind", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}})
}

// WithRootless adapts the spec to a runtime inside an unprivileged user's
// namespace: with a single-ID mapping, devpts cannot use the tty group,
// which is not mapped.
func WithRootless(singleMapping bool) SpecOpt {
	return func(s *specs.Spec) error {
		if !singleMapping {
			return nil
		}
		for i, m := range s.Mounts {
			if m.Type == "devpts" {
				s.Mounts[i].Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "gid=5" })
			}
		}
		return nil
	}
}

// WriteBundle writes spec as dir/config.json, atomically.
func WriteBundle(dir string, spec *specs.Spec) error {
	data, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("encode bundle: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create bundle: %w", err)
	}
	// Runtime state: a reboot makes it stale, so no fsync.
	if err := ioutils.AtomicWriteFileWithOpts(filepath.Join(dir, "config.json"), data, 0o600, &ioutils.AtomicFileWriterOptions{NoSync: true}); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	return nil
}
