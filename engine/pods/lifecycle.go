package pods

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"golang.org/x/sys/unix"
)

// each runs fn on every container of pod p at once (the infra container
// with them when infra is set) and joins their errors.
func each(p *Pod, infra bool, fn func(c containers.Container) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(p.Containers))
	for i, c := range p.Containers {
		if c.Config.Infra && !infra {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(c); err != nil {
				errs[i] = fmt.Errorf("container %s of pod %s: %w", c.Config.Name, p.Name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Start starts the containers of pod ref that do not run, its infra
// container first, and returns the pod's ID.
func (e *Service) Start(ctx context.Context, ref string) (string, error) {
	p, err := e.Get(ctx, ref)
	if err != nil {
		return "", err
	}
	if id := p.InfraID(); id != "" {
		if err := e.containers.Start(ctx, id, nil); err != nil {
			return "", fmt.Errorf("start the infra container of pod %s: %w", p.Name, err)
		}
	} else if p.Infra {
		return "", errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("pod %s has lost its infra container: remove the pod (pod rm -f %s) and create it again", p.Name, p.Name))
	}
	// Its init containers, each to its end, in order; those run once
	// (--rm) are gone after.
	for _, c := range p.Containers {
		if !c.Config.InitContainer {
			continue
		}
		err := e.containers.Start(ctx, c.Config.ID, &attach.Streams{Out: io.Discard, Err: io.Discard})
		if exit := (*errdefs.ExitError)(nil); errors.As(err, &exit) {
			// Its code is not the start's.
			return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("init container %s of pod %s exited with code %d", c.Config.Name, p.Name, exit.Code))
		}
		if err != nil {
			return "", fmt.Errorf("init container %s of pod %s: %w", c.Config.Name, p.Name, err)
		}
	}
	// One after the other, by creation: a member may require another.
	var errs []error
	for _, c := range p.Containers {
		if !c.Config.Infra && !c.Config.InitContainer {
			if err := e.containers.Start(ctx, c.Config.ID, nil); err != nil {
				errs = append(errs, fmt.Errorf("start container %s of pod %s: %w", c.Config.Name, p.Name, err))
			}
		}
	}
	if len(errs) == 0 {
		e.Rec.ObjectEvent("pod", p.ID, p.Name, "start")
	}
	return p.ID, errors.Join(errs...)
}

// Stop stops the containers of pod ref, all at once, then its infra
// container; timeout is their grace before SIGKILL (nil: each one's own
// stop timeout).
func (e *Service) Stop(ctx context.Context, ref string, timeout *int) (string, error) {
	p, err := e.Get(ctx, ref)
	if err != nil {
		return "", err
	}
	if err := each(p, false, func(c containers.Container) error { return e.containers.Stop(ctx, c.Config.ID, timeout) }); err != nil {
		return p.ID, err
	}
	if id := p.InfraID(); id != "" {
		if err := e.containers.Stop(ctx, id, timeout); err != nil {
			return p.ID, fmt.Errorf("stop the infra container of pod %s: %w", p.Name, err)
		}
	}
	e.Rec.ObjectEvent("pod", p.ID, p.Name, "stop")
	return p.ID, nil
}

// Restart stops pod ref and starts it again.
func (e *Service) Restart(ctx context.Context, ref string, timeout *int) (string, error) {
	if _, err := e.Stop(ctx, ref, timeout); err != nil {
		return "", err
	}
	return e.Start(ctx, ref)
}

// running picks the running containers of pod p, paused too.
func running(p *Pod) *Pod {
	q := *p
	q.Containers = nil
	for _, c := range p.Containers {
		if c.State != nil && (c.State.Status == record.StatusRunning || c.State.Status == record.StatusRestarting) {
			q.Containers = append(q.Containers, c)
		}
	}
	return &q
}

// Kill sends sig to every running container of pod ref, its infra
// container too.
func (e *Service) Kill(ctx context.Context, ref string, sig unix.Signal) (string, error) {
	p, err := e.Get(ctx, ref)
	if err != nil {
		return "", err
	}
	r := running(p)
	if len(r.Containers) == 0 {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("pod %s has no running container to signal: start it first", p.Name))
	}
	if err := each(r, true, func(c containers.Container) error { return e.containers.Kill(ctx, c.Config.ID, sig) }); err != nil {
		return p.ID, err
	}
	e.Rec.ObjectEvent("pod", p.ID, p.Name, "kill")
	return p.ID, nil
}

// Pause freezes (or with pause false thaws) the running containers of
// pod ref.
func (e *Service) Pause(ctx context.Context, ref string, pause bool) (string, error) {
	p, err := e.Get(ctx, ref)
	if err != nil {
		return "", err
	}
	r := running(p)
	if len(r.Containers) == 0 {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("pod %s has no running container: start it first", p.Name))
	}
	r.Containers = slices.DeleteFunc(r.Containers, func(c containers.Container) bool { return c.State.Paused == pause })
	err = each(r, true, func(c containers.Container) error {
		if pause {
			return e.containers.Pause(ctx, c.Config.ID)
		}
		return e.containers.Unpause(ctx, c.Config.ID)
	})
	if err != nil {
		return p.ID, err
	}
	e.Rec.ObjectEvent("pod", p.ID, p.Name, map[bool]string{true: "pause", false: "unpause"}[pause])
	return p.ID, nil
}

// Top lists the processes of the running containers of pod ref, its
// infra container's too, as containers' Top does.
func (e *Service) Top(ctx context.Context, ref string) ([][]string, error) {
	p, err := e.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	r := running(p)
	if len(r.Containers) == 0 {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("pod %s has no running container: start it first", p.Name))
	}
	var rows [][]string
	for _, c := range r.Containers {
		more, err := e.containers.Top(ctx, c.Config.ID)
		if err != nil && !errors.Is(err, errdefs.ErrInvalid) {
			return nil, err // one that stopped meanwhile has none
		}
		rows = append(rows, more...)
	}
	return rows, nil
}

// Stats reads what the running containers of pod ref use, its infra
// container's too.
func (e *Service) Stats(ctx context.Context, ref string) ([]*containers.Stats, error) {
	p, err := e.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	var out []*containers.Stats
	for _, c := range running(p).Containers {
		if s, err := e.containers.Stats(ctx, c.Config.ID, false); err == nil {
			out = append(out, s) // (one that stopped meanwhile has none)
		}
	}
	return out, nil
}
