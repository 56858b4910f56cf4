package networks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	stdnet "net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/netns"
)

// NetConfig is a named network as network inspect shows it.
type NetConfig = netns.NetConfig

// Attachment is a container's place on a named network: its aliases and
// the addresses it asks for.
type Attachment = netns.Attachment

// Lock takes the networks' lock: creating, removing or attaching
// containers to named networks happen under it.
func (e *Service) Lock() (func(), error) {
	if err := os.MkdirAll(e.NetworksDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", e.NetworksDir(), err)
	}
	return record.Lock(e.NetworksDir())
}

// networkRecords reads every network, the built-in default first.
func (e *Service) networkRecords() ([]*NetConfig, error) {
	out := []*NetConfig{netns.Default()}
	entries, err := os.ReadDir(e.NetworksDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	for _, ent := range entries {
		name, ok := strings.CutSuffix(ent.Name(), ".json")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		var c NetConfig
		if err := record.ReadJSON(filepath.Join(e.NetworksDir(), ent.Name()), &c); err != nil {
			return nil, fmt.Errorf("network %s: %w", name, err)
		}
		out = append(out, &c)
	}
	return out, nil
}

// Inspect finds a network by name, by ID or by a unique prefix of one.
func (e *Service) Inspect(ref string) (*NetConfig, error) {
	switch {
	case ref == "bridge" || ref == netns.DefaultNetwork:
		return netns.Default(), nil
	case netns.ValidNetworkName(ref) == nil:
		// By name, the common case: one record, not all of them.
		var c NetConfig
		err := record.ReadJSON(filepath.Join(e.NetworksDir(), ref+".json"), &c)
		if err == nil {
			return &c, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("network %s: %w", ref, err)
		}
	}
	all, err := e.networkRecords()
	if err != nil {
		return nil, err
	}
	var found []*NetConfig
	for _, c := range all {
		if c.Name == ref || c.ID == ref {
			return c, nil
		}
		if len(ref) >= 3 && strings.HasPrefix(c.ID, ref) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("network %s: %w: create it with scow network create, or see scow network ls", ref, netns.ErrNetworkUnknown))
	}
	return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("network ID %s is ambiguous: give more of it", ref))
}

// NetworkCreateOptions are the flags of network create.
type NetworkCreateOptions struct {
	// Driver is "bridge", the only one, or "" for it. Subnets,
	// Gateways and IPRanges go together in order; IPv6 adds an IPv6
	// subnet when none is given; Routes are DESTINATION,GATEWAY[,METRIC].
	Name, Driver                string
	Subnets, Gateways, IPRanges []string
	IPv6                        bool
	Routes                      []string
	Internal                    bool
	// Labels are --label KEY=VALUE; Ignore returns an existing network
	// of the name unchanged.
	Labels []string
	Ignore bool
	// InterfaceName names the bridge; DNS are the containers' default
	// servers; Opts are --opt KEY=VALUE (com.docker.network.bridge.name);
	// IPAMDriver is host-local, the only one.
	InterfaceName string
	DNS           []string
	Opts          []string
	IPAMDriver    string
}

