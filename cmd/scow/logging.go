package main

import (
	"github.com/scow-project/scow/engine"
	"github.com/urfave/cli/v2"
)

// setLogLevel applies --log-level.
func setLogLevel(c *cli.Context) error {
	return engine.SetLogLevel(c.String("log-level"))
}
