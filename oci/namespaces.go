package oci

import (
	"os"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Sharing says how a container gets one of its namespaces: a private
// one (Path ""), the host's (Host), or the one at Path (another
// container's).
type Sharing struct {
	Host bool
	Path string
}

// WithNamespace gives the container namespace typ as share says. The
// host's PID or IPC namespace is not one a rootless runtime may mount
// proc or mqueue for: the host's are bound instead, as Podman's.
func WithNamespace(typ specs.LinuxNamespaceType, share Sharing, rootless bool) SpecOpt {
	return func(s *specs.Spec) error {
		i := slices.IndexFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == typ })
		switch {
		case share.Host && i >= 0:
			s.Linux.Namespaces = slices.Delete(s.Linux.Namespaces, i, i+1)
		case share.Host:
		case i >= 0:
			s.Linux.Namespaces[i].Path = share.Path
		default:
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: typ, Path: share.Path})
		}
		if typ == specs.UTSNamespace && (share.Host || share.Path != "") {
			s.Hostname = "" // the name is the namespace owner's to set
		}
		if !share.Host {
			return nil
		}
		switch typ {
		case specs.PIDNamespace:
			if rootless {
				replaceMount(s, "/proc", specs.Mount{Destination: "/proc", Type: "bind", Source: "/proc", Options: []string{"rbind", "nosuid", "noexec", "nodev"}})
			}
		case specs.IPCNamespace:
			bindHost(s, "/dev/shm")
			if rootless {
				bindHost(s, "/dev/mqueue")
			}
		}
		return nil
	}
}

// WithShm makes the container's /dev/shm a bind of dir, a tmpfs mounted
// outside it that others may share.
func WithShm(dir string) SpecOpt {
	return func(s *specs.Spec) error {
		replaceMount(s, "/dev/shm", specs.Mount{Destination: "/dev/shm", Type: "bind", Source: dir, Options: []string{"rbind", "nosuid", "noexec", "nodev"}})
		return nil
	}
}

// WithoutShm leaves the container no /dev/shm (--ipc none).
func WithoutShm() SpecOpt {
	return func(s *specs.Spec) error {
		s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/dev/shm" })
		return nil
	}
}

// bindHost replaces the mount at dest by a bind of the host's dest, or
// drops it where the host has none.
func bindHost(s *specs.Spec, dest string) {
	if _, err := os.Stat(dest); err != nil {
		s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == dest })
		return
	}
	replaceMount(s, dest, specs.Mount{Destination: dest, Type: "bind", Source: dest, Options: []string{"rbind", "nosuid", "noexec", "nodev"}})
}

// replaceMount puts m where the mount at dest was.
func replaceMount(s *specs.Spec, dest string, m specs.Mount) {
	for i := range s.Mounts {
		if s.Mounts[i].Destination == dest {
			s.Mounts[i] = m
		}
	}
}
