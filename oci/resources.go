package oci

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
			res.Memory, res.CPU, res.Pids, res.BlockIO, res.Unified = r.Memory, r.CPU, r.Pids, r.BlockIO, r.Unified
			res.Devices = append(res.Devices, r.Devices...)
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
		return checkCgroups(path, res)
	}
}

// checkCgroups refuses, with the reason, limits this host's cgroup v1
// controllers cannot apply, which the runtime would fail on obscurely.
func checkCgroups(path string, r *specs.LinuxResources) error {
	if _, err := os.Stat("/sys/fs/cgroup/blkio"); err == nil && r.BlockIO != nil {
		has := func(files ...string) bool {
			return slices.ContainsFunc(files, func(f string) bool { _, err := os.Stat("/sys/fs/cgroup/blkio/" + f); return err == nil })
		}
		if r.BlockIO.Weight != nil && !has("blkio.weight", "blkio.bfq.weight") {
			return errors.New("--blkio-weight: this kernel's block I/O controller has no weights (no CFQ or BFQ scheduler)")
		}
		if len(r.BlockIO.WeightDevice) > 0 && !has("blkio.weight_device", "blkio.bfq.weight_device") {
			return errors.New("--blkio-weight-device: this kernel's block I/O controller has no weights (no CFQ or BFQ scheduler)")
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"); err == nil && r.CPU != nil && r.CPU.RealtimeRuntime != nil && *r.CPU.RealtimeRuntime > 0 {
		parent := filepath.Join("/sys/fs/cgroup/cpu", filepath.Dir(path), "cpu.rt_runtime_us")
		data, err := os.ReadFile(parent)
		if n, _ := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err != nil || n < *r.CPU.RealtimeRuntime {
			return fmt.Errorf("--cpu-rt-runtime: cgroup %s has less real-time budget than that: raise its cpu.rt_runtime_us first, or give a --cgroup-parent that has one", filepath.Dir(path))
		}
	}
	return nil
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

// OwnCgroup is the cgroup of the calling process: v2's, or on a v1 or
// hybrid host the memory controller's.
func OwnCgroup() (string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", fmt.Errorf("read own cgroup: %w", err)
	}
	v2 := ""
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) != 3 {
			continue
		}
		if slices.Contains(strings.Split(f[1], ","), "memory") {
			return f[2], nil
		}
		if f[0] == "0" && f[1] == "" {
			v2 = f[2]
		}
	}
	if v2 == "" {
		return "", errors.New("read own cgroup: /proc/self/cgroup names none")
	}
	return v2, nil
}
