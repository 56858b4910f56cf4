package containers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
)

// hostsBase is what --hosts-file starts /etc/hosts with: nil for the
// default localhost lines, nothing for "none", the image's own for
// "image", else the file's.
func hostsBase(hostsFile, rootfs string) ([]byte, error) {
	switch hostsFile {
	case "":
		return nil, nil
	case "none":
		return []byte{}, nil
	case "image":
		p, err := securejoin.SecureJoin(rootfs, "/etc/hosts")
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			return []byte{}, nil
		}
		return data, err
	}
	data, err := os.ReadFile(hostsFile)
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--hosts-file: %w", err))
	}
	return data, nil
}

// exposedPorts are the image's EXPOSEd ports (-P) that no -p publishes,
// each on a free host port.
func exposedPorts(exposed map[string]struct{}, have []netns.PortMapping) []netns.PortMapping {
	var out []netns.PortMapping
	for _, spec := range slices.Sorted(maps.Keys(exposed)) {
		port, proto, _ := strings.Cut(spec, "/")
		if proto == "" {
			proto = "tcp"
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			continue
		}
		if slices.ContainsFunc(have, func(p netns.PortMapping) bool { return p.ContainerPort == uint16(n) && p.Protocol == proto }) {
			continue
		}
		out = append(out, netns.PortMapping{ContainerPort: uint16(n), Protocol: proto})
	}
	return out
}

// networkOptions are what sets up container cfg's network for a run on
// its rootfs, which its monitor does.
func (e *Service) networkOptions(ctx context.Context, cfg *record.Config, rootfs string) (netns.Options, error) {
	mode, err := netns.ParseMode(cfg.Network)
	if err != nil {
		return netns.Options{}, errdefs.WithClass(errdefs.ErrInvalid, err)
	}
	base, err := hostsBase(cfg.HostsFile, rootfs)
	if err != nil {
		return netns.Options{}, err
	}
	o := netns.Options{
		ID: cfg.ID, Mode: mode, Name: cfg.Name, Hostname: cfg.Hostname,
		Dir: e.Rec.Dir(cfg.ID), RunDir: e.NetnsDir(), Ports: cfg.Ports,
		DNS: cfg.DNS, DNSSearch: cfg.DNSSearch, DNSOptions: cfg.DNSOptions,
		AddHosts: cfg.AddHosts, NoHosts: cfg.NoHosts, NoHostname: cfg.NoHostname, MacAddress: cfg.MacAddress,
		Rootless: userns.Rootless(), OwnUserNS: len(cfg.UIDMap) > 0, HostsBase: base,
		SlirpPath: e.Opts.NetworkCmdPath,
	}
	switch mode.Kind {
	case netns.ModeContainer:
		owner, err := e.Rec.LoadConfig(mode.Target)
		if err != nil {
			return netns.Options{}, fmt.Errorf("--network container:%.12s: %w", mode.Target, err)
		}
		st, err := e.State(ctx, owner.ID)
		if err != nil || st.Status != record.StatusRunning {
			return netns.Options{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--network container:%s: that container is not running: start it first", owner.Name))
		}
		ownerMode, _ := netns.ParseMode(owner.Network)
		switch {
		case ownerMode.Kind == netns.ModeHost:
			o.Mode = netns.Mode{Kind: netns.ModeHost}
		case ownerMode.Private():
			o.JoinPath = netns.Path(e.NetnsDir(), owner.ID)
		default:
			return netns.Options{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--network container:%s: that container shares another's network; join that one", owner.Name))
		}
		o.JoinDir = e.Rec.Dir(owner.ID)
	case netns.ModeNS:
		o.JoinPath = mode.Target
	case netns.ModeBridge:
		if err := e.networks.Options(cfg, &o); err != nil {
			return netns.Options{}, err
		}
	}
	return o, nil
}

// FormatPorts renders published ports as ps's PORTS column does.
func FormatPorts(ports []netns.PortMapping) string { return netns.FormatPorts(ports) }

// Port lists a running container's published ports, all or those of
// one container port (PORT or PORT/PROTOCOL), as docker port does:
// "80/tcp -> 0.0.0.0:8080" for all, "0.0.0.0:8080" for one.
func (e *Service) Port(ctx context.Context, ref, which string) ([]string, error) {
	id, st, err := e.running(ctx, ref)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range netns.SortPorts(st.Ports) {
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		host := net.JoinHostPort(ip, strconv.Itoa(int(p.HostPort)))
		key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
		switch {
		case which == "":
			out = append(out, key+" -> "+host)
		case which == key || which == strconv.Itoa(int(p.ContainerPort)) && p.Protocol == "tcp":
			out = append(out, host)
		}
	}
	if which != "" && len(out) == 0 {
		return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("container %.12s does not publish port %s", id, which))
	}
	return out, nil
}
