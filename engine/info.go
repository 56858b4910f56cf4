package engine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
	"golang.org/x/sys/unix"
)

// Info describes the host and this user's setup in the shape and with
// the field names of Podman's info, so that templates such as
// {{.Host.OCIRuntime.Name}} or {{.Store.GraphDriverName}} work alike.
type Info struct {
	Host    HostInfo    `json:"host"`
	Store   StoreInfo   `json:"store"`
	Version VersionInfo `json:"version"`
}

// HostInfo is the host part of Info.
type HostInfo struct {
	Arch              string       `json:"arch"`
	CgroupManager     string       `json:"cgroupManager"`
	CgroupsVersion    string       `json:"cgroupVersion"`
	CgroupControllers []string     `json:"cgroupControllers"`
	CPUs              int          `json:"cpus"`
	Distribution      Distribution `json:"distribution"`
	EventLogger       string       `json:"eventLogger"`
	Hostname          string       `json:"hostname"`
	IDMappings        IDMappings   `json:"idMappings"`
	Kernel            string       `json:"kernel"`
	LogDriver         string       `json:"logDriver"`
	MemFree           int64        `json:"memFree"`
	MemTotal          int64        `json:"memTotal"`
	OCIRuntime        OCIRuntime   `json:"ociRuntime"`
	OS                string       `json:"os"`
	Security          Security     `json:"security"`
	// NetworkBackend is the default network mode; Slirp4NetNS and Pasta
	// the helpers found for it.
	NetworkBackend string     `json:"networkBackend"`
	Slirp4NetNS    HelperInfo `json:"slirp4netns"`
	Pasta          HelperInfo `json:"pasta"`
	SwapFree       int64      `json:"swapFree"`
	SwapTotal      int64      `json:"swapTotal"`
	Uptime         string     `json:"uptime"`
}

// Distribution is the host's, from /etc/os-release.
type Distribution struct {
	Distribution string `json:"distribution"`
	Version      string `json:"version"`
	Codename     string `json:"codename,omitempty"`
}

// IDMappings are the user namespace's maps.
type IDMappings struct {
	UIDMap []IDMapping `json:"uidmap"`
	GIDMap []IDMapping `json:"gidmap"`
}

// IDMapping is one line of a user namespace's ID map.
type IDMapping struct {
	ContainerID string `json:"container_id"`
	HostID      string `json:"host_id"`
	Size        string `json:"size"`
}

// OCIRuntime names the OCI runtime.
type OCIRuntime struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Version string `json:"version"`
}

// HelperInfo names a network helper.
type HelperInfo struct {
	Executable string `json:"executable"`
	Version    string `json:"version"`
}

// Security says how containers are confined.
type Security struct {
	Rootless        bool `json:"rootless"`
	SECCOMPEnabled  bool `json:"seccompEnabled"`
	AppArmorEnabled bool `json:"apparmorEnabled"`
	SELinuxEnabled  bool `json:"selinuxEnabled"`
}

// StoreInfo describes storage.
type StoreInfo struct {
	ConfigFile      string     `json:"configFile"`
	ContainerStore  CountStore `json:"containerStore"`
	GraphDriverName string     `json:"graphDriverName"`
	GraphRoot       string     `json:"graphRoot"`
	ImageStore      CountStore `json:"imageStore"`
	RunRoot         string     `json:"runRoot"`
	VolumePath      string     `json:"volumePath"`
}

// CountStore counts containers (by state) or images.
type CountStore struct {
	Number  int `json:"number"`
	Paused  int `json:"paused,omitempty"`
	Running int `json:"running,omitempty"`
	Stopped int `json:"stopped,omitempty"`
}

// VersionInfo is scow's version, as version --format sees it under
// .Client.
type VersionInfo struct {
	APIVersion string `json:"APIVersion"`
	Version    string `json:"Version"`
	GoVersion  string `json:"GoVersion"`
	Built      int64  `json:"Built"`
	BuiltTime  string `json:"BuiltTime"`
	OsArch     string `json:"OsArch"`
	Os         string `json:"Os"`
}

// NewVersionInfo describes this binary, of version v.
func NewVersionInfo(v string) VersionInfo {
	return VersionInfo{
		APIVersion: v, Version: v, GoVersion: runtime.Version(), BuiltTime: time.Unix(0, 0).UTC().Format(time.ANSIC),
		OsArch: runtime.GOOS + "/" + runtime.GOARCH, Os: runtime.GOOS,
	}
}

