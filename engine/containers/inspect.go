package containers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
)

// ContainerInspect is `inspect` output, with Docker's field names.
type ContainerInspect struct {
	ID           string       `json:"Id"`
	Created      time.Time    `json:"Created"`
	Path         string       `json:"Path"`
	Args         []string     `json:"Args"`
	State        InspectState `json:"State"`
	Image        string       `json:"Image"`
	ImageName    string       `json:"ImageName"`
	Rootfs       string       `json:"Rootfs,omitempty"`
	Name         string       `json:"Name"`
	Pod          string       `json:"Pod"`
	IsInfra      bool         `json:"IsInfra"`
	Dependencies []string     `json:"Dependencies"`
	RestartCount int          `json:"RestartCount"`
	LogPath      string       `json:"LogPath"`
	// OCIRuntime is the runtime it runs, or last ran, under: the
	// default's for one that never ran.
	OCIRuntime      string            `json:"OCIRuntime"`
	Mounts          []InspectMount    `json:"Mounts"`
	Config          InspectConfig     `json:"Config"`
	HostConfig      InspectHostConfig `json:"HostConfig"`
	NetworkSettings map[string]any    `json:"NetworkSettings"`
	SizeRw          *int64            `json:"SizeRw,omitempty"`
	// EffectiveCaps and BoundingCaps are the capabilities the process
	// gets, as Podman shows them.
	EffectiveCaps []string `json:"EffectiveCaps"`
	BoundingCaps  []string `json:"BoundingCaps"`
}

// InspectState is the State object of inspect.
type InspectState struct {
	Status     string `json:"Status"`
	Running    bool   `json:"Running"`
	Paused     bool   `json:"Paused"`
	Restarting bool   `json:"Restarting"`
	OOMKilled  bool   `json:"OOMKilled"`
	Dead       bool   `json:"Dead"`
	Pid        int    `json:"Pid"`
	// ConmonPid is its monitor's PID, as Podman names conmon's.
	ConmonPid  int       `json:"ConmonPid"`
	ExitCode   int       `json:"ExitCode"`
	Error      string    `json:"Error"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
	// Health is there for a container with a healthcheck.
	Health *InspectHealth `json:"Health,omitempty"`
}

// InspectHealth is State.Health of inspect, Docker's shape.
type InspectHealth struct {
	Status        string             `json:"Status"`
	FailingStreak int                `json:"FailingStreak"`
	Log           []record.HealthLog `json:"Log"`
}

// InspectHealthcheck is Config.Healthcheck of inspect, Docker's shape:
// durations in nanoseconds.
type InspectHealthcheck struct {
	Test        []string      `json:"Test"`
	Interval    time.Duration `json:"Interval"`
	Timeout     time.Duration `json:"Timeout"`
	StartPeriod time.Duration `json:"StartPeriod"`
	Retries     int           `json:"Retries"`
}

// inspectHealth is State.Health: a container with a check has one,
// starting until a check ran.
func (e *Service) inspectHealth(cfg *record.Config) *InspectHealth {
	if cfg.Healthcheck == nil {
		return nil
	}
	out := &InspectHealth{Status: record.HealthStarting, Log: []record.HealthLog{}}
	if h, err := e.Rec.LoadHealth(cfg.ID); err == nil && h != nil {
		out.Status, out.FailingStreak, out.Log = h.Status, h.FailingStreak, h.Log
	}
	return out
}

// inspectHealthcheck is Config.Healthcheck of a check, nil for none.
func inspectHealthcheck(h *record.Healthcheck) *InspectHealthcheck {
	if h == nil {
		return nil
	}
	return &InspectHealthcheck{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
}

// onFailure is a check's --health-on-failure, "" without a check.
func onFailure(h *record.Healthcheck) string {
	if h == nil {
		return ""
	}
	return h.OnFailure
}

// InspectMount is one bind mount.
type InspectMount struct {
	Type        string `json:"Type"`
	Name        string `json:"Name,omitempty"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
}

// InspectPort is one host side of a published port.
type InspectPort struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// PortMap renders mappings as Docker's "80/tcp": [{HostIp, HostPort}].
func PortMap(ports []netns.PortMapping) map[string][]InspectPort {
	out := map[string][]InspectPort{}
	for _, p := range ports {
		key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
		hp := ""
		if p.HostPort != 0 {
			hp = strconv.Itoa(int(p.HostPort))
		}
		if p.HostPortEnd != 0 {
			hp += "-" + strconv.Itoa(int(p.HostPortEnd))
		}
		out[key] = append(out[key], InspectPort{HostIP: p.HostIP, HostPort: hp})
	}
	return out
}