// Create records a new bridge network.
func (e *Service) Create(o NetworkCreateOptions) (*NetConfig, error) {
	if o.Driver != "" && o.Driver != "bridge" {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("network driver %q: scow has the bridge driver only", o.Driver))
	}
	labels, err := specgen.ParseLabels(o.Labels)
	if err != nil {
		return nil, err
	}
	if o.IPAMDriver != "" && o.IPAMDriver != "host-local" {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--ipam-driver %q: scow assigns addresses itself (host-local)", o.IPAMDriver))
	}
	opts, err := specgen.ParseKeyValues("--opt", o.Opts)
	if err != nil {
		return nil, err
	}
	for k, v := range opts {
		switch k {
		case "com.docker.network.bridge.name":
			if o.InterfaceName != "" && o.InterfaceName != v {
				return nil, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--interface-name and --opt com.docker.network.bridge.name differ"))
			}
			o.InterfaceName = v
		default:
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--opt %s: scow's bridge driver takes com.docker.network.bridge.name only", k))
		}
	}
	unlock, err := e.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	all, err := e.networkRecords()
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		if c.Name == o.Name {
			if o.Ignore {
				return c, nil
			}
			return nil, errdefs.WithClass(errdefs.ErrExists, fmt.Errorf("network %s: %w: choose another name, or remove it first", o.Name, netns.ErrNetworkExists))
		}
	}
	id := make([]byte, 32)
	rand.Read(id)
	c, err := netns.NewNetConfig(netns.CreateOptions{Name: o.Name, Subnets: o.Subnets, Gateways: o.Gateways, IPRanges: o.IPRanges,
		IPv6: o.IPv6, Routes: o.Routes, Internal: o.Internal, Labels: labels, InterfaceName: o.InterfaceName, DNS: o.DNS},
		hex.EncodeToString(id), all, netns.HostRanges())
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
	}
	if err := record.WriteJSON(filepath.Join(e.NetworksDir(), c.Name+".json"), c, true); err != nil {
		return nil, err
	}
	e.Rec.ObjectEvent("network", c.ID, c.Name, "create")
	return c, nil
}

// List returns the networks that match every filter: name=, id=,
// driver=, label=KEY[=VALUE], dangling=true|false, until=TIME.
func (e *Service) List(filters []string) ([]*NetConfig, error) {
	all, err := e.networkRecords()
	if err != nil {
		return nil, err
	}
	var preds []func(*NetConfig) (bool, error)
	now := time.Now()
	for _, f := range filters {
		k, v, _ := strings.Cut(f, "=")
		p, ok, err := specgen.UsageFilter("network", k, v, now, e.networkUsers)
		switch {
		case err != nil:
			return nil, err
		case ok:
			preds = append(preds, func(c *NetConfig) (bool, error) { return p(c.Name, c.Created), nil })
		default:
			preds = append(preds, func(c *NetConfig) (bool, error) { return c.Match(k, v) })
		}
	}
	var out []*NetConfig
	for _, c := range all {
		ok := true
		for _, p := range preds {
			match, err := p(c)
			if err != nil {
				return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
			}
			ok = ok && match
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// networkUsers maps network names to the containers configured with
// them, running or not.
func (e *Service) networkUsers() (map[string][]string, error) {
	return e.Rec.Users("networks", func(cfg *record.Config) (keys []string) {
		for _, a := range cfg.Networks {
			keys = append(keys, a.Network)
		}
		return keys
	})
}

// Remove removes a network no container uses; with force, the
// containers that use it go first (stopped within timeout seconds when
// given, else killed), as with Podman. It returns the network's name.
func (e *Service) Remove(ctx context.Context, ref string, force bool, timeout *int) (string, error) {
	c, err := e.Inspect(ref)
	if err != nil {
		return "", err
	}
	if c.Name == netns.DefaultNetwork {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("network %s is the default network: it cannot be removed", c.Name))
	}
	return c.Name, e.RemoveUnused(ctx, "network", c.Name, force, timeout, e.Lock, e.networkUsers, func() error {
		return e.removeNetwork(c)
	})
}

// removeNetwork takes down a network no container uses, bridge and
// record; the caller holds the networks' lock.
func (e *Service) removeNetwork(c *NetConfig) error {
	if err := e.Bridges().Remove(c); err != nil {
		return fmt.Errorf("remove network %s: %w", c.Name, err)
	}
	e.Rec.ObjectEvent("network", c.ID, c.Name, "remove")
	if err := os.Remove(filepath.Join(e.NetworksDir(), c.Name+".json")); err != nil {
		return fmt.Errorf("remove network %s: %w", c.Name, err)
	}
	return nil
}

// Update adds and drops DNS servers of network ref, for the containers
// that start on it from now on (those running keep their resolv.conf),
// and returns its record.
func (e *Service) Update(ref string, addDNS, dropDNS []string) (*NetConfig, error) {
	for _, d := range addDNS {
		if stdnet.ParseIP(d) == nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--dns-add %q: give an IP address", d))
		}
	}
	unlock, err := e.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	c, err := e.Inspect(ref)
	if err != nil {
		return nil, err
	}
	if c.Name == netns.DefaultNetwork {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("network %s is built in: it cannot be updated; create a network of your own", c.Name))
	}
	for _, d := range dropDNS {
		i := slices.Index(c.NetworkDNSServers, d)
		if i < 0 {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--dns-drop %s: network %s has no such DNS server", d, c.Name))
		}
		c.NetworkDNSServers = slices.Delete(c.NetworkDNSServers, i, i+1)
	}
	for _, d := range addDNS {
		if !slices.Contains(c.NetworkDNSServers, d) {
			c.NetworkDNSServers = append(c.NetworkDNSServers, d)
		}
	}
	if err := record.WriteJSON(filepath.Join(e.NetworksDir(), c.Name+".json"), c, true); err != nil {
		return nil, err
	}
	return c, nil
}

