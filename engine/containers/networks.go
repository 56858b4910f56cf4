package containers

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
)

// ConnectNetwork puts a container on one more network, want's, with the
// aliases and addresses it asks for: at once if it runs, and at each
// start.
func (e *Service) ConnectNetwork(ctx context.Context, ref string, want netns.Attachment) error {
	c, a, err := e.networks.Attachment(want)
	if err != nil {
		return err
	}
	err = e.changeNetworks(ctx, ref, func(cfg *record.Config, st *record.State) error {
		if slices.ContainsFunc(cfg.Networks, func(x netns.Attachment) bool { return x.Network == a.Network }) {
			return errdefs.WithClass(errdefs.ErrExists, fmt.Errorf("container %s is already on network %s", cfg.Name, a.Network))
		}
		if st.Status == record.StatusRunning {
			hosts := ""
			if !cfg.NoHosts {
				hosts = filepath.Join(e.Rec.Dir(cfg.ID), "hosts")
			}
			// The monitor keeps the bridges' namespace up; this keeps it
			// too, in case the container stops meanwhile.
			release, err := e.Bridges().Acquire()
			if err != nil {
				return err
			}
			defer release()
			if _, err := e.Bridges().Attach(c, a, netns.Joiner{
				ID: cfg.ID, Name: cfg.Name, Hostname: cfg.Hostname, Hosts: hosts, Pin: netns.Path(e.NetnsDir(), cfg.ID), MAC: a.MAC,
			}); err != nil {
				return errdefs.WithClass(errdefs.ErrInvalid, err)
			}
		}
		cfg.Networks = append(cfg.Networks, a)
		return nil
	})
	if err == nil {
		e.Rec.Emit(record.Event{Type: "network", Status: "connect", ID: c.ID, Name: c.Name, Attributes: map[string]string{"container": ref}})
	}
	return err
}

// DisconnectNetwork takes a container off a network, at once if it runs.
func (e *Service) DisconnectNetwork(ctx context.Context, netRef, ref string) error {
	c, err := e.networks.Inspect(netRef)
	if err != nil {
		return err
	}
	err = e.changeNetworks(ctx, ref, func(cfg *record.Config, st *record.State) error {
		i := slices.IndexFunc(cfg.Networks, func(x netns.Attachment) bool { return x.Network == c.Name })
		if i < 0 {
			return errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("container %s is not on network %s", cfg.Name, c.Name))
		}
		if len(cfg.Networks) == 1 {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("network %s is container %s's only one: connect it to another first", c.Name, cfg.Name))
		}
		if st.Status == record.StatusRunning {
			if err := e.Bridges().Detach(c, cfg.ID); err != nil {
				return err
			}
		}
		cfg.Networks = slices.Delete(cfg.Networks, i, i+1)
		cfg.Network = netns.Mode{Kind: netns.ModeBridge, Target: cfg.Networks[0].Network}.String()
		return nil
	})
	if err == nil {
		e.Rec.Emit(record.Event{Type: "network", Status: "disconnect", ID: c.ID, Name: c.Name, Attributes: map[string]string{"container": ref}})
	}
	return err
}

// changeNetworks applies change to a container on named networks, under
// its lock and the networks' (so that network rm sees the change), and
// saves its record.
func (e *Service) changeNetworks(ctx context.Context, ref string, change func(*record.Config, *record.State) error) error {
	cfg, unlock, err := e.lockedConfig(ref)
	if err != nil {
		return err
	}
	defer unlock()
	id := cfg.ID
	if mode, _ := netns.ParseMode(cfg.Network); mode.Kind != netns.ModeBridge {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s runs with --network %s: only containers on named networks can be connected to more", ref, mode))
	}
	st, err := e.Rec.LoadState(id)
	if err != nil {
		return err
	}
	if e.reconcile(ctx, id, st) {
		if err := e.Rec.SaveState(id, st); err != nil {
			return err
		}
	}
	unlockNets, err := e.networks.Lock()
	if err != nil {
		return err
	}
	defer unlockNets()
	if err := change(cfg, st); err != nil {
		return err
	}
	return e.Rec.SaveConfig(cfg)
}

// ReloadNetworks writes the firewall rules of every bridge in use again,
// as after a firewall reload that flushed them. The rules are per
// network, so containers named (refs) only need to exist; their IDs
// come back, as podman network reload prints them.
func (e *Service) ReloadNetworks(refs []string) ([]string, error) {
	var ids []string
	for _, ref := range refs {
		id, err := e.Lookup(ref)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := e.Bridges().Reload(); err != nil {
		return nil, err
	}
	return ids, nil
}
