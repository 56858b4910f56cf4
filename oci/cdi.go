package oci

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"tags.cncf.io/container-device-interface/pkg/cdi"
	"tags.cncf.io/container-device-interface/pkg/parser"
	cdispecs "tags.cncf.io/container-device-interface/specs-go"
)

// DefaultCDISpecDirs are where CDI specs are found without
// --cdi-spec-dir: /etc/cdi and /var/run/cdi.
var DefaultCDISpecDirs = cdi.DefaultSpecDirs

// IsCDIDevice tells whether a --device value names a CDI device,
// vendor.com/class=name, rather than a host path.
func IsCDIDevice(v string) bool { return parser.IsQualifiedName(v) }

// cdiCache reads the CDI specs of dirs (the defaults when none), once:
// a run reads them and exits, so nothing watches them.
func cdiCache(dirs []string) *cdi.Cache {
	cache, _ := cdi.NewCache(cdi.WithSpecDirs(dirs...), cdi.WithAutoRefresh(false))
	return cache
}

// CheckCDIDevices tells which of names no CDI spec in dirs defines, with
// the errors of the spec files read, if any.
func CheckCDIDevices(dirs, names []string) error {
	if len(names) == 0 {
		return nil
	}
	cache := cdiCache(dirs)
	for _, n := range names {
		if cache.GetDevice(n) != nil {
			continue
		}
		where := strings.Join(cache.GetSpecDirectories(), ", ")
		var bad []string
		for path, errs := range cache.GetErrors() {
			for _, err := range errs {
				bad = append(bad, fmt.Sprintf("%s: %v", path, err))
			}
		}
		if len(bad) > 0 {
			slices.Sort(bad)
			return fmt.Errorf("CDI device %s: no spec in %s defines it (and %s)", n, where, strings.Join(bad, "; "))
		}
		return fmt.Errorf("CDI device %s: no spec in %s defines it: the device's vendor tool writes one (nvidia-ctk cdi generate for NVIDIA GPUs)", n, where)
	}
	return nil
}

// WithCDIDevices applies the edits of the CDI devices names from the
// specs in dirs: device nodes, mounts, environment, hooks. Rootless, where
// no node can be made, a device's host node is bound instead, as
// WithDevices does.
func WithCDIDevices(dirs, names []string, rootless bool) SpecOpt {
	return func(s *specs.Spec) error {
		if len(names) == 0 {
			return nil
		}
		cache := cdiCache(dirs)
		rules := 0
		if s.Linux.Resources != nil {
			rules = len(s.Linux.Resources.Devices)
		}
		if _, err := cache.InjectDevices(s, names...); err != nil {
			return fmt.Errorf("CDI devices %s: %w", strings.Join(names, ", "), err)
		}
		if !rootless {
			return nil
		}
		// The CDI devices' nodes, by their path in the container.
		nodes := map[string]Device{}
		for _, n := range names {
			d := cache.GetDevice(n)
			for _, edits := range []cdispecs.ContainerEdits{d.GetSpec().ContainerEdits, d.ContainerEdits} {
				for _, node := range edits.DeviceNodes {
					dev := Device{Host: node.Path, Container: node.Path, Perms: cmp.Or(node.Permissions, "rwm")}
					if node.HostPath != "" {
						dev.Host = node.HostPath
					}
					nodes[node.Path] = dev
				}
			}
		}
		s.Linux.Devices = slices.DeleteFunc(s.Linux.Devices, func(d specs.LinuxDevice) bool { _, ok := nodes[d.Path]; return ok })
		if s.Linux.Resources != nil {
			s.Linux.Resources.Devices = s.Linux.Resources.Devices[:min(rules, len(s.Linux.Resources.Devices))]
		}
		devs := slices.SortedFunc(maps.Values(nodes), func(a, b Device) int { return strings.Compare(a.Container, b.Container) })
		return WithDevices(devs, false, true)(s)
	}
}
