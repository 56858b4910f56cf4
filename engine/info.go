package engine

import (
	"context"
	"os"
	"runtime"
	"strings"

	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
	"golang.org/x/sys/unix"
)

// Info describes the host and this user's setup, shaped like Podman's.
type Info struct {
	Host  HostInfo  `json:"host"`
	Store StoreInfo `json:"store"`
}

// HostInfo is the host part of Info.
type HostInfo struct {
	Hostname      string      `json:"hostname"`
	Kernel        string      `json:"kernel"`
	OS            string      `json:"os"`
	Arch          string      `json:"arch"`
	CgroupVersion string      `json:"cgroupVersion"`
	Rootless      bool        `json:"rootless"`
	UIDMap        []IDMapping `json:"uidmap"`
	GIDMap        []IDMapping `json:"gidmap"`
	OCIRuntime    RuntimeInfo `json:"ociRuntime"`
	// NetworkBackend is the default network mode; Slirp4netns and Pasta
	// the helpers found for it.
	NetworkBackend string      `json:"networkBackend"`
	Slirp4netns    RuntimeInfo `json:"slirp4netns"`
	Pasta          RuntimeInfo `json:"pasta"`
}

// IDMapping is one line of a user namespace's ID map.
type IDMapping struct {
	ContainerID string `json:"container_id"`
	HostID      string `json:"host_id"`
	Size        string `json:"size"`
}

// RuntimeInfo names the OCI runtime.
type RuntimeInfo struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Version string `json:"version"`
}

// StoreInfo describes storage.
type StoreInfo struct {
	GraphDriverName string `json:"graphDriverName"`
	GraphRoot       string `json:"graphRoot"`
	RunRoot         string `json:"runRoot"`
	ConfigFile      string `json:"configFile"`
	ImageCount      int    `json:"imageCount"`
}

// Info gathers host, runtime and storage facts.
func (e *Engine) Info(ctx context.Context) (*Info, error) {
	b := e.b
	if err := b.Open(); err != nil {
		return nil, err
	}
	var uts unix.Utsname
	unix.Uname(&uts)
	host, _ := os.Hostname()
	cg := "v1"
	if oci.CgroupVersion() == 2 {
		cg = "v2"
	}
	info := &Info{
		Host: HostInfo{
			Hostname: host, Kernel: unix.ByteSliceToString(uts.Release[:]),
			OS: runtime.GOOS, Arch: runtime.GOARCH, CgroupVersion: cg,
			Rootless: userns.Rootless(),
			UIDMap:   readIDMap("/proc/self/uid_map"), GIDMap: readIDMap("/proc/self/gid_map"),
		},
		Store: StoreInfo{
			GraphDriverName: b.Store.Driver(), GraphRoot: b.Store.GraphRoot(),
			RunRoot: b.Store.RunRoot(), ConfigFile: b.Opts.ConfigFile,
		},
	}
	if rt, err := b.Runtime(); err == nil {
		info.Host.OCIRuntime = RuntimeInfo{Name: rt.Name(), Path: rt.Path}
		info.Host.OCIRuntime.Version, _ = rt.Version(ctx)
	}
	def, _ := netns.ParseMode(specgen.DefaultNetwork())
	info.Host.NetworkBackend = def.Kind
	for _, h := range []struct {
		name string
		into *RuntimeInfo
	}{{netns.ModeSlirp, &info.Host.Slirp4netns}, {netns.ModePasta, &info.Host.Pasta}} {
		path, version := netns.Helper(ctx, h.name)
		*h.into = RuntimeInfo{Name: h.name, Path: path, Version: version}
	}
	imgs, err := b.Store.Images()
	if err != nil {
		return nil, err
	}
	info.Store.ImageCount = len(imgs)
	return info, nil
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
