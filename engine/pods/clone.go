package pods

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/storage"
)

// CloneOptions are the flags of pod clone: what the copy changes.
type CloneOptions struct {
	// Name is the copy's name ("": the pod's, -clone).
	Name string
	// Hostname, InfraName and Restart, when set, replace the pod's;
	// Labels are added to its.
	Hostname, InfraName, Restart string
	Labels                       []string
	// Destroy removes the pod once it is copied; Start starts the copy.
	Destroy, Start bool
	// CreateCommand is the command line that made the copy.
	CreateCommand []string
}

// Clone makes a copy of pod ref and of its containers, and returns the
// copy's ID. The copy's containers are named as theirs, the pod's name
// in them replaced by the copy's, or with -clone.
func (e *Service) Clone(ctx context.Context, ref string, o CloneOptions) (string, error) {
	p, err := e.Get(ctx, ref)
	if err != nil {
		return "", err
	}
	co, err := e.cloneOptions(p, o)
	if err != nil {
		return "", err
	}
	id, err := e.Create(ctx, co)
	if err != nil {
		return "", err
	}
	undo := func() { e.Remove(context.WithoutCancel(ctx), id, true, nil) }
	// The pod's own files (kube play's volumes) are the copy's too.
	oldFiles, newFiles := filepath.Join(e.Rec.PodDir(p.ID), "files"), filepath.Join(e.Rec.PodDir(id), "files")
	if _, err := os.Stat(oldFiles); err == nil {
		if err := storage.CopyTree(oldFiles, newFiles); err != nil {
			undo()
			return "", fmt.Errorf("copy the files of pod %s: %w", p.Name, err)
		}
	}
	restart, err := specgen.ParseRestartPolicy(o.Restart)
	if err != nil {
		undo()
		return "", err
	}
	copies := map[string]string{} // a member's ID to its copy's
	for _, c := range p.Containers {
		if c.Config.Infra {
			continue
		}
		s := containers.CloneSpec(c.Config, p.InfraID())
		s.Pod = id
		if s.Name, err = e.freeContainerName(c.Config.Name, p.Name, co.Name); err != nil {
			undo()
			return "", err
		}
		for i, m := range s.Mounts {
			if rest, ok := strings.CutPrefix(m.Source, oldFiles); ok {
				s.Mounts[i].Source = newFiles + rest
			}
		}
		// Its siblings it requires are their copies, made before it.
		var requires []string
		for _, r := range s.Requires {
			if cp, ok := copies[r]; ok {
				requires = append(requires, cp)
			} else if !slices.ContainsFunc(p.Containers, func(x containers.Container) bool { return x.Config.ID == r }) {
				requires = append(requires, r)
			}
		}
		s.Requires = requires
		// The pod's restart policy is the copy's to give.
		if s.Restart == p.RestartPolicy {
			s.Restart = record.RestartPolicy{}
		}
		if o.Restart != "" && !s.Remove {
			s.Restart = restart
		}
		cid, err := e.containers.CreateSpec(ctx, s, nil)
		if err != nil {
			undo()
			return "", fmt.Errorf("clone container %s: %w", c.Config.Name, err)
		}
		copies[c.Config.ID] = cid
	}
	if o.Destroy {
		if _, err := e.Remove(ctx, p.ID, true, nil); err != nil {
			return id, fmt.Errorf("--destroy: %w", err)
		}
	}
	if o.Start {
		return e.Start(ctx, id)
	}
	return id, nil
}

// freeContainerName is the name of the copy of a container called name
// of pod oldPod in pod newPod: the pod's name in it replaced, or with
// -clone, and a number where that is taken.
func (e *Service) freeContainerName(name, oldPod, newPod string) (string, error) {
	base := name + "-clone"
	if rest, ok := strings.CutPrefix(name, oldPod+"-"); ok {
		base = newPod + "-" + rest
	}
	out := base
	for n := 2; ; n++ {
		if _, err := e.containers.Lookup(out); errors.Is(err, errdefs.ErrNotFound) {
			return out, nil
		} else if err != nil {
			return "", err
		}
		out = fmt.Sprintf("%s%d", base, n)
	}
}

