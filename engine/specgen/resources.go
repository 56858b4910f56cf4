package specgen

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/oci"
	"github.com/sirupsen/logrus"
)

// ResourceOptions are the flags of run, create and update that limit
// what a container may use.
type ResourceOptions struct {
	Memory, MemorySwap, MemoryReservation string
	MemorySwappiness                      *int64
	OOMKillDisable                        bool
	CPUs                                  float64
	CPUShares                             uint64
	CPUPeriod                             uint64
	CPUQuota                              int64
	CpusetCPUs, CpusetMems                string
	// PidsLimit is --pids-limit, nil when not given.
	PidsLimit   *int64
	BlkioWeight uint16
	// BlkioWeightDevice are DEVICE:WEIGHT values; CPURtPeriod and
	// CPURtRuntime the real-time scheduler's period and runtime (µs);
	// DeviceCgroupRules are rules of the devices cgroup ("c 1:3 mr").
	BlkioWeightDevice []string
	CPURtPeriod       uint64
	CPURtRuntime      int64
	DeviceCgroupRules []string
	// DeviceReadBps and the like are DEVICE:RATE values.
	DeviceReadBps, DeviceWriteBps, DeviceReadIOps, DeviceWriteIOps []string
	// CgroupConf are --cgroup-conf KEY=VALUE values: cgroup v2 files.
	CgroupConf []string
}

// ParseResources turns the limit flags into the runtime's resources;
// nil when none is given.
func ParseResources(o ResourceOptions) (*specs.LinuxResources, error) {
	r, err := parseResources(o)
	if err != nil || r == nil {
		return nil, err
	}
	return r, checkMemory(r.Memory)
}

// UpdateResources lays the limit flags o over a container's limits old,
// as update does: what o sets replaces old's, the rest stays. It
// returns nil with no flag given.
func UpdateResources(old *specs.LinuxResources, o ResourceOptions) (*specs.LinuxResources, error) {
	r, err := parseResources(o)
	if err != nil || r == nil {
		return nil, err
	}
	merged := mergeResources(old, r)
	return merged, checkMemory(merged.Memory)
}

