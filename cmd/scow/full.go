//go:build !scow_light

package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/urfave/cli/v2"
)

// handsOver is the light build's (light.go): the full build runs every
// command itself.
func handsOver(*cli.App, []string) bool { return false }

// handOver is the light build's: the full build has no other scow to
// hand a command to, and says so.
func handOver(args []string, stderr io.Writer) int {
	fmt.Fprintf(stderr, "Error: %s: %v\n", strings.Join(args, " "), errdefs.ErrFullScow)
	return errdefs.ExitCode(errdefs.ErrFullScow)
}

// pullsFirst is the light build's: the full build pulls as it creates.
func pullsFirst(*engine.Engine, specgen.RunOptions) error { return nil }
