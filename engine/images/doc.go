// Package images is the engine's image store: pull, push, login and
// search against registries, load, save and import of archives, tags,
// listing, inspection, history, removal and pruning, on containers/storage
// and containers/image through the storage package.
package images

import "github.com/scow-project/scow/engine/internal/backend"

// Service works on the images of one backend.
type Service struct {
	*backend.Backend
}

// New returns the images of b.
func New(b *backend.Backend) *Service { return &Service{Backend: b} }