// networkSettings is inspect's NetworkSettings: published ports, and
// the address and gateway while the container runs; on named networks,
// what it has on each, as Docker shows it.
func (e *Service) networkSettings(cfg *record.Config, st *record.State) map[string]any {
	out := map[string]any{"Ports": PortMap(st.Ports), "IPAddress": "", "Gateway": "", "MacAddress": cfg.MacAddress,
		"GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPv6Gateway": ""}
	mode, err := netns.ParseMode(cfg.Network)
	if err != nil {
		return out
	}
	if mode.Kind != netns.ModeBridge {
		if st.Status == record.StatusRunning {
			out["IPAddress"], out["Gateway"] = netns.Addresses(mode)
		}
		return out
	}
	var live map[string]netns.Endpoint
	if st.Status == record.StatusRunning {
		live = e.Bridges().Endpoints(cfg.ID)
	}
	nets := map[string]any{}
	for i, a := range cfg.Networks {
		ep := live[a.Network]
		id := ""
		if c, err := e.networks.Inspect(a.Network); err == nil {
			id = c.ID
		}
		aliases := a.Aliases
		if aliases == nil {
			aliases = []string{}
		}
		nets[a.Network] = map[string]any{
			"NetworkID": id, "Aliases": aliases, "IPAddress": ep.IP, "IPPrefixLen": ep.PrefixLen,
			"Gateway": ep.Gateway, "MacAddress": ep.MAC,
			"GlobalIPv6Address": ep.IP6, "GlobalIPv6PrefixLen": ep.PrefixLen6, "IPv6Gateway": ep.Gateway6,
		}
		if i == 0 {
			out["IPAddress"], out["Gateway"], out["IPPrefixLen"], out["MacAddress"] = ep.IP, ep.Gateway, ep.PrefixLen, ep.MAC
			out["GlobalIPv6Address"], out["GlobalIPv6PrefixLen"], out["IPv6Gateway"] = ep.IP6, ep.PrefixLen6, ep.Gateway6
		}
	}
	out["Networks"] = nets
	return out
}

// InspectConfig is the Config object of inspect.
type InspectConfig struct {
	Hostname    string              `json:"Hostname"`
	User        string              `json:"User"`
	Env         []string            `json:"Env"`
	Cmd         []string            `json:"Cmd"`
	Entrypoint  []string            `json:"Entrypoint"`
	Image       string              `json:"Image"`
	WorkingDir  string              `json:"WorkingDir"`
	Labels      map[string]string   `json:"Labels"`
	Annotations map[string]string   `json:"Annotations,omitempty"`
	StopSignal  string              `json:"StopSignal"`
	StopTimeout int                 `json:"StopTimeout"`
	OpenStdin   bool                `json:"OpenStdin"`
	Tty         bool                `json:"Tty"`
	Healthcheck *InspectHealthcheck `json:"Healthcheck,omitempty"`
	// HealthcheckOnFailureAction is --health-on-failure.
	HealthcheckOnFailureAction string `json:"HealthcheckOnFailureAction,omitempty"`
}

// InspectHostConfig is the HostConfig object of inspect.
type InspectHostConfig struct {
	Binds          []string                 `json:"Binds"`
	NetworkMode    string                   `json:"NetworkMode"`
	AutoRemove     bool                     `json:"AutoRemove"`
	RestartPolicy  map[string]any           `json:"RestartPolicy"`
	LogConfig      map[string]any           `json:"LogConfig"`
	Runtime        string                   `json:"Runtime"`
	PortBindings   map[string][]InspectPort `json:"PortBindings"`
	Init           bool                     `json:"Init"`
	ReadonlyRootfs bool                     `json:"ReadonlyRootfs"`
	Tmpfs          map[string]string        `json:"Tmpfs"`
	CapAdd         []string                 `json:"CapAdd"`
	CapDrop        []string                 `json:"CapDrop"`
	SecurityOpt    []string                 `json:"SecurityOpt"`
	Privileged     bool                     `json:"Privileged"`
	Sysctls        map[string]string        `json:"Sysctls,omitempty"`
	Ulimits        []map[string]any         `json:"Ulimits"`
	ShmSize        int64                    `json:"ShmSize"`
	OomScoreAdj    int                      `json:"OomScoreAdj"`
	// The limits, 0 where none is set.
	Memory       int64  `json:"Memory"`
	MemorySwap   int64  `json:"MemorySwap"`
	CpuShares    uint64 `json:"CpuShares"`
	CpuPeriod    uint64 `json:"CpuPeriod"`
	CpuQuota     int64  `json:"CpuQuota"`
	PidsLimit    int64  `json:"PidsLimit"`
	CgroupParent string `json:"CgroupParent"`
	// The namespaces, in Podman's words: private, host, container:ID,
	// and for IPC shareable or none; Cgroups is default, disabled or
	// split.
	IpcMode    string `json:"IpcMode"`
	PidMode    string `json:"PidMode"`
	UTSMode    string `json:"UTSMode"`
	CgroupMode string `json:"CgroupMode"`
	Cgroups    string `json:"Cgroups"`
}

