package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	stdnet "net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/netns"
)

// NetConfig is a named network as network inspect shows it.
type NetConfig = netns.NetConfig

// defaultNetwork is the --network of a container that names none:
// slirp4netns rootless (a bridge needs the infra namespace's extra
// process and hop), the default bridge network as root.
func defaultNetwork() string {
	if userns.Rootless() {
		return netns.ModeSlirp
	}
	return netns.DefaultNetwork
}

// networksDir holds one record per network the user created: NAME.json.
func (e *Engine) networksDir() string { return filepath.Join(e.opts.Root, "networks") }

// bridges says where named networks live. Root's are bridges of the
// host, so their runtime state is the host's, whatever the run root.
func (e *Engine) bridges() netns.Bridges {
	b := netns.Bridges{RunDir: e.netnsDir(), Rootless: userns.Rootless()}
	if b.Rootless {
		b.StateDir = filepath.Join(e.netnsDir(), "nets")
	} else {
		b.StateDir = "/run/scow/nets"
	}
	return b
}

func (e *Engine) lockNetworks() (func(), error) {
	if err := os.MkdirAll(e.networksDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", e.networksDir(), err)
	}
	return record.Lock(e.networksDir())
}

// networkRecords reads every network, the built-in default first.
func (e *Engine) networkRecords() ([]*NetConfig, error) {
	out := []*NetConfig{netns.Default()}
	entries, err := os.ReadDir(e.networksDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	for _, ent := range entries {
		name, ok := strings.CutSuffix(ent.Name(), ".json")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		var c NetConfig
		if err := record.ReadJSON(filepath.Join(e.networksDir(), ent.Name()), &c); err != nil {
			return nil, fmt.Errorf("network %s: %w", name, err)
		}
		out = append(out, &c)
	}
	return out, nil
}

// network finds a network by name, by ID or by a unique prefix of one.
func (e *Engine) network(ref string) (*NetConfig, error) {
	switch {
	case ref == "bridge" || ref == netns.DefaultNetwork:
		return netns.Default(), nil
	case netns.ValidNetworkName(ref) == nil:
		// By name, the common case: one record, not all of them.
		var c NetConfig
		err := record.ReadJSON(filepath.Join(e.networksDir(), ref+".json"), &c)
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
	// Driver is "bridge", the only one, or "" for it.
	Name, Driver, Subnet, Gateway string
	Internal                      bool
	// Labels are --label KEY=VALUE; Ignore returns an existing network
	// of the name unchanged.
	Labels []string
	Ignore bool
}

// CreateNetwork records a new bridge network.
func (e *Engine) CreateNetwork(o NetworkCreateOptions) (*NetConfig, error) {
	if o.Driver != "" && o.Driver != "bridge" {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("network driver %q: scow has the bridge driver only", o.Driver))
	}
	labels, err := parseLabels(o.Labels)
	if err != nil {
		return nil, err
	}
	unlock, err := e.lockNetworks()
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
	c, err := netns.NewNetConfig(netns.CreateOptions{Name: o.Name, Subnet: o.Subnet, Gateway: o.Gateway, Internal: o.Internal, Labels: labels},
		hex.EncodeToString(id), all, netns.HostRanges())
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, err)
	}
	if err := record.WriteJSON(filepath.Join(e.networksDir(), c.Name+".json"), c, true); err != nil {
		return nil, err
	}
	return c, nil
}

