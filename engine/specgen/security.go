package specgen

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
)

// SecurityOptions are the flags of run and create that shape isolation.
type SecurityOptions struct {
	CapAdd, CapDrop []string
	// Privileged gives every capability and device, no seccomp and no
	// masked paths; Devices are --device HOST[:CONTAINER][:PERMS].
	Privileged bool
	Devices    []string
	// GroupAdd are --group-add values: group names or GIDs.
	GroupAdd []string
	// SeccompPolicy is default or image: the profile of the image's
	// io.containers.seccomp.profile label, unless --security-opt gives one.
	SeccompPolicy string
	// SecurityOpt are --security-opt values: seccomp=, no-new-privileges,
	// mask=, unmask=, label= and apparmor=.
	SecurityOpt []string
	Sysctl      []string
	Ulimit      []string
	ShmSize     string
	OOMScoreAdj *int
	// Personality is --personality: LINUX or LINUX32; RdtClass is
	// --rdt-class, a class of service of resctrl.
	Personality string
	RdtClass    string
	// GPUs are --gpus values: all, or device IDs, of NVIDIA's CDI specs.
	GPUs []string
}

// ParseSecurity turns the security flags into the runtime's settings;
// network says which sysctls are the container's own.
func ParseSecurity(o SecurityOptions, network netns.Mode) (oci.Security, error) {
	bad := func(format string, a ...any) (oci.Security, error) {
		return oci.Security{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	sec := oci.Security{Privileged: o.Privileged}
	var err error
	switch o.SeccompPolicy {
	case "", "default":
	case "image":
		sec.SeccompFromImage = true
	default:
		return bad("--seccomp-policy %q: use default or image", o.SeccompPolicy)
	}
	if o.Personality != "" {
		sec.Personality = strings.ToUpper(o.Personality)
		if _, ok := oci.Personalities[sec.Personality]; !ok {
			return bad("--personality %q: want LINUX or LINUX32", o.Personality)
		}
	}
	if o.RdtClass != "" {
		if err := oci.CheckRdtClass(o.RdtClass); err != nil {
			return oci.Security{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--rdt-class: %w", err))
		}
		sec.RdtClass = o.RdtClass
	}
	for _, g := range o.GroupAdd {
		switch {
		case g == "keep-groups" && len(o.GroupAdd) > 1:
			return bad("--group-add keep-groups keeps the user's groups as they are: it cannot be combined with other groups")
		case g == "keep-groups":
			sec.KeepGroups = true
			continue
		case g == "" || strings.ContainsAny(g, ":, "):
			return bad("--group-add %q: give a group name or GID", g)
		}
		sec.GroupAdd = append(sec.GroupAdd, g)
	}
	for _, g := range o.GPUs {
		ids := strings.Split(strings.TrimPrefix(strings.Trim(g, `"`), "device="), ",")
		for _, id := range ids {
			name := "nvidia.com/gpu=" + id
			if id == "" || !oci.IsCDIDevice(name) {
				return bad("--gpus %q: want all, or device IDs such as 0,1", g)
			}
			sec.CDIDevices = append(sec.CDIDevices, name)
		}
	}
	for _, d := range o.Devices {
		if oci.IsCDIDevice(d) {
			sec.CDIDevices = append(sec.CDIDevices, d)
			continue
		}
		dev, err := parseDevice(d)
		if err != nil {
			return oci.Security{}, err
		}
		sec.Devices = append(sec.Devices, dev)
	}
	if sec.CapAdd, err = parseCaps("--cap-add", o.CapAdd); err != nil {
		return oci.Security{}, err
	}
	if sec.CapDrop, err = parseCaps("--cap-drop", o.CapDrop); err != nil {
		return oci.Security{}, err
	}
	for _, opt := range o.SecurityOpt {
		k, v, hasV := strings.Cut(opt, "=")
		if !hasV {
			k, v, hasV = strings.Cut(opt, ":") // Docker's older spelling
		}
		switch k {
		case "no-new-privileges":
			b, err := strconv.ParseBool(cmp.Or(v, "true"))
			if err != nil {
				return bad("--security-opt %s: want no-new-privileges[=true|false]", opt)
			}
			sec.NoNewPrivileges = b
		case "seccomp":
			switch {
			case v == "unconfined":
				sec.Seccomp = v
			case v == "":
				return bad("--security-opt %s: want seccomp=unconfined or seccomp=PROFILE.json", opt)
			default:
				data, err := os.ReadFile(v)
				if err != nil {
					return bad("--security-opt %s: %v", opt, err)
				}
				sec.Seccomp, sec.SeccompPath = string(data), absPath(v)
			}
		case "mask", "unmask":
			for _, p := range strings.Split(v, ":") {
				if p != "ALL" && !strings.HasPrefix(p, "/") || (p == "ALL" && k == "mask") {
					return bad("--security-opt %s: want absolute paths separated by ':'%s", opt, map[bool]string{true: ", or ALL", false: ""}[k == "unmask"])
				}
				if k == "mask" {
					sec.Mask = append(sec.Mask, p)
				} else {
					sec.Unmask = append(sec.Unmask, p)
				}
			}
		case "label":
			// SELinux labels: this host has no SELinux, as Podman
			// without it, they are accepted and have nothing to set.
			if !slices.Contains([]string{"disable", "nested"}, v) && !strings.Contains(v, ":") {
				return bad("--security-opt %s: want label=disable, nested, or user:, role:, type:, level:, filetype:", opt)
			}
		case "apparmor":
			if v != "unconfined" {
				return bad("--security-opt %s: scow applies no AppArmor profile: only apparmor=unconfined", opt)
			}
		case "proc-opts":
			for _, po := range strings.Split(v, ",") {
				name, val, _ := strings.Cut(po, "=")
				switch {
				case name == "hidepid" && slices.Contains([]string{"0", "1", "2", "4", "invisible", "noaccess", "ptraceable"}, val),
					name == "gid" && val != "" && strings.Trim(val, "0123456789") == "",
					name == "subset" && val == "pid":
					sec.ProcOpts = append(sec.ProcOpts, po)
				default:
					return bad("--security-opt %s: want options of proc(5) such as hidepid=2, gid=N or subset=pid", opt)
				}
			}
		default:
			return bad("--security-opt %s: use seccomp=, no-new-privileges, mask=, unmask=, proc-opts=, label= or apparmor=", opt)
		}
	}
	for _, kv := range o.Sysctl {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return bad("--sysctl %q: want KEY=VALUE", kv)
		}
		if slices.Contains(sec.ProcOpts, "subset=pid") {
			return bad("--sysctl %s: proc-opts=subset=pid leaves the container no /proc/sys to set it in", k)
		}
		if err := checkSysctl(k, network); err != nil {
			return oci.Security{}, err
		}
		if sec.Sysctls == nil {
			sec.Sysctls = map[string]string{}
		}
		sec.Sysctls[k] = v
	}
	for _, u := range o.Ulimit {
		l, err := parseUlimit(u)
		if err != nil {
			return oci.Security{}, err
		}
		sec.Ulimits = append(sec.Ulimits, l...)
	}
	if o.ShmSize != "" {
		n, err := units.RAMInBytes(o.ShmSize)
		if err != nil || n <= 0 {
			return bad("--shm-size %q: want a size such as 64m", o.ShmSize)
		}
		sec.ShmSize = n
	}
	if o.OOMScoreAdj != nil {
		if *o.OOMScoreAdj < -1000 || *o.OOMScoreAdj > 1000 {
			return bad("--oom-score-adj %d: want -1000 to 1000", *o.OOMScoreAdj)
		}
		sec.OOMScoreAdj = o.OOMScoreAdj
	}
	return sec, nil
}

// parseCaps reads --cap-add and --cap-drop values: ALL, or names with or
// without CAP_, in any case, comma-separated or repeated.
func parseCaps(flag string, values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, c := range strings.Split(v, ",") {
			c = strings.ToUpper(strings.TrimSpace(c))
			if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
				c = "CAP_" + c
			}
			if c != "ALL" && !slices.Contains(oci.Capabilities, c) {
				return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s %q: no such capability (see capabilities(7))", flag, v))
			}
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// checkSysctl refuses a sysctl that is not the container's own: those
// of its IPC namespace (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)
// and, with a network namespace of its own, net.*.
func checkSysctl(key string, network netns.Mode) error {
	switch {
	case strings.HasPrefix(key, "kernel.shm"), strings.HasPrefix(key, "kernel.msg"), key == "kernel.sem", strings.HasPrefix(key, "fs.mqueue."):
		return nil
	case strings.HasPrefix(key, "net."):
		if network.Kind == netns.ModeHost {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--sysctl %s: with --network host it would change the host's network: give the container a network of its own", key))
		}
		return nil
	}
	return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--sysctl %s: not a namespaced sysctl, so it would change the host: only net.*, kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* are a container's own", key))
}

// checkIPCSysctls refuses IPC sysctls where the IPC namespace is not the
// container's own (--ipc host or container:NAME): they would change the
// host's or the other container's.
func checkIPCSysctls(sysctls map[string]string, ipc string) error {
	if ipc != "host" && !strings.HasPrefix(ipc, "container:") {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(sysctls)) {
		if !strings.HasPrefix(k, "net.") {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--sysctl %s: with --ipc %s it would change that IPC namespace, not the container's: leave --ipc out", k, ipc))
		}
	}
	return nil
}

// rlimits maps --ulimit names to the runtime's.
var rlimits = map[string]string{
	"as": "RLIMIT_AS", "core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA",
	"fsize": "RLIMIT_FSIZE", "locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK",
	"msgqueue": "RLIMIT_MSGQUEUE", "nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE",
	"nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS", "rtprio": "RLIMIT_RTPRIO",
	"rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING", "stack": "RLIMIT_STACK",
}

// parseUlimit reads --ulimit NAME=SOFT[:HARD] (-1: unlimited), or host:
// none, the container keeps this process's limits.
func parseUlimit(v string) ([]specs.POSIXRlimit, error) {
	if v == "host" {
		return nil, nil
	}
	bad := errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--ulimit %q: want NAME=SOFT[:HARD] (names: %s), or host", v, strings.Join(slices.Sorted(maps.Keys(rlimits)), ", ")))
	name, limits, ok := strings.Cut(v, "=")
	typ := rlimits[name]
	if !ok || typ == "" {
		return nil, bad
	}
	soft, hard, hasHard := strings.Cut(limits, ":")
	parse := func(s string) (uint64, bool) {
		if s == "-1" || s == "unlimited" {
			return ^uint64(0), true
		}
		n, err := strconv.ParseUint(s, 10, 64)
		return n, err == nil
	}
	s, ok1 := parse(soft)
	h := s
	ok2 := true
	if hasHard {
		h, ok2 = parse(hard)
	}
	if !ok1 || !ok2 || s > h {
		return nil, bad
	}
	return []specs.POSIXRlimit{{Type: typ, Soft: s, Hard: h}}, nil
}

// parseDevice reads --device HOST[:CONTAINER][:PERMS]: a device node of
// the host, where it appears (the same path by default) and how it may
// be used (rwm by default).
func parseDevice(v string) (oci.Device, error) {
	bad := func(why string) (oci.Device, error) {
		return oci.Device{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--device %s: %s", v, why))
	}
	parts := strings.Split(v, ":")
	d := oci.Device{Host: parts[0], Perms: "rwm"}
	switch len(parts) {
	case 1:
	case 2:
		if strings.HasPrefix(parts[1], "/") {
			d.Container = parts[1]
		} else {
			d.Perms = parts[1]
		}
	case 3:
		d.Container, d.Perms = parts[1], parts[2]
	default:
		return bad("want HOST[:CONTAINER][:PERMS]")
	}
	d.Container = cmp.Or(d.Container, d.Host)
	if !strings.HasPrefix(d.Host, "/") || !strings.HasPrefix(d.Container, "/") {
		return bad("give absolute paths")
	}
	if d.Perms == "" || strings.Trim(d.Perms, "rwm") != "" {
		return bad("permissions are some of r, w and m")
	}
	if !oci.IsDevice(d.Host) {
		return bad("not a device node of the host")
	}
	return d, nil
}

// NamespaceOptions are --pid, --ipc, --uts and --cgroupns.
type NamespaceOptions struct {
	PID, IPC, UTS, Cgroup string
}

// parseNamespaces checks the namespace flags; container:NAME stays a
// name, which the store resolves.
func parseNamespaces(o NamespaceOptions) (record.Namespaces, error) {
	check := func(flag, v string, allowed ...string) error {
		if v == "" || v != "container:" && slices.Contains(allowed, v) {
			return nil
		}
		if name, ok := strings.CutPrefix(v, "container:"); ok && slices.Contains(allowed, "container:") && name != "" {
			return nil
		}
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s %q: use %s", flag, v, strings.Join(allowed, ", ")+map[bool]string{true: "NAME", false: ""}[slices.Contains(allowed, "container:")]))
	}
	if err := check("--pid", o.PID, "private", "host", "container:"); err != nil {
		return record.Namespaces{}, err
	}
	if err := check("--ipc", o.IPC, "private", "host", "none", "shareable", "container:"); err != nil {
		return record.Namespaces{}, err
	}
	if err := check("--uts", o.UTS, "private", "host", "container:"); err != nil {
		return record.Namespaces{}, err
	}
	if err := check("--cgroupns", o.Cgroup, "private", "host"); err != nil {
		return record.Namespaces{}, err
	}
	return record.Namespaces{PID: o.PID, IPC: o.IPC, UTS: o.UTS, Cgroup: o.Cgroup}, nil
}

// parseSecrets reads --secret NAME[,type=mount|env][,target=T][,uid=N]
// [,gid=N][,mode=OCTAL]: a file at /run/secrets/NAME (or target, under
// /run/secrets unless absolute) by default, or the environment variable
// target (NAME by default).
func parseSecrets(values []string) ([]record.SecretUse, error) {
	var out []record.SecretUse
	for _, v := range values {
		bad := func(why string) ([]record.SecretUse, error) {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--secret %s: %s", v, why))
		}
		parts := strings.Split(v, ",")
		u := record.SecretUse{Name: parts[0], Type: "mount", Mode: 0o444}
		if u.Name == "" {
			return bad("give a secret's name first")
		}
		for _, p := range parts[1:] {
			k, val, ok := strings.Cut(p, "=")
			if !ok {
				return bad(fmt.Sprintf("option %q: want KEY=VALUE", p))
			}
			switch k {
			case "type":
				if val != "mount" && val != "env" {
					return bad("type is mount or env")
				}
				u.Type = val
			case "target":
				u.Target = val
			case "uid", "gid", "mode":
				base := 10
				if k == "mode" {
					base = 8
				}
				n, err := strconv.ParseUint(val, base, 32)
				if err != nil || k == "mode" && n > 0o777 {
					return bad(fmt.Sprintf("%s %q is no number", k, val))
				}
				switch k {
				case "uid":
					u.UID = uint32(n)
				case "gid":
					u.GID = uint32(n)
				default:
					u.Mode = uint32(n)
				}
			default:
				return bad(fmt.Sprintf("option %q: use type, target, uid, gid or mode", k))
			}
		}
		u.Target = cmp.Or(u.Target, u.Name)
		if u.Type == "mount" {
			if !strings.HasPrefix(u.Target, "/") {
				u.Target = "/run/secrets/" + u.Target
			}
			u.Target = path.Clean(u.Target)
		}
		out = append(out, u)
	}
	return out, nil
}
