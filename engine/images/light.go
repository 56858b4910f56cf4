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

// Local is asked by a run or create of the light build before it reads or
// makes anything (an --env-file on standard input, the pod of --pod
// new:): errdefs.ErrFullScow when policy has image name pulled first.
func (e *Service) Local(name, policy string) error {
	pull, err := e.needsPull(name, policy)
	if err == nil && pull {
		err = fmt.Errorf("pull %s: %w", name, errdefs.ErrFullScow)
	}
	return err
}
