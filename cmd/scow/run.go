package main

import (
	"os"

	"github.com/scow-project/scow/engine"
	"github.com/urfave/cli/v2"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a command in a new container",
		ArgsUsage: "IMAGE [COMMAND [ARG...]]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "rm", Usage: "remove the container when it exits"},
			&cli.StringFlag{Name: "name", Usage: "name the container"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable (KEY=VALUE, or KEY to copy it from here)"},
			&cli.StringSliceFlag{Name: "env-file", Usage: "read environment variables from a file"},
			&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory inside the container"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "user to run as: name or UID[:GID]"},
			&cli.StringFlag{Name: "entrypoint", Usage: "replace the image's entrypoint (a program or a JSON array)"},
			&cli.StringFlag{Name: "hostname", Usage: "container host name"},
			&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Usage: "network mode: none or host"},
			&cli.StringSliceFlag{Name: "volume", Aliases: []string{"v"}, Usage: "bind mount HOST-DIR:CONTAINER-DIR[:ro]"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "pass standard input to the container"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, -1, "run [OPTIONS] IMAGE [COMMAND [ARG...]]"); err != nil {
				return err
			}
			o := engine.RunOptions{
				Image:       c.Args().First(),
				Args:        c.Args().Slice()[1:],
				Name:        c.String("name"),
				Env:         c.StringSlice("env"),
				EnvFiles:    c.StringSlice("env-file"),
				Workdir:     c.String("workdir"),
				User:        c.String("user"),
				Hostname:    c.String("hostname"),
				Network:     c.String("network"),
				Volumes:     c.StringSlice("volume"),
				Interactive: c.Bool("interactive"),
				Remove:      c.Bool("rm"),
			}
			if c.IsSet("entrypoint") {
				ep := c.String("entrypoint")
				o.Entrypoint = &ep
			}
			return e.Run(c.Context, o, engine.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
		}),
	}
}
