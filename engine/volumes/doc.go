// Package volumes keeps named volumes: create, list, inspect, remove and
// prune, and what a container needs of them (the volumes it mounts made
// at create, filled from the image at first use, its anonymous ones gone
// with it). A volume in use by a container is not removed unless forced.
package volumes

import "github.com/scow-project/scow/engine/internal/backend"

// Service works on the volumes of one backend.
type Service struct {
	*backend.Backend
}

// New returns the volumes of b.
func New(b *backend.Backend) *Service { return &Service{Backend: b} }
