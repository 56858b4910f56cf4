package oci

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Device is a host device a container gets (--device): the node at Host
// appears at Container with Perms (a subset of "rwm").
type Device struct {
	Host      string `json:"host"`
	Container string `json:"container"`
	Perms     string `json:"perms"`
}

// WithDevices gives the container devs and, with all, every device of
// the host's /dev (--privileged). As root a device is a node the runtime
// makes and the device cgroup allows; rootless, where no node can be
// made, the host's node is bound, and only those the user may open are.
func WithDevices(devs []Device, all, rootless bool) SpecOpt {
	return func(s *specs.Spec) error {
		if all {
			host, err := hostDevices()
			if err != nil {
				return err
			}
			for _, p := range host {
				if rootless && unix.Access(p, unix.R_OK) != nil {
					continue
				}
				devs = append(devs, Device{Host: p, Container: p, Perms: "rwm"})
			}
			if !rootless {
				s.Linux.Resources = resources(s)
				s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Allow: true, Access: "rwm"})
			}
		}
		for _, d := range devs {
			if rootless {
				opts := []string{"bind", "nosuid", "noexec"}
				if !strings.Contains(d.Perms, "w") {
					opts = append(opts, "ro")
				}
				s.Mounts = append(s.Mounts, specs.Mount{Destination: d.Container, Type: "bind", Source: d.Host, Options: opts})
				continue
			}
			var st unix.Stat_t
			if err := unix.Stat(d.Host, &st); err != nil {
				return fmt.Errorf("--device %s: %w", d.Host, err)
			}
			typ := "c"
			if st.Mode&unix.S_IFMT == unix.S_IFBLK {
				typ = "b"
			}
			major, minor := int64(unix.Major(uint64(st.Rdev))), int64(unix.Minor(uint64(st.Rdev)))
			mode := fs.FileMode(st.Mode & 0o777)
			uid, gid := st.Uid, st.Gid
			s.Linux.Devices = append(s.Linux.Devices, specs.LinuxDevice{Path: d.Container, Type: typ, Major: major, Minor: minor, FileMode: &mode, UID: &uid, GID: &gid})
			s.Linux.Resources = resources(s)
			s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: &major, Minor: &minor, Access: d.Perms})
		}
		return nil
	}
}

func resources(s *specs.Spec) *specs.LinuxResources {
	if s.Linux.Resources == nil {
		return &specs.LinuxResources{}
	}
	return s.Linux.Resources
}

// IsDevice tells whether path is a character or block device.
func IsDevice(path string) bool {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return false
	}
	t := st.Mode & unix.S_IFMT
	return t == unix.S_IFCHR || t == unix.S_IFBLK
}

// hostDevices are the device nodes of the host's /dev, but those of the
// filesystems a container has its own of (pts, shm, mqueue) and the
// console.
func hostDevices() ([]string, error) {
	var out []string
	err := filepath.WalkDir("/dev", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		switch p {
		case "/dev/pts", "/dev/shm", "/dev/mqueue":
			return filepath.SkipDir
		case "/dev/console", "/dev/ptmx", "/dev/tty":
			return nil
		}
		if d.Type()&(fs.ModeDevice|fs.ModeCharDevice) != 0 && !strings.HasPrefix(p, "/dev/.") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the host's devices: %w", err)
	}
	return out, nil
}

// DeviceNumbers are the major and minor numbers of the block device at
// path.
func DeviceNumbers(path string) (major, minor int64, err error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, 0, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, 0, fmt.Errorf("not a block device")
	}
	return int64(unix.Major(uint64(st.Rdev))), int64(unix.Minor(uint64(st.Rdev))), nil
}
