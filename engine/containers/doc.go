// Package containers is the container lifecycle: create from a
// specgen.Spec, start under a monitor, attach, exec, stop, kill, restart,
// wait, remove, rename, prune, and how commands pick containers
// (Selection); and what tells about them (list, inspect, logs, top,
// port). It works on the records of engine/record, images, volumes and
// networks through their packages, and the runtime through the monitor,
// for which it implements monitor.Runner. Their files are
// engine/contents'.
package containers

import (
	"github.com/scow-project/scow/engine/images"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/networks"
	"github.com/scow-project/scow/engine/secrets"
	"github.com/scow-project/scow/engine/volumes"
)

// Service works on the containers of one backend.
type Service struct {
	*backend.Backend
	images   *images.Service
	volumes  *volumes.Service
	networks *networks.Service
	secrets  *secrets.Service
}

// New returns the containers of b, which use the images, volumes,
// networks and secrets given.
func New(b *backend.Backend, i *images.Service, v *volumes.Service, n *networks.Service, s *secrets.Service) *Service {
	return &Service{Backend: b, images: i, volumes: v, networks: n, secrets: s}
}
