package main

import (
	"errors"
	"strings"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/urfave/cli/v2"
)

// existsCommand is "container exists" and its kin: silent, exit 0 when
// the object is there, 1 when it is not, 125 when that cannot be told.
func existsCommand(what string, lookup func(c *cli.Context, e *engine.Engine, ref string) error, flags ...cli.Flag) *cli.Command {
	return &cli.Command{
		Flags:     flags,
		Name:      "exists",
		Usage:     "exit 0 if the " + what + " exists, 1 if not",
		ArgsUsage: strings.ToUpper(what),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, 1, what+" exists "+strings.ToUpper(what)); err != nil {
				return err
			}
			err := lookup(c, e, c.Args().First())
			if errors.Is(err, errdefs.ErrNotFound) {
				return &errdefs.ExitError{Code: 1}
			}
			return err
		}),
	}
}
