package specgen

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
	"github.com/scow-project/scow/storage"
)

// PodNamespaces are the namespaces a pod's members may share, in the
// order pod inspect lists them.
var PodNamespaces = []string{"cgroup", "ipc", "net", "pid", "uts"}

// DefaultPodShare is what a pod's members share without --share, as
// Podman's.
var DefaultPodShare = []string{"ipc", "net", "uts"}

// ParseShare reads --share: a comma-separated list of PodNamespaces, or
// one starting with + that adds to the default; "none" (or "") is
// nothing. set tells whether --share was given.
func ParseShare(value string, set bool) ([]string, error) {
	if !set {
		return slices.Clone(DefaultPodShare), nil
	}
	var out []string
	rest, add := strings.CutPrefix(value, "+")
	if add {
		out = slices.Clone(DefaultPodShare)
	}
	if rest == "" || rest == "none" {
		if add {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--share %q: name namespaces to add after +", value))
		}
		return nil, nil
	}
	for _, ns := range strings.Split(rest, ",") {
		ns = strings.TrimSpace(ns)
		if !slices.Contains(PodNamespaces, ns) {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--share %q: %q is not a namespace a pod shares: use %s", value, ns, strings.Join(PodNamespaces, ", ")))
		}
		if !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	slices.Sort(out)
	return out, nil
}

// ParseExitPolicy reads --exit-policy: continue (the default) or stop.
func ParseExitPolicy(value string) (string, error) {
	switch value {
	case "", record.ExitPolicyContinue:
		return record.ExitPolicyContinue, nil
	case record.ExitPolicyStop:
		return value, nil
	}
	return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--exit-policy %q: use continue or stop", value))
}

// JoinPod makes s a member of pod p, whose infra container is infra (nil
// when it has none): s joins the namespaces the pod shares, takes its
// volumes and restart policy, and requires its infra container, which a
// start of s then starts first. What s cannot have of its own in the
// pod (ports, a network, names) is refused with where to give it. Call
// Check afterwards.
func (s *Spec) JoinPod(p *record.Pod, infra *record.Config) error {
	bad := func(format string, a ...any) error {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	s.Pod = p.ID
	if infra != nil {
		s.Requires = append(slices.Clone(s.Requires), infra.ID)
	}
	if !p.Shares("net") && s.Network.Kind == "" {
		mode, err := netns.ParseMode(DefaultNetwork())
		if err != nil {
			return err
		}
		s.Network = mode
	}
	if p.Shares("net") {
		own := []struct {
			flag string
			set  bool
		}{
			{"--network", s.Network.Kind != ""}, {"-p", len(s.Ports) > 0},
			{"--dns", len(s.DNS) > 0}, {"--dns-search", len(s.DNSSearch) > 0}, {"--dns-option", len(s.DNSOptions) > 0},
			{"--add-host", len(s.AddHosts) > 0}, {"--mac-address", s.MacAddress != ""}, {"--network-alias", len(s.NetworkAliases) > 0},
			{"--ip", s.IP != ""}, {"--ip6", s.IP6 != ""}, {"--no-hosts", s.NoHosts}, {"--hosts-file", s.HostsFile != ""}, {"--no-hostname", s.NoHostname},
		}
		for _, f := range own {
			if f.set {
				return bad("%s: the containers of pod %s share its network: give %s to pod create", f.flag, p.Name, f.flag)
			}
		}
		if s.PublishAll {
			return bad("-P: the containers of pod %s share its network, whose ports pod create -p publishes", p.Name)
		}
		s.Network = netns.Mode{Kind: netns.ModeContainer, Target: infra.ID}
	}
	for _, ns := range []struct {
		kind, flag, shown string
		value             *string
	}{{"ipc", "--ipc", "IPC", &s.Namespaces.IPC}, {"pid", "--pid", "PID", &s.Namespaces.PID}, {"uts", "--uts", "UTS", &s.Namespaces.UTS}, {"cgroup", "--cgroupns", "cgroup", &s.Namespaces.Cgroup}} {
		if !p.Shares(ns.kind) {
			continue
		}
		if *ns.value != "" {
			return bad("%s: the containers of pod %s share its %s namespace", ns.flag, p.Name, ns.shown)
		}
		*ns.value = "container:" + infra.ID
	}
	if infra != nil && len(infra.UIDMap) > 0 {
		// The infra container's own user namespace: the member joins it,
		// with its maps for its layer's files.
		if s.IDMapping.Auto || len(s.IDMapping.UIDMap)+len(s.IDMapping.GIDMap) > 0 || s.KeepIDUser != "" {
			return bad("--userns: the containers of pod %s share its user namespace: give --userns to pod create", p.Name)
		}
		s.Namespaces.User = "container:" + infra.ID
		s.IDMapping = storage.IDMapping{UIDMap: StorageIDMaps(infra.UIDMap), GIDMap: StorageIDMaps(infra.GIDMap)}
		if s.User == "" {
			s.User = p.KeepIDUser
		}
	}
	if p.Shares("cgroup") && !infra.Namespaces.OwnCgroup(oci.CgroupVersion()) {
		// The infra container has the host's: so has the member.
		s.Namespaces.Cgroup = "host"
	}
	if p.Shares("uts") {
		if s.Hostname != "" {
			return bad("--hostname: the containers of pod %s share its host name: give --hostname to pod create", p.Name)
		}
		if !p.Shares("net") {
			s.Hostname = p.Hostname
		}
	}
	// The pod's volumes, where the container mounts nothing of its own.
	mounts := slices.Clone(s.Mounts)
	for _, m := range p.Volumes {
		if !slices.ContainsFunc(s.Mounts, func(o record.Mount) bool { return path.Clean(o.Destination) == path.Clean(m.Destination) }) {
			mounts = append(mounts, m)
		}
	}
	s.Mounts = mounts
	s.VolumesFrom = append(slices.Clone(p.VolumesFrom), s.VolumesFrom...)
	if s.Restart.Name == "" && !s.Remove {
		s.Restart = p.RestartPolicy
	}
	return nil
}
