// Package contents is what reads or writes a container's files, running
// or not: cp (to and from the host and between containers), diff,
// commit (an image of the container's changes), export, mount, unmount
// and unshare. It finds containers through engine/containers and their
// volumes through engine/volumes; it never starts or stops one.
package contents

import (
	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/volumes"
)

// Service works on the contents of one backend's containers.
type Service struct {
	*backend.Backend
	containers *containers.Service
	volumes    *volumes.Service
}

// New returns the contents service of b's containers c, whose volumes v
// keeps.
func New(b *backend.Backend, c *containers.Service, v *volumes.Service) *Service {
	return &Service{Backend: b, containers: c, volumes: v}
}
