package oci

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Capabilities are the Linux capabilities, as the kernel names them, in
// the order of their numbers.
var Capabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// Security is what a container asks of its isolation beyond Default's:
// capabilities added and dropped (canonical names, or ALL), privileged
// mode, no_new_privileges, the seccomp profile ("" Docker's default,
// "unconfined", or a profile's JSON), paths masked and unmasked (ALL
// unmasks every default), namespaced sysctls, rlimits, the size of
// /dev/shm in bytes (0: 64 MiB) and the OOM score adjustment.
type Security struct {
	CapAdd          []string `json:"cap_add,omitempty"`
	CapDrop         []string `json:"cap_drop,omitempty"`
	Privileged      bool     `json:"privileged,omitempty"`
	NoNewPrivileges bool     `json:"no_new_privileges,omitempty"`
	Seccomp         string   `json:"seccomp,omitempty"`
	SeccompPath     string   `json:"seccomp_path,omitempty"` // where Seccomp's profile was read, for inspect
	// SeccompFromImage takes the profile of the image's label
	// (--seccomp-policy image) when Seccomp is not set.
	SeccompFromImage bool     `json:"seccomp_from_image,omitempty"`
	Mask             []string `json:"mask,omitempty"`
	// ProcOpts are more options of the /proc mount (proc(5)).
	ProcOpts    []string            `json:"proc_opts,omitempty"`
	Unmask      []string            `json:"unmask,omitempty"`
	Sysctls     map[string]string   `json:"sysctls,omitempty"`
	Ulimits     []specs.POSIXRlimit `json:"ulimits,omitempty"`
	ShmSize     int64               `json:"shm_size,omitempty"`
	OOMScoreAdj *int                `json:"oom_score_adj,omitempty"`
	// Devices are the host's devices the container gets (--device);
	// GroupAdd are groups (names in its /etc/group, or GIDs) its process
	// is in besides its user's.
	Devices  []Device `json:"devices,omitempty"`
	GroupAdd []string `json:"group_add,omitempty"`
	// KeepGroups leaves the process the supplementary groups of the
	// user who runs the container (--group-add keep-groups): crun's
	// annotation, which runc lacks.
	KeepGroups bool `json:"keep_groups,omitempty"`
	// Personality is the execution domain of personality(2): LINUX or
	// LINUX32 ("": the runtime's).
	Personality string `json:"personality,omitempty"`
	// RdtClass is the class of service of the cache and memory bandwidth
	// allocation (Intel RDT, AMD QoS): a group under /sys/fs/resctrl.
	RdtClass string `json:"rdt_class,omitempty"`
	// CDIDevices are CDI devices (vendor.com/class=name) defined by the
	// specs in CDISpecDirs (nil: the default directories).
	CDIDevices  []string `json:"cdi_devices,omitempty"`
	CDISpecDirs []string `json:"cdi_spec_dirs,omitempty"`
}

// Caps are the capabilities Security leaves a process: Podman's defaults
// (all this process has when privileged or with --cap-add ALL), then the
// drops, then the additions.
func (sec Security) Caps() []string {
	caps := slices.Clone(DefaultCaps)
	if sec.Privileged || slices.Contains(sec.CapAdd, "ALL") {
		// Everything but what is dropped, as Podman's --cap-add ALL.
		caps = boundingCaps()
	}
	for _, c := range sec.CapDrop {
		if c == "ALL" {
			caps = nil
			continue
		}
		caps = slices.DeleteFunc(caps, func(x string) bool { return x == c })
	}
	for _, c := range sec.CapAdd {
		if c != "ALL" && !slices.Contains(caps, c) {
			caps = append(caps, c)
		}
	}
	return caps
}

