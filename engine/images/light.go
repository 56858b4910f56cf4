//go:build scow_light

package images

import (
	"context"
	"fmt"

	"github.com/scow-project/scow/engine/errdefs"
)

// Pull is the full scow's: this light build links no registry code.
func (e *Service) Pull(ctx context.Context, name string, o RegistryOptions) (string, error) {
	return "", fmt.Errorf("pull %s: %w", name, errdefs.ErrFullScow)
}
