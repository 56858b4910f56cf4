package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/contents"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/events"
	"github.com/scow-project/scow/engine/images"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/monitor"
	"github.com/scow-project/scow/engine/networks"
	"github.com/scow-project/scow/engine/pods"
	"github.com/scow-project/scow/engine/secrets"
	"github.com/scow-project/scow/engine/volumes"
	"github.com/scow-project/scow/oci"
	"github.com/scow-project/scow/storage"
)

// Options are the global settings of an invocation; empty fields take the
// defaults for root or for the invoking user.
type Options = backend.Options

// Config is scow.conf: settings that flags override.
type Config = backend.Config

// Engine wires one invocation's parts: its backend (options, records,
// store and runtime, opened on first use, so that commands that touch no
// storage never pay for it) and the packages that work on it.
type Engine struct {
	b          *backend.Backend
	containers *containers.Service
	contents   *contents.Service
	images     *images.Service
	volumes    *volumes.Service
	networks   *networks.Service
	secrets    *secrets.Service
	events     *events.Service
	pods       *pods.Service
	// full are the services of the full build alone: image builds and
	// Kubernetes YAML (full.go); the light build has none (light.go).
	full
}

// New returns an engine for the options; it reads scow.conf but opens
// nothing else.
func New(o Options) (*Engine, error) {
	b, err := backend.New(o)
	if err != nil {
		return nil, err
	}
	e := &Engine{b: b, images: images.New(b), volumes: volumes.New(b), networks: networks.New(b)}
	e.secrets = secrets.New(b)
	e.containers = containers.New(b, e.images, e.volumes, e.networks, e.secrets)
	e.contents = contents.New(b, e.containers, e.volumes)
	e.events = events.New(b)
	e.pods = pods.New(b, e.containers)
	e.full = newFull(e)
	b.RemoveContainer = e.containers.ForceRemove
	return e, nil
}

// Events reads the events of containers, images, volumes and networks.
func (e *Engine) Events() *events.Service { return e.events }

// Pods are the engine's pods.
func (e *Engine) Pods() *pods.Service { return e.pods }

// Containers are the engine's containers.
func (e *Engine) Containers() *containers.Service { return e.containers }

// Secrets are the engine's secrets.
func (e *Engine) Secrets() *secrets.Service { return e.secrets }

// Contents are what reads and writes the engine's containers' files.
func (e *Engine) Contents() *contents.Service { return e.contents }

// Images are the engine's images.
func (e *Engine) Images() *images.Service { return e.images }

// Volumes are the engine's named volumes.
func (e *Engine) Volumes() *volumes.Service { return e.volumes }

// Networks are the engine's named networks.
func (e *Engine) Networks() *networks.Service { return e.networks }

// Close releases the store.
func (e *Engine) Close() error { return e.b.Close() }

// ReexecInit runs a storage helper this binary was re-executed as, and
// reports whether it did: main calls it first.
func ReexecInit() bool { return storage.ReexecInit() }

// HookArg is argv[1] of scow run by a monitor for a step that needs the
// store.
const HookArg = monitor.HookArg

// HookMain is scow run as a monitor's hook.
func HookMain() error {
	return monitor.HookMain(func(raw json.RawMessage) (*monitor.Hooks, error) {
		var o Options
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("read the hook's options: %w", err)
		}
		e, err := New(o)
		if err != nil {
			return nil, err
		}
		c := e.containers
		return &monitor.Hooks{
			Prepare: c.Prepare, Cleanup: c.Cleanup, Health: c.Healthcheck,
			Stop:  func(ctx context.Context, id string) error { return c.ApplyHealthAction(ctx, id, "stop") },
			Close: e.Close,
		}, nil
	})
}

// Helper runs the network helper os.Args name, if they name one, and
// tells whether they did.
func Helper(args []string) (bool, error) { return monitor.Helper(args) }

// DefaultHooksDirs are where OCI hooks are found without --hooks-dir.
var DefaultHooksDirs = oci.DefaultHooksDirs

// DefaultCDISpecDirs are where CDI specs are found without --cdi-spec-dir.
var DefaultCDISpecDirs = oci.DefaultCDISpecDirs

// Inspect returns the inspect record of what ref names: kind
// "container", "image", or "all" (a container first, as Podman looks).
// With size, a container's record includes its writable layer's size.
func (e *Engine) Inspect(ctx context.Context, ref, kind string, size bool) (any, error) {
	// In Podman's order: a name may be a container's and an image's.
	kinds := map[string]func() (any, error){
		"container": func() (any, error) { return e.containers.Inspect(ctx, ref, size) },
		"image":     func() (any, error) { return e.images.Inspect(ref) },
		"volume":    func() (any, error) { return e.volumes.Inspect(ref) },
		"network":   func() (any, error) { return e.networks.Inspect(ref) },
	}
	order := []string{"container", "image", "volume", "network"}
	if kind != "all" {
		if kinds[kind] == nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--type %q: use container, image, volume, network or all", kind))
		}
		order = []string{kind}
	}
	for _, k := range order {
		obj, err := kinds[k]()
		if err == nil || !errors.Is(err, errdefs.ErrNotFound) {
			return obj, err
		}
		if kind != "all" {
			return nil, err
		}
	}
	return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("no container, image, volume or network named %q", ref))
}
