// Package networks keeps named networks: their records (create, list,
// inspect, remove, prune, reload of the firewall rules) and a container's
// place on them (the checks of a create, the options of a start). The
// bridges themselves are the netns package's.
package networks

import "github.com/scow-project/scow/engine/internal/backend"

// Service works on the networks of one backend.
type Service struct {
	*backend.Backend
}

// New returns the networks of b.
func New(b *backend.Backend) *Service { return &Service{Backend: b} }
