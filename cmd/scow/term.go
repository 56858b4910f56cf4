package main

import (
	"os"

	"github.com/scow-project/scow/engine"
	"github.com/urfave/cli/v2"
)

// attachFlags are the flags of commands that attach to a process.
func attachFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "detach-keys", Value: engine.DefaultDetachKeys, Usage: "keys that detach and leave the container running (\"\" disables)"},
		&cli.BoolFlag{Name: "sig-proxy", Value: true, Usage: "forward received signals to the process"},
	}
}

// streams are the CLI's own stdio for an attach; stdin only if asked.
func streams(c *cli.Context, stdin bool) (engine.Streams, error) {
	keys, err := engine.ParseDetachKeys(c.String("detach-keys"))
	if err != nil {
		return engine.Streams{}, err
	}
	s := engine.Streams{Out: os.Stdout, Err: os.Stderr, DetachKeys: keys, SigProxy: c.Bool("sig-proxy")}
	if stdin {
		s.In = os.Stdin
	}
	return s, nil
}
