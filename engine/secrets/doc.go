// Package secrets keeps secrets: data a container gets at start, as a
// file under /run/secrets or an environment variable, never in an image
// layer, a commit, an export or inspect. Each is a directory of the data
// root, readable by the user only: its record and its data.
package secrets

import "github.com/scow-project/scow/engine/internal/backend"

// Service works on the secrets of one backend.
type Service struct {
	*backend.Backend
}

// New returns the secrets of b.
func New(b *backend.Backend) *Service { return &Service{Backend: b} }
