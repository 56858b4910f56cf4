//go:build !scow_light

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/urfave/cli/v2"
)

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:  "generate",
		Usage: "generate what runs a container elsewhere: systemd units, Kubernetes YAML (generate kube, as kube generate)",
		Subcommands: []*cli.Command{kubeGenerateCommand("kube"), {
			Name:      "systemd",
			Usage:     "write the systemd service units that run a container, or a pod and its containers",
			ArgsUsage: "CONTAINER|POD",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "new", Usage: "create the container afresh at each start, from its create command, and remove it at each stop"},
				&cli.BoolFlag{Name: "name", Aliases: []string{"n"}, Usage: "use the container's name, not its ID, in the unit and its commands"},
				&cli.BoolFlag{Name: "files", Aliases: []string{"f"}, Usage: "write the unit to a file in the working directory and print its path"},
				&cli.StringFlag{Name: "format", Usage: "json: a JSON object of the unit's name and text"},
				&cli.BoolFlag{Name: "no-header", Usage: "leave out the comment at the top"},
				&cli.StringFlag{Name: "container-prefix", Value: "container", Usage: "the start of the unit's name"},
				&cli.StringFlag{Name: "pod-prefix", Value: "pod", Usage: "the start of a pod's unit's name"},
				&cli.StringFlag{Name: "separator", Value: "-", Usage: "between the prefix and the name"},
				&cli.StringFlag{Name: "restart-policy", Value: "on-failure", Usage: "systemd's Restart=: no, on-success, on-failure, on-abnormal, on-watchdog, on-abort, always"},
				&cli.UintFlag{Name: "restart-sec", Usage: "systemd's RestartSec="},
				&cli.UintFlag{Name: "start-timeout", Usage: "seconds systemd waits for it to start"},
				&cli.UintFlag{Name: "stop-timeout", Usage: "seconds stop waits before SIGKILL (default: the container's)"},
				&cli.StringSliceFlag{Name: "after", Usage: "a unit to start after"},
				&cli.StringSliceFlag{Name: "wants", Usage: "a unit it wants"},
				&cli.StringSliceFlag{Name: "requires", Usage: "a unit it requires"},
				&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "KEY=VALUE: an Environment= of the unit"},
			},
			Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
				if err := exactArgs(c, 1, 1, "generate systemd [OPTIONS] CONTAINER|POD"); err != nil {
					return err
				}
				if f := c.String("format"); f != "" && f != "json" {
					return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--format %q: only json", f))
				}
				o := containers.SystemdOptions{
					New: c.Bool("new"), UseName: c.Bool("name"), NoHeader: c.Bool("no-header"),
					Prefix: c.String("container-prefix"), Separator: c.String("separator"), RestartPolicy: c.String("restart-policy"),
					After: c.StringSlice("after"), Wants: c.StringSlice("wants"), Requires: c.StringSlice("requires"), Env: c.StringSlice("env"),
					ValueFlag: valueFlags(createFlags()), PodValueFlag: valueFlags(podCreateCommand().Flags), PodPrefix: c.String("pod-prefix"),
				}
				for name, to := range map[string]**uint{"restart-sec": &o.RestartSec, "start-timeout": &o.StartTimeout, "stop-timeout": &o.StopTimeout} {
					if c.IsSet(name) {
						v := c.Uint(name)
						*to = &v
					}
				}
				units, err := e.Containers().GenerateSystemd(c.Args().First(), o)
				if err != nil {
					return err
				}
				switch {
				case c.String("format") == "json":
					texts := map[string]string{}
					for _, u := range units {
						texts[strings.TrimSuffix(u.Name, ".service")] = u.Text
					}
					return printJSON(c.App.Writer, texts)
				case c.Bool("files"):
					dir, err := os.Getwd()
					if err != nil {
						return err
					}
					for _, u := range units {
						path := filepath.Join(dir, u.Name)
						if err := os.WriteFile(path, []byte(u.Text), 0o644); err != nil {
							return fmt.Errorf("write %s: %w", path, err)
						}
						fmt.Fprintln(c.App.Writer, path)
					}
					return nil
				}
				for i, u := range units {
					if i > 0 {
						fmt.Fprintln(c.App.Writer)
					}
					if _, err := fmt.Fprint(c.App.Writer, u.Text); err != nil {
						return err
					}
				}
				return nil
			}),
		}},
	}
}

// valueFlags tells which of flags (by a name, without dashes) take a
// value.
func valueFlags(flags []cli.Flag) func(name string) bool {
	return func(name string) bool {
		for _, f := range flags {
			if _, isBool := f.(*cli.BoolFlag); !isBool && slices.Contains(f.Names(), name) {
				return true
			}
		}
		return false
	}
}