// Networks lists the networks that match every filter: name=, id=,
// driver=, label=KEY[=VALUE].
func (e *Engine) Networks(filters []string) ([]*NetConfig, error) {
	all, err := e.networkRecords()
	if err != nil {
		return nil, err
	}
	var out []*NetConfig
	for _, c := range all {
		ok := true
		for _, f := range filters {
			k, v, _ := strings.Cut(f, "=")
			match, err := c.Match(k, v)
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

// InspectNetwork reads a network's record.
func (e *Engine) InspectNetwork(ref string) (*NetConfig, error) { return e.network(ref) }

// networkUsers maps network names to the containers configured with
// them, running or not.
func (e *Engine) networkUsers() (map[string][]string, error) {
	return e.users("networks", func(cfg *record.Config) (keys []string) {
		for _, a := range cfg.Networks {
			keys = append(keys, a.Network)
		}
		return keys
	})
}

// RemoveNetwork removes a network no container uses; with force, the
// containers that use it go first, as with Podman. It returns the
// network's name.
func (e *Engine) RemoveNetwork(ctx context.Context, ref string, force bool) (string, error) {
	c, err := e.network(ref)
	if err != nil {
		return "", err
	}
	if c.Name == netns.DefaultNetwork {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("network %s is the default network: it cannot be removed", c.Name))
	}
	return c.Name, e.removeUnused(ctx, "network", c.Name, force, e.lockNetworks, e.networkUsers, func() error {
		return e.removeNetwork(c)
	})
}

// removeNetwork takes down a network no container uses, bridge and
// record; the caller holds the networks' lock.
func (e *Engine) removeNetwork(c *NetConfig) error {
	if err := e.bridges().Remove(c); err != nil {
		return fmt.Errorf("remove network %s: %w", c.Name, err)
	}
	if err := os.Remove(filepath.Join(e.networksDir(), c.Name+".json")); err != nil {
		return fmt.Errorf("remove network %s: %w", c.Name, err)
	}
	return nil
}

// ReloadNetworks writes the firewall rules of every bridge in use again,
// as after a firewall reload that flushed them. The rules are per
// network, so containers named (refs) only need to exist; their IDs
// come back, as podman network reload prints them.
func (e *Engine) ReloadNetworks(refs []string) ([]string, error) {
	var ids []string
	for _, ref := range refs {
		id, err := e.LookupContainer(ref)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := e.bridges().Reload(); err != nil {
		return nil, err
	}
	return ids, nil
}

// containerName is a container's name, or its short ID if its record
// cannot be read.
func (e *Engine) containerName(id string) string {
	if cfg, err := e.rec.LoadConfig(id); err == nil {
		return cfg.Name
	}
	return id[:12]
}

// PruneNetworks removes the networks no container uses that match the
// filters, and returns their names.
func (e *Engine) PruneNetworks(filters []string) ([]string, error) {
	nets, err := e.Networks(filters)
	if err != nil {
		return nil, err
	}
	unlock, err := e.lockNetworks()
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

// attachment checks a container's place on a named network: the network
// exists and the address, if one is asked for, is in it.
func (e *Engine) attachment(ref string, aliases []string, ip string) (*NetConfig, netns.Attachment, error) {
	c, err := e.network(ref)
	if err != nil {
		return nil, netns.Attachment{}, err
	}
	if ip != "" {
		if err := c.CheckIP(ip); err != nil {
			return nil, netns.Attachment{}, errdefs.WithClass(errdefs.ErrInvalid, err)
		}
		ip = stdnet.ParseIP(ip).To4().String()
	}
	for _, a := range aliases {
		if err := record.ValidName(a); err != nil {
			return nil, netns.Attachment{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--network-alias %q: %w", a, err))
		}
	}
	return c, netns.Attachment{Network: c.Name, Aliases: aliases, IP: ip}, nil
}

// ConnectNetwork puts a container on one more network: at once if it
// runs, and at each start.
func (e *Engine) ConnectNetwork(ctx context.Context, netRef, ref string, aliases []string, ip string) error {
	c, a, err := e.attachment(netRef, aliases, ip)
	if err != nil {
		return err
	}
	return e.changeNetworks(ctx, ref, func(cfg *record.Config, st *record.State) error {
		if slices.ContainsFunc(cfg.Networks, func(x netns.Attachment) bool { return x.Network == a.Network }) {
			return errdefs.WithClass(errdefs.ErrExists, fmt.Errorf("container %s is already on network %s", cfg.Name, a.Network))
		}
		if st.Status == record.StatusRunning {
			hosts := ""
			if !cfg.NoHosts {
				hosts = filepath.Join(e.rec.Dir(cfg.ID), "hosts")
			}
			// The monitor keeps the bridges' namespace up; this keeps it
			// too, in case the container stops meanwhile.
			release, err := e.bridges().Acquire()
			if err != nil {
				return err
			}
			defer release()
			if _, err := e.bridges().Attach(c, a, netns.Joiner{
				ID: cfg.ID, Name: cfg.Name, Hostname: cfg.Hostname, Hosts: hosts, Pin: netns.Path(e.netnsDir(), cfg.ID),
			}); err != nil {
				return errdefs.WithClass(errdefs.ErrInvalid, err)
			}
		}
		cfg.Networks = append(cfg.Networks, a)
		return nil
	})
}

// DisconnectNetwork takes a container off a network, at once if it runs.
func (e *Engine) DisconnectNetwork(ctx context.Context, netRef, ref string) error {
	c, err := e.network(netRef)
	if err != nil {
		return err
	}
	return e.changeNetworks(ctx, ref, func(cfg *record.Config, st *record.State) error {
		i := slices.IndexFunc(cfg.Networks, func(x netns.Attachment) bool { return x.Network == c.Name })
		if i < 0 {
			return errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("container %s is not on network %s", cfg.Name, c.Name))
		}
		if len(cfg.Networks) == 1 {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("network %s is container %s's only one: connect it to another first", c.Name, cfg.Name))
		}
		if st.Status == record.StatusRunning {
			if err := e.bridges().Detach(c, cfg.ID); err != nil {
				return err
			}
		}
		cfg.Networks = slices.Delete(cfg.Networks, i, i+1)
		cfg.Network = netns.Mode{Kind: netns.ModeBridge, Target: cfg.Networks[0].Network}.String()
		return nil
	})
}

// changeNetworks applies change to a container on named networks, under
// its lock and the networks' (so that network rm sees the change), and
// saves its record.
func (e *Engine) changeNetworks(ctx context.Context, ref string, change func(*record.Config, *record.State) error) error {
	cfg, unlock, err := e.lockedConfig(ref)
	if err != nil {
		return err
	}
	defer unlock()
	id := cfg.ID
	if mode, _ := netns.ParseMode(cfg.Network); mode.Kind != netns.ModeBridge {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s runs with --network %s: only containers on named networks can be connected to more", ref, mode))
	}
	st, err := e.rec.LoadState(id)
	if err != nil {
		return err
	}
	if e.reconcile(ctx, id, st) {
		if err := e.rec.SaveState(id, st); err != nil {
			return err
		}
	}
	unlockNets, err := e.lockNetworks()
	if err != nil {
		return err
	}
	defer unlockNets()
	if err := change(cfg, st); err != nil {
		return err
	}
	return e.rec.SaveConfig(cfg)
}

// hostnameRE is a host name as RFC 1123 has it: it goes into the hosts
// files of a network's other containers.
var hostnameRE = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)

// createRecordOnNetworks writes a new container's record while no
// network it is on can be removed, after checking they are all there.
func (e *Engine) createRecordOnNetworks(cfg *record.Config) error {
	if len(cfg.Networks) == 0 {
		return e.rec.Create(cfg)
	}
	unlock, err := e.lockNetworks()
	if err != nil {
		return err
	}
	defer unlock()
	for _, a := range cfg.Networks {
		if _, err := e.network(a.Network); err != nil {
			return err
		}
	}
	return e.rec.Create(cfg)
}

// networkOptions fills a bridge container's networks into o.
func (e *Engine) networkOptions(cfg *record.Config, o *netns.Options) error {
	o.Bridges = e.bridges()
	for _, a := range cfg.Networks {
		c, err := e.network(a.Network)
		if err != nil {
			return err
		}
		o.Nets = append(o.Nets, c)
		o.Attachments = append(o.Attachments, a)
	}
	if len(o.Nets) == 0 {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s is on no network: connect it to one", cfg.Name))
	}
	return nil
}