// WithSecurity applies sec to the spec, seccomp included: apply it after
// anything else that changes capabilities.
func WithSecurity(sec Security) SpecOpt {
	return func(s *specs.Spec) error {
		caps := sec.Caps()
		s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
		s.Process.NoNewPrivileges = sec.NoNewPrivileges
		s.Process.OOMScoreAdj = sec.OOMScoreAdj
		if len(sec.ProcOpts) > 0 {
			i := slices.IndexFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/proc" && m.Type == "proc" })
			if i < 0 {
				return errors.New("--security-opt proc-opts: the container's /proc is the host's, bound (rootless --pid host), which takes no options")
			}
			s.Mounts[i].Options = append(s.Mounts[i].Options, sec.ProcOpts...)
		}
		if slices.Contains(sec.ProcOpts, "subset=pid") {
			// Such a /proc has no sys/ for the runtime to write.
			delete(s.Linux.Sysctl, "net.ipv4.ping_group_range")
		}
		if sec.KeepGroups {
			if s.Annotations == nil {
				s.Annotations = map[string]string{}
			}
			s.Annotations[KeepGroupsAnnotation] = "1"
		}
		if sec.RdtClass != "" {
			s.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: sec.RdtClass}
		}
		if sec.Personality != "" {
			s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.LinuxPersonalityDomain(sec.Personality)}
		}
		for _, l := range sec.Ulimits {
			i := slices.IndexFunc(s.Process.Rlimits, func(r specs.POSIXRlimit) bool { return r.Type == l.Type })
			if i < 0 {
				s.Process.Rlimits = append(s.Process.Rlimits, l)
			} else {
				s.Process.Rlimits[i] = l
			}
		}
		for k, v := range sec.Sysctls {
			s.Linux.Sysctl[k] = v
		}
		if sec.ShmSize > 0 {
			for i, m := range s.Mounts {
				if m.Destination == "/dev/shm" && m.Type == "tmpfs" {
					s.Mounts[i].Options = append(slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return strings.HasPrefix(o, "size=") }),
						fmt.Sprintf("size=%dk", (sec.ShmSize+1023)/1024))
				}
			}
		}
		masked, readonly := s.Linux.MaskedPaths, s.Linux.ReadonlyPaths
		if sec.Privileged {
			masked, readonly = nil, nil
			// The kernel's filesystems writable, as Podman's privileged.
			for i, m := range s.Mounts {
				if m.Destination == "/sys" {
					s.Mounts[i].Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
				}
			}
		}
		for _, p := range sec.Unmask {
			if p == "ALL" {
				masked, readonly = nil, nil
				continue
			}
			masked = slices.DeleteFunc(masked, func(x string) bool { return x == p })
			readonly = slices.DeleteFunc(readonly, func(x string) bool { return x == p })
		}
		for _, p := range sec.Mask {
			if !slices.Contains(masked, p) {
				masked = append(masked, p)
			}
		}
		s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = masked, readonly
		switch {
		case sec.Privileged || sec.Seccomp == "unconfined":
			s.Linux.Seccomp = nil
		case sec.Seccomp != "":
			p, err := seccomp.LoadProfile(sec.Seccomp, s)
			if err != nil {
				return fmt.Errorf("seccomp profile: %w", err)
			}
			s.Linux.Seccomp = p
		default:
			p, err := seccomp.GetDefaultProfile(s)
			if err != nil {
				return fmt.Errorf("default seccomp profile: %w", err)
			}
			s.Linux.Seccomp = p
		}
		return nil
	}
}

// CheckSeccompProfile tells why profile, a seccomp profile's JSON, is
// not one.
func CheckSeccompProfile(profile string) error {
	_, err := seccomp.LoadProfile(profile, Default())
	return err
}

// boundingCaps are the capabilities of this process's bounding set: no
// container can have more.
func boundingCaps() []string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return slices.Clone(Capabilities)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				break
			}
			var out []string
			for i, c := range Capabilities {
				if mask&(1<<i) != 0 {
					out = append(out, c)
				}
			}
			return out
		}
	}
	return slices.Clone(Capabilities)
}

// KeepGroupsAnnotation asks crun not to set the process's supplementary
// groups, so that it keeps those of the user who runs it.
const KeepGroupsAnnotation = "run.oci.keep_original_groups"

// ResctrlRoot is where the kernel's resource control filesystem (Intel
// RDT, AMD QoS) is mounted.
const ResctrlRoot = "/sys/fs/resctrl"

// CheckRdtClass tells why a container cannot join the class of service
// name: no resctrl filesystem, no such group, or a user that may not
// move tasks into it.
func CheckRdtClass(name string) error {
	if _, err := os.Stat(filepath.Join(ResctrlRoot, "info")); err != nil {
		return fmt.Errorf("this host has no resctrl filesystem (Intel RDT or AMD QoS) at %s: mount it where the CPU supports it", ResctrlRoot)
	}
	if name == "." || name == ".." || name == "info" || strings.Contains(name, "/") {
		return fmt.Errorf("%q: give the name of a group under %s", name, ResctrlRoot)
	}
	if err := unix.Access(filepath.Join(ResctrlRoot, name, "tasks"), unix.W_OK); err != nil {
		return fmt.Errorf("%q: no class of service %s the user may join (%v): create it, as root", name, filepath.Join(ResctrlRoot, name), err)
	}
	return nil
}
