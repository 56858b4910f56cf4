//go:build scow_light

package engine

import (
	"fmt"
	"os"
	"syscall"

	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/monitor"
)

// full is empty in the light build of scow: no image builds, no
// Kubernetes YAML (full.go has them). The CLI leaves what needs them to
// the full scow (HandOver).
type full struct{}

func newFull(*Engine) full { return full{} }

// HandOver runs the full scow in this process's place with args (the
// process's own, unchanged): for what the light build cannot do. The
// user namespace this process joined stays held across the exec. It
// returns only on failure.
func HandOver(args []string) error {
	path, err := monitor.FindProgram(monitor.FullProgram)
	if err != nil {
		return err
	}
	if err := userns.KeepAcrossExec(); err != nil {
		return err
	}
	return fmt.Errorf("run %s: %w", path, syscall.Exec(path, args, os.Environ()))
}