// checkMemory checks the memory limits together: swap counts memory
// and swap, so it needs a memory limit and is at least as much.
func checkMemory(mem *specs.LinuxMemory) error {
	bad := func(format string, a ...any) error {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	switch {
	case mem == nil:
	case mem.Swap != nil && mem.Limit == nil:
		return bad("--memory-swap needs --memory: it limits memory and swap together")
	case mem.Swap != nil && *mem.Swap != -1 && *mem.Swap < *mem.Limit:
		return bad("--memory-swap %s is less than --memory %s: it counts memory and swap together", units.BytesSize(float64(*mem.Swap)), units.BytesSize(float64(*mem.Limit)))
	case mem.Limit != nil && *mem.Limit < 6<<20:
		return bad("--memory %s: a container needs 6 MiB at least", units.BytesSize(float64(*mem.Limit)))
	}
	return nil
}

func parseResources(o ResourceOptions) (*specs.LinuxResources, error) {
	bad := func(format string, a ...any) (*specs.LinuxResources, error) {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	r := &specs.LinuxResources{}
	mem := &specs.LinuxMemory{}
	size := func(flag, v string, allowUnlimited bool) (*int64, error) {
		if v == "" {
			return nil, nil
		}
		if allowUnlimited && v == "-1" {
			n := int64(-1)
			return &n, nil
		}
		n, err := units.RAMInBytes(v)
		if err != nil || n <= 0 {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s %q: want a size such as 512m", flag, v))
		}
		return &n, nil
	}
	var err error
	if mem.Limit, err = size("--memory", o.Memory, false); err != nil {
		return nil, err
	}
	if mem.Swap, err = size("--memory-swap", o.MemorySwap, true); err != nil {
		return nil, err
	}
	if mem.Reservation, err = size("--memory-reservation", o.MemoryReservation, false); err != nil {
		return nil, err
	}
	if s := o.MemorySwappiness; s != nil {
		if *s < 0 || *s > 100 {
			return bad("--memory-swappiness %d: want 0 to 100", *s)
		}
		v := uint64(*s)
		mem.Swappiness = &v
	}
	if o.OOMKillDisable {
		t := true
		mem.DisableOOMKiller = &t
	}
	if *mem != (specs.LinuxMemory{}) {
		r.Memory = mem
	}
	cpu := &specs.LinuxCPU{Cpus: o.CpusetCPUs, Mems: o.CpusetMems}
	if o.CPUs != 0 {
		if o.CPUPeriod != 0 || o.CPUQuota != 0 {
			return bad("--cpus and --cpu-period/--cpu-quota conflict: give one")
		}
		if o.CPUs < 0 || o.CPUs > 1024 {
			return bad("--cpus %g: want a number of CPUs such as 0.5", o.CPUs)
		}
		period, quota := uint64(100000), int64(math.Round(o.CPUs*100000))
		cpu.Period, cpu.Quota = &period, &quota
	}
	if o.CPUPeriod != 0 {
		if o.CPUPeriod < 1000 || o.CPUPeriod > 1000000 {
			return bad("--cpu-period %d: want 1000 to 1000000 microseconds", o.CPUPeriod)
		}
		cpu.Period = &o.CPUPeriod
	}
	if o.CPUQuota != 0 {
		if o.CPUQuota < 1000 && o.CPUQuota != -1 {
			return bad("--cpu-quota %d: want 1000 microseconds at least, or -1", o.CPUQuota)
		}
		cpu.Quota = &o.CPUQuota
	}
	if o.CPUShares != 0 {
		if o.CPUShares < 2 || o.CPUShares > 262144 {
			return bad("--cpu-shares %d: want 2 to 262144", o.CPUShares)
		}
		cpu.Shares = &o.CPUShares
	}
	for flag, set := range map[string]string{"--cpuset-cpus": o.CpusetCPUs, "--cpuset-mems": o.CpusetMems} {
		if set != "" && strings.Trim(set, "0123456789,-") != "" {
			return bad("%s %q: want a list such as 0-2,4", flag, set)
		}
	}
	if o.CPURtPeriod != 0 {
		cpu.RealtimePeriod = &o.CPURtPeriod
	}
	if o.CPURtRuntime != 0 {
		cpu.RealtimeRuntime = &o.CPURtRuntime
	}
	if cpu.Period != nil || cpu.Quota != nil || cpu.Shares != nil || cpu.Cpus != "" || cpu.Mems != "" || cpu.RealtimePeriod != nil || cpu.RealtimeRuntime != nil {
		r.CPU = cpu
	}
	if o.PidsLimit != nil {
		// 0 and -1 mean no limit, as Podman's.
		limit := *o.PidsLimit
		if limit <= 0 {
			limit = -1
		}
		r.Pids = &specs.LinuxPids{Limit: &limit}
	}
	io := &specs.LinuxBlockIO{}
	if o.BlkioWeight != 0 {
		if o.BlkioWeight < 10 || o.BlkioWeight > 1000 {
			return bad("--blkio-weight %d: want 10 to 1000", o.BlkioWeight)
		}
		io.Weight = &o.BlkioWeight
	}
	for _, v := range o.BlkioWeightDevice {
		dev, w, ok := strings.Cut(v, ":")
		n, err := strconv.ParseUint(w, 10, 16)
		if !ok || err != nil || n < 10 || n > 1000 {
			return bad("--blkio-weight-device %q: want DEVICE:WEIGHT, a weight of 10 to 1000", v)
		}
		major, minor, err := oci.DeviceNumbers(dev)
		if err != nil {
			return bad("--blkio-weight-device %s: %v", dev, err)
		}
		weight := uint16(n)
		d := specs.LinuxWeightDevice{Weight: &weight}
		d.Major, d.Minor = major, minor
		io.WeightDevice = append(io.WeightDevice, d)
	}
	for _, rule := range o.DeviceCgroupRules {
		d, err := parseDeviceRule(rule)
		if err != nil {
			return nil, err
		}
		r.Devices = append(r.Devices, d)
	}
	for _, t := range []struct {
		flag   string
		values []string
		dst    *[]specs.LinuxThrottleDevice
		bytes  bool
	}{
		{"--device-read-bps", o.DeviceReadBps, &io.ThrottleReadBpsDevice, true},
		{"--device-write-bps", o.DeviceWriteBps, &io.ThrottleWriteBpsDevice, true},
		{"--device-read-iops", o.DeviceReadIOps, &io.ThrottleReadIOPSDevice, false},
		{"--device-write-iops", o.DeviceWriteIOps, &io.ThrottleWriteIOPSDevice, false},
	} {
		for _, v := range t.values {
			d, err := throttle(t.flag, v, t.bytes)
			if err != nil {
				return nil, err
			}
			*t.dst = append(*t.dst, d)
		}
	}
	if io.Weight != nil || len(io.WeightDevice) > 0 || len(io.ThrottleReadBpsDevice)+len(io.ThrottleWriteBpsDevice)+len(io.ThrottleReadIOPSDevice)+len(io.ThrottleWriteIOPSDevice) > 0 {
		r.BlockIO = io
	}
	for _, kv := range o.CgroupConf {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.ContainsAny(k, "/ ") || !strings.Contains(k, ".") || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") {
			return bad("--cgroup-conf %q: want KEY=VALUE, KEY a file of a cgroup such as memory.high", kv)
		}
		if r.Unified == nil {
			r.Unified = map[string]string{}
		}
		r.Unified[k] = v
	}
	if r.Memory == nil && r.CPU == nil && r.Pids == nil && r.BlockIO == nil && r.Devices == nil && r.Unified == nil {
		return nil, nil
	}
	return r, nil
}

// throttle reads DEVICE:RATE of --device-read-bps and the like: a rate
// in bytes (with a unit) or operations per second.
func throttle(flag, v string, bytes bool) (specs.LinuxThrottleDevice, error) {
	bad := errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s %q: want DEVICE:RATE, such as /dev/sda:10mb", flag, v))
	dev, rate, ok := strings.Cut(v, ":")
	if !ok || !strings.HasPrefix(dev, "/dev/") {
		return specs.LinuxThrottleDevice{}, bad
	}
	var n uint64
	if bytes {
		b, err := units.RAMInBytes(rate)
		if err != nil || b <= 0 {
			return specs.LinuxThrottleDevice{}, bad
		}
		n = uint64(b)
	} else {
		var err error
		if n, err = strconv.ParseUint(rate, 10, 64); err != nil || n == 0 {
			return specs.LinuxThrottleDevice{}, bad
		}
	}
	major, minor, err := oci.DeviceNumbers(dev)
	if err != nil {
		return specs.LinuxThrottleDevice{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s %s: %w", flag, dev, err))
	}
	d := specs.LinuxThrottleDevice{Rate: n}
	d.Major, d.Minor = major, minor
	return d, nil
}

// mergeResources lays the limits of update over old: what update sets
// replaces old's, the rest stays.
func mergeResources(old, update *specs.LinuxResources) *specs.LinuxResources {
	if old == nil {
		return update
	}
	if update == nil {
		return old
	}
	out := *old
	if m := update.Memory; m != nil {
		mem := specs.LinuxMemory{}
		if out.Memory != nil {
			mem = *out.Memory
		}
		for _, f := range []struct{ dst, src **int64 }{{&mem.Limit, &m.Limit}, {&mem.Swap, &m.Swap}, {&mem.Reservation, &m.Reservation}} {
			if *f.src != nil {
				*f.dst = *f.src
			}
		}
		if m.Swappiness != nil {
			mem.Swappiness = m.Swappiness
		}
		if m.DisableOOMKiller != nil {
			mem.DisableOOMKiller = m.DisableOOMKiller
		}
		out.Memory = &mem
	}
	if c := update.CPU; c != nil {
		cpu := specs.LinuxCPU{}
		if out.CPU != nil {
			cpu = *out.CPU
		}
		if c.Period != nil {
			cpu.Period = c.Period
		}
		if c.Quota != nil {
			cpu.Quota = c.Quota
		}
		if c.Shares != nil {
			cpu.Shares = c.Shares
		}
		if c.RealtimePeriod != nil {
			cpu.RealtimePeriod = c.RealtimePeriod
		}
		if c.RealtimeRuntime != nil {
			cpu.RealtimeRuntime = c.RealtimeRuntime
		}
		cpu.Cpus, cpu.Mems = cmp.Or(c.Cpus, cpu.Cpus), cmp.Or(c.Mems, cpu.Mems)
		out.CPU = &cpu
	}
	if update.Pids != nil {
		out.Pids = update.Pids
	}
	if b := update.BlockIO; b != nil {
		io := specs.LinuxBlockIO{}
		if out.BlockIO != nil {
			io = *out.BlockIO
		}
		if b.Weight != nil {
			io.Weight = b.Weight
		}
		// A device's setting given again replaces the one before.
		io.WeightDevice = mergeDevices(io.WeightDevice, b.WeightDevice, func(d specs.LinuxWeightDevice) [2]int64 { return [2]int64{d.Major, d.Minor} })
		for _, t := range []struct{ dst, src *[]specs.LinuxThrottleDevice }{
			{&io.ThrottleReadBpsDevice, &b.ThrottleReadBpsDevice}, {&io.ThrottleWriteBpsDevice, &b.ThrottleWriteBpsDevice},
			{&io.ThrottleReadIOPSDevice, &b.ThrottleReadIOPSDevice}, {&io.ThrottleWriteIOPSDevice, &b.ThrottleWriteIOPSDevice},
		} {
			*t.dst = mergeDevices(*t.dst, *t.src, func(d specs.LinuxThrottleDevice) [2]int64 { return [2]int64{d.Major, d.Minor} })
		}
		out.BlockIO = &io
	}
	out.Devices = append(slices.Clone(out.Devices), update.Devices...)
	return &out
}

// parseDeviceRule reads --device-cgroup-rule "TYPE MAJOR:MINOR ACCESS":
// TYPE a, b or c, numbers or *, ACCESS some of rwm.
func parseDeviceRule(rule string) (specs.LinuxDeviceCgroup, error) {
	bad := errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--device-cgroup-rule %q: want TYPE MAJOR:MINOR ACCESS, such as 'c 1:3 mr'", rule))
	f := strings.Fields(rule)
	if len(f) != 3 || (f[0] != "a" && f[0] != "b" && f[0] != "c") || f[2] == "" || strings.Trim(f[2], "rwm") != "" {
		return specs.LinuxDeviceCgroup{}, bad
	}
	maj, mnr, ok := strings.Cut(f[1], ":")
	if !ok {
		return specs.LinuxDeviceCgroup{}, bad
	}
	num := func(s string) (*int64, bool) {
		if s == "*" {
			return nil, true
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return &n, err == nil && n >= 0
	}
	major, ok1 := num(maj)
	minor, ok2 := num(mnr)
	if !ok1 || !ok2 {
		return specs.LinuxDeviceCgroup{}, bad
	}
	return specs.LinuxDeviceCgroup{Allow: true, Type: f[0], Major: major, Minor: minor, Access: f[2]}, nil
}

// mergeDevices is old with news laid over it, by device.
func mergeDevices[T any](old, news []T, key func(T) [2]int64) []T {
	out := slices.Clone(old)
	for _, n := range news {
		if i := slices.IndexFunc(out, func(o T) bool { return key(o) == key(n) }); i >= 0 {
			out[i] = n
		} else {
			out = append(out, n)
		}
	}
	return out
}

// The --cgroups modes a Spec records: enabled and no-conmon are the
// default, since scow's monitor never has a cgroup of its own.
const (
	CgroupsDisabled = "disabled"
	CgroupsSplit    = "split"
)

// parseCgroups checks --cgroups against the cgroup flags s has already.
func parseCgroups(mode string, s *Spec) (string, error) {
	bad := func(format string, a ...any) (string, error) {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	switch mode {
	case "", "enabled", "no-conmon":
		return "", nil
	case CgroupsDisabled:
		if s.CgroupParent != "" || s.Namespaces.Cgroup == "private" || s.Resources != nil {
			return bad("--cgroups disabled: the container has no cgroup, so --cgroup-parent, --cgroupns private and limits cannot apply")
		}
		return mode, nil
	case CgroupsSplit:
		if s.CgroupParent != "" {
			return bad("--cgroups split puts the container's cgroup under the caller's: it cannot have a --cgroup-parent")
		}
		return mode, nil
	}
	return bad("--cgroups %q: want enabled, disabled, no-conmon or split", mode)
}

// checkCgroups fits the cgroup settings to the host: the cgroup of the
// caller for split, and, as Podman does, a warning and no limits where
// a rootless user has no cgroup of its own.
func (s *Spec) checkCgroups() error {
	if s.Resources != nil && len(s.Resources.Unified) > 0 && oci.CgroupVersion() != 2 {
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("--cgroup-conf writes files of a cgroup v2 and this host's controllers are cgroup v1: use the limit flags (--memory, --cpus, ...)"))
	}
	if userns.Rootless() {
		if s.Resources != nil {
			logrus.Warnf("Resource limits need a cgroup the user may write, which scow does not have for rootless containers (cgroup v%d here, nothing delegated to it): the %s limits are dropped; run as root to have them", oci.CgroupVersion(), strings.Join(limitKinds(s.Resources), ", "))
			s.Resources = nil
		}
		return nil
	}
	switch s.Cgroups {
	case CgroupsDisabled:
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("--cgroups disabled: the runtime puts a root container in a cgroup of its own; only rootless containers can go without"))
	case CgroupsSplit:
		own, err := oci.OwnCgroup()
		if err != nil {
			return fmt.Errorf("--cgroups split: %w", err)
		}
		s.CgroupParent = own
	}
	return nil
}

// limitKinds names the controllers r asks limits of.
func limitKinds(r *specs.LinuxResources) []string {
	var out []string
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"memory", r.Memory != nil}, {"cpu", r.CPU != nil}, {"pids", r.Pids != nil}, {"block I/O", r.BlockIO != nil},
		{"devices", r.Devices != nil}, {"--cgroup-conf", r.Unified != nil},
	} {
		if k.set {
			out = append(out, k.name)
		}
	}
	return out
}
