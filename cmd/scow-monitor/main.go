// Command scow-monitor is the monitor of one running scow container: scow
// starts it, one per container, and it keeps the container until its
// end. It is a program of its own so that it links none of the CLI's
// store, image or registry code.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/monitor"
)

func main() {
	if ran, err := monitor.Helper(os.Args); ran {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) != 2 || os.Args[1] != monitor.Arg {
		fmt.Fprintln(os.Stderr, "Error: scow-monitor is started by scow, one per running container")
		os.Exit(125)
	}
	// Its stderr is a file beside its container (a start reports through
	// the CLI, later failures through the record too).
	if err := monitor.Main(); err != nil {
		// The container's exit is the monitor's, for a unit whose main
		// process it is.
		var exit *errdefs.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.Code)
		}
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
