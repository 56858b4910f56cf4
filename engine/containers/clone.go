package containers

import (
	"strings"

	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/netns"
)

// CloneSpec is the create request of a copy of container cfg: what it
// was made with, less what its pod gave it (which the copy's pod gives
// again: infra is the pod's infra container's ID) and its own anonymous
// volumes (the copy gets new ones).
func CloneSpec(cfg *record.Config, infra string) *specgen.Spec {
	s := &specgen.Spec{
		Image: cfg.Image, Pull: "missing", Entrypoint: cfg.Entrypoint, SetEntrypoint: true, Cmd: cfg.Cmd,
		Env: cfg.Env, UnsetEnv: cfg.UnsetEnv, UnsetEnvAll: cfg.UnsetEnvAll, WorkingDir: cfg.WorkingDir, User: cfg.User,
		Interactive: cfg.Interactive, Tty: cfg.Tty, Init: cfg.Init,
		Security: cfg.Security, Secrets: cfg.Secrets, Resources: cfg.Resources, CgroupParent: cfg.CgroupParent, Cgroups: cfg.Cgroups,
		ChrootDirs: cfg.ChrootDirs, NoPasswd: cfg.NoPasswd, PasswdEntry: cfg.PasswdEntry, GroupEntry: cfg.GroupEntry, HostUsers: cfg.HostUsers,
		ReadOnly: cfg.ReadOnly, ReadOnlyTmpfs: cfg.ReadOnlyTmpfs, Rootfs: cfg.Rootfs, RootfsOverlay: cfg.RootfsOverlay,
		Labels: cfg.Labels, Annotations: cfg.Annotations, Remove: cfg.Remove, Restart: cfg.RestartPolicy,
		LogDriver: cfg.LogDriver, LogMaxSize: cfg.LogMaxSize, LogMaxFiles: cfg.LogMaxFiles, Attach: cfg.Attach,
		Umask: cfg.Umask, TZ: cfg.TZ, Timeout: cfg.Timeout, StopSignal: cfg.StopSignal, SdNotify: cfg.SdNotify,
		Health: specgen.HealthOptionsOf(cfg.Healthcheck), InitContainer: cfg.InitContainer, ImageVolume: "ignore",
		// Its systemd mounts and stop signal, if any, are in the record
		// already.
		Systemd: "false",
	}
	stop := cfg.StopTimeout
	s.StopTimeout = &stop
	if cfg.Rootfs != "" {
		s.Image = ""
	}
	if mode, err := netns.ParseMode(cfg.Network); err == nil && (cfg.Pod == "" || mode.Kind != netns.ModeContainer) {
		s.Network, s.Ports = mode, cfg.Ports
		s.DNS, s.DNSSearch, s.DNSOptions, s.AddHosts, s.NoHosts, s.HostsFile = cfg.DNS, cfg.DNSSearch, cfg.DNSOptions, cfg.AddHosts, cfg.NoHosts, cfg.HostsFile
		s.NoHostname = cfg.NoHostname
		if len(cfg.Networks) > 0 {
			s.NetworkAliases = cfg.Networks[0].Aliases // not its address: the copy gets one
		}
		// A name of its own, not the one made of its ID or its pod's.
		if cfg.Hostname != cfg.ID[:12] && !strings.HasPrefix(cfg.Namespaces.UTS, "container:") {
			s.Hostname = cfg.Hostname
		}
	}
	// What its pod's infra container gave it, the copy's pod gives.
	ns := cfg.Namespaces
	for _, p := range []*string{&ns.PID, &ns.IPC, &ns.UTS, &ns.Cgroup, &ns.User} {
		if strings.HasPrefix(*p, "container:") && cfg.Pod != "" || *p == "host" && p == &ns.Cgroup && cfg.Pod != "" {
			*p = ""
		}
	}
	s.Namespaces = ns
	if ns.User == "" && cfg.Namespaces.User == "" && len(cfg.UIDMap) > 0 {
		s.IDMapping.UIDMap, s.IDMapping.GIDMap = specgen.StorageIDMaps(cfg.UIDMap), specgen.StorageIDMaps(cfg.GIDMap)
	}
	for _, dep := range cfg.Requires {
		if dep != infra {
			s.Requires = append(s.Requires, dep)
		}
	}
	for _, m := range cfg.Volumes {
		if m.Anonymous {
			m.Source = "" // a new one of its own
		}
		s.Mounts = append(s.Mounts, m)
	}
	return s
}