// Info gathers host, runtime and storage facts; version is scow's.
func (e *Engine) Info(ctx context.Context, version string) (*Info, error) {
	b := e.b
	if err := b.Open(); err != nil {
		return nil, err
	}
	var uts unix.Utsname
	unix.Uname(&uts)
	var si unix.Sysinfo_t
	unix.Sysinfo(&si)
	unit := int64(si.Unit)
	host, _ := os.Hostname()
	cg := "v1"
	if oci.CgroupVersion() == 2 {
		cg = "v2"
	}
	up := time.Duration(si.Uptime) * time.Second
	info := &Info{
		Host: HostInfo{
			Arch: runtime.GOARCH, CgroupManager: "cgroupfs", CgroupsVersion: cg, CgroupControllers: cgroupControllers(),
			CPUs: runtime.NumCPU(), Distribution: distribution(), EventLogger: "file", Hostname: host,
			IDMappings: IDMappings{UIDMap: readIDMap("/proc/self/uid_map"), GIDMap: readIDMap("/proc/self/gid_map")},
			Kernel:     unix.ByteSliceToString(uts.Release[:]), LogDriver: "k8s-file",
			MemFree: int64(si.Freeram) * unit, MemTotal: int64(si.Totalram) * unit,
			SwapFree: int64(si.Freeswap) * unit, SwapTotal: int64(si.Totalswap) * unit,
			Uptime: fmt.Sprintf("%dh %dm %.2fs", int(up.Hours()), int(up.Minutes())%60, float64(int(up.Seconds())%60)),
			OS:     runtime.GOOS,
			// Every container gets the default seccomp profile.
			Security: Security{Rootless: userns.Rootless(), SECCOMPEnabled: true},
		},
		Store: StoreInfo{
			GraphDriverName: b.Store.Driver(), GraphRoot: b.Store.GraphRoot(),
			RunRoot: b.Store.RunRoot(), ConfigFile: b.Opts.ConfigFile, VolumePath: b.VolumesDir(),
		},
		Version: NewVersionInfo(version),
	}
	if rt, err := b.Runtime(); err == nil {
		info.Host.OCIRuntime = OCIRuntime{Name: rt.Name(), Path: rt.Path}
		info.Host.OCIRuntime.Version, _ = rt.Version(ctx)
	}
	def, _ := netns.ParseMode(specgen.DefaultNetwork())
	info.Host.NetworkBackend = def.Kind
	for _, h := range []struct {
		name string
		into *HelperInfo
	}{{netns.ModeSlirp, &info.Host.Slirp4NetNS}, {netns.ModePasta, &info.Host.Pasta}} {
		path, version := netns.Helper(ctx, h.name)
		*h.into = HelperInfo{Executable: path, Version: version}
	}
	imgs, err := b.Store.Images()
	if err != nil {
		return nil, err
	}
	info.Store.ImageStore.Number = len(imgs)
	ctrs, err := e.containers.List(ctx, containers.ListOptions{All: true})
	if err != nil {
		return nil, err
	}
	for _, c := range ctrs {
		info.Store.ContainerStore.Number++
		if c.State.Status == record.StatusRunning {
			info.Store.ContainerStore.Running++
		} else {
			info.Store.ContainerStore.Stopped++
		}
	}
	return info, nil
}

// distribution reads /etc/os-release.
func distribution() Distribution {
	var d Distribution
	data, _ := os.ReadFile("/etc/os-release")
	for _, l := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(l, "=")
		v = strings.Trim(v, `"`)
		switch k {
		case "ID":
			d.Distribution = v
		case "VERSION_ID":
			d.Version = v
		case "VERSION_CODENAME":
			d.Codename = v
		}
	}
	return d
}

// cgroupControllers are the controllers this user may use: those a
// cgroup v2 hierarchy delegates, or with cgroup v1 root's (an
// unprivileged user gets none without delegation).
func cgroupControllers() []string {
	if oci.CgroupVersion() == 2 {
		data, _ := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		return strings.Fields(string(data))
	}
	if userns.Rootless() {
		return []string{}
	}
	var out []string
	data, _ := os.ReadFile("/proc/cgroups")
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) == 4 && f[3] == "1" && !strings.HasPrefix(f[0], "#") {
			out = append(out, f[0])
		}
	}
	return out
}

func readIDMap(path string) []IDMapping {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []IDMapping
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if f := strings.Fields(l); len(f) == 3 {
			out = append(out, IDMapping{ContainerID: f[0], HostID: f[1], Size: f[2]})
		}
	}
	return out
}