// securityOpts are the --security-opt values sec stands for.
func securityOpts(sec oci.Security) []string {
	out := []string{}
	if sec.NoNewPrivileges {
		out = append(out, "no-new-privileges")
	}
	switch {
	case sec.Seccomp == "unconfined":
		out = append(out, "seccomp=unconfined")
	case sec.SeccompPath != "":
		out = append(out, "seccomp="+sec.SeccompPath)
	}
	if len(sec.Mask) > 0 {
		out = append(out, "mask="+strings.Join(sec.Mask, ":"))
	}
	if len(sec.Unmask) > 0 {
		out = append(out, "unmask="+strings.Join(sec.Unmask, ":"))
	}
	if len(sec.ProcOpts) > 0 {
		out = append(out, "proc-opts="+strings.Join(sec.ProcOpts, ","))
	}
	return out
}

// ulimits are sec's rlimits as Docker's inspect shows them.
func ulimits(sec oci.Security) []map[string]any {
	out := []map[string]any{}
	for _, l := range sec.Ulimits {
		out = append(out, map[string]any{"Name": l.Type, "Soft": l.Soft, "Hard": l.Hard})
	}
	return out
}

// Inspect returns the inspect record of container ref; with
// size, it includes the writable layer's size.
func (e *Service) Inspect(ctx context.Context, ref string, size bool) (*ContainerInspect, error) {
	ctr, err := e.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	data := e.inspectData(ctr)
	if size {
		n, err := e.Size(ctr.Config.ID)
		if err != nil {
			return nil, err
		}
		data.SizeRw = &n
	}
	return data, nil
}

// runtimeName names the OCI runtime of container id in state st, "" when
// none is found.
func (e *Service) runtimeName(id string, st *record.State) string {
	if rt, err := e.RuntimeOf(id, st); err == nil {
		return rt.Name()
	}
	return ""
}

