package monitor

import (
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/netns"
)

// helpers are the programs a container's network re-executes its process
// as (argv[1]): the port forwarder's child half, and the holder of a
// rootless user's bridges, which keeps the user namespace while it lives.
// The monitor starts networks, and scow manages bridges: both run them.
var helpers = map[string]func(args []string) error{
	netns.PortChildArg: netns.PortChildMain,
	netns.InfraArg: func(args []string) error {
		if err := userns.Hold(); err != nil {
			return err
		}
		return netns.InfraMain(args)
	},
}

// Helper runs the helper args name, if they name one, and tells whether
// they did.
func Helper(args []string) (bool, error) {
	if len(args) < 2 || helpers[args[1]] == nil {
		return false, nil
	}
	return true, helpers[args[1]](args[2:])
}
