package oci

import (
	"os"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultPidsLimit is Podman's limit of a container's processes, where
// the pids controller can enforce it.
const DefaultPidsLimit = 2048

// WithResources puts the container in the cgroup at path with limits r
// (nil: none), and DefaultPidsLimit unless r says otherwise; the devices
// the cgroup allows are kept.
func WithResources(path string, r *specs.LinuxResources) SpecOpt {
	return func(s *specs.Spec) error {
		s.Linux.CgroupsPath = path
		res := resources(s)
		if r != nil {
			res.Memory, res.CPU, res.Pids, res.BlockIO = r.Memory, r.CPU, r.Pids, r.BlockIO
		}
		res.Memory = DefaultSwap(res.Memory)
		if res.Pids == nil && pidsController() {
			limit := int64(DefaultPidsLimit)
			res.Pids = &specs.LinuxPids{Limit: &limit}
		}
		if res.Pids != nil && *res.Pids.Limit <= 0 {
			res.Pids = nil // no limit
		}
		s.Linux.Resources = res
		return nil
	}
}

// DefaultSwap gives a memory limit without a swap limit as much swap as
// memory, as Podman and Docker do, where swap is accounted.
func DefaultSwap(m *specs.LinuxMemory) *specs.LinuxMemory {
	if m == nil || m.Limit == nil || m.Swap != nil || !swapAccounting() {
		return m
	}
	mem := *m
	swap := 2 * *m.Limit
	mem.Swap = &swap
	return &mem
}

// swapAccounting tells whether the memory controller limits swap: v1's
// memsw files, or v2's memory.swap.max.
func swapAccounting() bool {
	for _, f := range []string{"/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", "/sys/fs/cgroup/init.scope/memory.swap.max", "/sys/fs/cgroup/system.slice/memory.swap.max"} {
		if _, err := os.Stat(f); err == nil {
			return true
		}
	}
	return false
}

// pidsController tells whether the pids controller is there: cgroup v1's
// hierarchy, or v2's list.
func pidsController() bool {
	if _, err := os.Stat("/sys/fs/cgroup/pids"); err == nil {
		return true
	}
	data, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
	return err == nil && slices.Contains(strings.Fields(string(data)), "pids")
}

// OOMKilled tells whether the kernel killed a process of the cgroup at
// path for memory: cgroup v1's memory.oom_control or v2's memory.events
// counts it.
func OOMKilled(path string) bool {
	if path == "" {
		return false
	}
	for _, f := range []string{"/sys/fs/cgroup/memory" + path + "/memory.oom_control", "/sys/fs/cgroup" + path + "/memory.events"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			if n, ok := strings.CutPrefix(l, "oom_kill "); ok && strings.TrimSpace(n) != "0" {
				return true
			}
		}
	}
	return false
}