// inspectData shapes a container's record as Docker's inspect does.
func (e *Service) inspectData(c *Container) *ContainerInspect {
	cfg, st := c.Config, c.State
	cmd := cfg.Command()
	out := &ContainerInspect{
		OCIRuntime: e.runtimeName(cfg.ID, st),
		ID:         cfg.ID, Created: cfg.Created, Image: cfg.ImageID, ImageName: cfg.Image, Rootfs: cfg.Rootfs,
		Name: cfg.Name, Pod: cfg.Pod, IsInfra: cfg.Infra, Dependencies: append([]string{}, cfg.Requires...), RestartCount: st.RestartCount, LogPath: e.Rec.LogPath(cfg.ID),
		Mounts: []InspectMount{}, NetworkSettings: e.networkSettings(cfg, st),
		EffectiveCaps: cfg.Security.Caps(), BoundingCaps: cfg.Security.Caps(),
		State: InspectState{
			Status: st.Shown(), Running: st.Shown() == record.StatusRunning, Paused: st.Shown() == record.StatusPaused, Restarting: st.Status == record.StatusRestarting,
			OOMKilled: st.OOMKilled, Pid: st.Pid, ConmonPid: st.MonitorPid, ExitCode: st.ExitCode, Error: st.Error,
			StartedAt: st.StartedAt, FinishedAt: st.FinishedAt, Health: e.inspectHealth(cfg),
		},
		Config: InspectConfig{
			Hostname: cfg.Hostname, User: cfg.User, Env: cfg.Env, Cmd: cfg.Cmd, Entrypoint: cfg.Entrypoint,
			Image: cfg.Image, WorkingDir: cfg.WorkingDir, Labels: cfg.Labels, Annotations: cfg.Annotations, StopSignal: cfg.StopSignal,
			StopTimeout: cfg.StopTimeout, OpenStdin: cfg.Interactive, Tty: cfg.Tty, Healthcheck: inspectHealthcheck(cfg.Healthcheck), HealthcheckOnFailureAction: onFailure(cfg.Healthcheck),
		},
		HostConfig: InspectHostConfig{
			Binds: []string{}, NetworkMode: cfg.Network, AutoRemove: cfg.Remove,
			RestartPolicy: map[string]any{"Name": cfg.RestartPolicy.Name, "MaximumRetryCount": cfg.RestartPolicy.MaxRetries},
			LogConfig:     map[string]any{"Type": cmp.Or(cfg.LogDriver, "k8s-file"), "Path": e.Rec.LogPath(cfg.ID), "Size": cfg.LogMaxSize, "MaxFile": cfg.LogMaxFiles},
			Runtime:       e.Opts.Runtime, PortBindings: PortMap(cfg.Ports), Init: cfg.Init != "",
			ReadonlyRootfs: cfg.ReadOnly, Tmpfs: map[string]string{},
			CapAdd: append([]string{}, cfg.Security.CapAdd...), CapDrop: append([]string{}, cfg.Security.CapDrop...),
			SecurityOpt: securityOpts(cfg.Security), Privileged: cfg.Security.Privileged, Sysctls: cfg.Security.Sysctls,
			Ulimits: ulimits(cfg.Security), ShmSize: cmp.Or(cfg.Security.ShmSize, int64(backend.DefaultShmSize)),
			CgroupParent: cfg.CgroupParent, OomScoreAdj: deref(cfg.Security.OOMScoreAdj),
			IpcMode: cmp.Or(cfg.Namespaces.IPC, "shareable"), PidMode: cmp.Or(cfg.Namespaces.PID, "private"),
			UTSMode: cmp.Or(cfg.Namespaces.UTS, "private"), CgroupMode: cmp.Or(cfg.Namespaces.Cgroup, map[bool]string{true: "private", false: "host"}[oci.CgroupVersion() == 2]),
			Cgroups: cmp.Or(cfg.Cgroups, "default"),
		},
	}
	if len(cmd) > 0 {
		out.Path, out.Args = cmd[0], cmd[1:]
	}
	if out.Config.Labels == nil {
		out.Config.Labels = map[string]string{}
	}
	if out.HostConfig.NetworkMode == "" {
		out.HostConfig.NetworkMode = "none"
	}
	for _, m := range cfg.Volumes {
		im := InspectMountOf(m)
		mode := im.Mode
		switch m.Kind() {
		case record.MountVolume:
			im.Name = m.Source
			if _, vm, err := e.volumes.Lookup(m.Source); err == nil {
				im.Source = vm.Source
			}
		case record.MountTmpfs:
			im.Source, im.Propagation = "tmpfs", ""
			out.HostConfig.Tmpfs[m.Destination] = strings.Join(m.Options, ",")
			continue
		}
		out.Mounts = append(out.Mounts, im)
		out.HostConfig.Binds = append(out.HostConfig.Binds, m.Source+":"+m.Destination+":"+mode)
	}
	setLimits(&out.HostConfig, cfg.Resources)
	return out
}

// InspectMountOf is how inspect shows mount m, before a volume's name
// is resolved to its directory.
func InspectMountOf(m record.Mount) InspectMount {
	mode := "rw"
	if m.ReadOnly {
		mode = "ro"
	}
	im := InspectMount{Type: m.Kind(), Source: m.Source, Destination: m.Destination, Mode: mode, RW: !m.ReadOnly, Propagation: "rprivate"}
	for _, o := range m.Options {
		if slices.Contains(oci.Propagations, o) {
			im.Propagation = o
		}
	}
	if m.Kind() == record.MountVolume {
		im.Name = m.Source
	}
	return im
}

// Size returns the bytes a container's writable layer holds: for a
// --rootfs container, what its overlay holds (without one, it writes
// into the directory itself, which is not the container's to count).
func (e *Service) Size(id string) (int64, error) {
	if cfg, err := e.Rec.LoadConfig(id); err == nil && cfg.Rootfs != "" {
		return e.RootfsOverlaySize(cfg), nil
	}
	if err := e.Open(); err != nil {
		return 0, err
	}
	return e.Store.ContainerSize(id)
}

// setLimits fills the limits of h from r.
func setLimits(h *InspectHostConfig, r *specs.LinuxResources) {
	if r == nil {
		return
	}
	if m := r.Memory; m != nil {
		h.Memory, h.MemorySwap = deref(m.Limit), deref(m.Swap)
	}
	if c := r.CPU; c != nil {
		h.CpuShares, h.CpuPeriod, h.CpuQuota = deref(c.Shares), deref(c.Period), deref(c.Quota)
	}
	if r.Pids != nil {
		h.PidsLimit = deref(r.Pids.Limit)
	}
}

// deref is what p points to, the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