// cloneOptions are the create options of a copy of pod p: its own, and
// its infra container's.
func (e *Service) cloneOptions(p *Pod, o CloneOptions) (CreateOptions, error) {
	co := CreateOptions{
		Name: o.Name, Hostname: o.Hostname, Share: strings.Join(p.Share, ","), ShareSet: true, NoInfra: !p.Infra,
		ExitPolicy: p.ExitPolicy, Restart: o.Restart, InfraName: o.InfraName, VolumesFrom: p.VolumesFrom, Mounts: p.Volumes,
		CreateCommand: o.CreateCommand,
	}
	if co.Name == "" {
		all, err := e.Rec.Pods()
		if err != nil {
			return co, err
		}
		co.Name = p.Name + "-clone"
		for n := 1; slices.ContainsFunc(all, func(q *record.Pod) bool { return q.Name == co.Name }); n++ {
			co.Name = fmt.Sprintf("%s-clone%d", p.Name, n)
		}
	}
	if co.Hostname == "" && p.Hostname != podHostname(p.Name) {
		co.Hostname = p.Hostname
	}
	if co.Restart == "" && p.RestartPolicy.Name != "" {
		co.Restart = p.RestartPolicy.Name
		if p.RestartPolicy.MaxRetries > 0 {
			co.Restart += fmt.Sprintf(":%d", p.RestartPolicy.MaxRetries)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
		co.Labels = append(co.Labels, k+"="+p.Labels[k])
	}
	co.Labels = append(co.Labels, o.Labels...)
	if p.InfraID() == "" {
		return co, nil
	}
	cfg := p.Containers[0].Config
	in := specgen.RunOptions{
		Network: cfg.Network, DNS: cfg.DNS, DNSSearch: cfg.DNSSearch, DNSOptions: cfg.DNSOptions, AddHosts: cfg.AddHosts,
		NoHosts: cfg.NoHosts, HostsFile: cfg.HostsFile, NoHostname: cfg.NoHostname,
	}
	if len(cfg.Networks) > 0 {
		in.Network, in.NetworkAliases = cfg.Networks[0].Network, cfg.Networks[0].Aliases
	}
	if cfg.Security.ShmSize > 0 {
		in.Security.ShmSize = fmt.Sprint(cfg.Security.ShmSize)
	}
	co.KeepIDUser = p.KeepIDUser
	for _, pm := range cfg.Ports {
		in.Publish = append(in.Publish, publishFlag(pm))
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.Security.Sysctls)) {
		in.Security.Sysctl = append(in.Security.Sysctl, k+"="+cfg.Security.Sysctls[k])
	}
	for _, m := range cfg.UIDMap {
		in.UIDMap = append(in.UIDMap, fmt.Sprintf("%d:%d:%d", m.ContainerID, m.HostID, m.Size))
	}
	for _, m := range cfg.GIDMap {
		in.GIDMap = append(in.GIDMap, fmt.Sprintf("%d:%d:%d", m.ContainerID, m.HostID, m.Size))
	}
	co.Infra, co.InfraCommand = in, cfg.Cmd
	if cfg.Rootfs == "" {
		co.InfraImage = cfg.Image
	}
	return co, nil
}

// publishFlag is a published port as -p takes it.
func publishFlag(p netns.PortMapping) string {
	host := ""
	if p.HostPort != 0 {
		host = fmt.Sprint(p.HostPort)
		if p.HostPortEnd != 0 {
			host += fmt.Sprintf("-%d", p.HostPortEnd)
		}
	}
	out := fmt.Sprintf("%s:%d/%s", host, p.ContainerPort, p.Protocol)
	switch {
	case strings.Contains(p.HostIP, ":"):
		out = "[" + p.HostIP + "]:" + out // IPv6
	case p.HostIP != "":
		out = p.HostIP + ":" + out
	}
	return out
}