// Prune removes the networks no container uses that match the
// filters, and returns their names.
func (e *Service) Prune(filters []string) ([]string, error) {
	nets, err := e.List(filters)
	if err != nil {
		return nil, err
	}
	unlock, err := e.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	users, err := e.networkUsers()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range nets {
		if c.Name == netns.DefaultNetwork || len(users[c.Name]) > 0 {
			continue
		}
		if err := e.removeNetwork(c); err != nil {
			return out, err
		}
		out = append(out, c.Name)
	}
	return out, nil
}

// Attachment checks a container's place on a named network, want: the
// network exists and the addresses asked for, if any, are in it.
func (e *Service) Attachment(want netns.Attachment) (*NetConfig, netns.Attachment, error) {
	c, err := e.Inspect(want.Network)
	if err != nil {
		return nil, netns.Attachment{}, err
	}
	a := want
	a.Network = c.Name
	for _, ip := range []struct {
		flag string
		addr *string
	}{{"--ip", &a.IP}, {"--ip6", &a.IP6}} {
		if *ip.addr == "" {
			continue
		}
		if *ip.addr, err = c.CheckIP(ip.flag, *ip.addr); err != nil {
			return nil, netns.Attachment{}, errdefs.WithClass(errdefs.ErrInvalid, err)
		}
	}
	for _, alias := range a.Aliases {
		if err := record.ValidName(alias); err != nil {
			return nil, netns.Attachment{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--network-alias %q: %w", alias, err))
		}
	}
	if a.MAC != "" {
		hw, err := stdnet.ParseMAC(a.MAC)
		if err != nil || len(hw) != 6 {
			return nil, netns.Attachment{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--mac-address %q: give an Ethernet address such as 02:42:ac:11:00:02", a.MAC))
		}
		a.MAC = hw.String()
	}
	return c, a, nil
}

// CreateRecord writes a new container's record while no
// network it is on can be removed, after checking they are all there.
func (e *Service) CreateRecord(cfg *record.Config) error {
	if len(cfg.Networks) == 0 {
		return e.Rec.Create(cfg)
	}
	unlock, err := e.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	for _, a := range cfg.Networks {
		if _, err := e.Inspect(a.Network); err != nil {
			return err
		}
	}
	return e.Rec.Create(cfg)
}

// Options fills a bridge container's networks into o.
func (e *Service) Options(cfg *record.Config, o *netns.Options) error {
	o.Bridges = e.Bridges()
	for _, a := range cfg.Networks {
		c, err := e.Inspect(a.Network)
		if err != nil {
			return err
		}
		o.Nets = append(o.Nets, c)
		o.Attachments = append(o.Attachments, a)
	}
	if len(o.Nets) == 0 {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s is on no network: connect it to one", cfg.Name))
	}
	if len(o.DNS) == 0 {
		o.DNS = o.Nets[0].NetworkDNSServers // the default route's network's
	}
	return nil
}
