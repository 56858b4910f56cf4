package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/monitor"
	"github.com/scow-project/scow/engine/quadlet"
	"github.com/urfave/cli/v2"
)

// Generator names: make install links them to scow in systemd's
// generator directories, and systemd runs them with its output
// directories.
const (
	systemGenerator = "scow-system-generator"
	userGenerator   = "scow-user-generator"
)

func quadletCommand() *cli.Command {
	return &cli.Command{
		Name:      "quadlet",
		Usage:     "turn Quadlet files (.container, .volume, .network) into systemd units",
		ArgsUsage: "[OUTDIR]",
		Description: "Reads ~/.config/containers/systemd (rootless) or /etc/containers/systemd (root), or QUADLET_UNIT_DIRS,\n" +
			"as Podman's Quadlet does. make install links scow as systemd's generator, which does this at each daemon-reload.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dryrun", Usage: "print the units instead of writing them"},
			&cli.BoolFlag{Name: "user", Usage: "the user's files, not root's (the default as a normal user)"},
		},
		Action: func(c *cli.Context) error {
			if err := exactArgs(c, 0, 1, "quadlet [--dryrun] [--user] [OUTDIR]"); err != nil {
				return err
			}
			if !c.Bool("dryrun") && c.NArg() == 0 {
				return errdefs.WithClass(errdefs.ErrInvalid, errors.New("quadlet: give an output directory, or --dryrun"))
			}
			// The units use the store this invocation names, if it does.
			var global []string
			for _, f := range []string{"root", "runroot", "storage-driver"} {
				if c.IsSet(f) {
					global = append(global, "--"+f, c.String(f))
				}
			}
			return runQuadlet(c.App.Writer, c.App.ErrWriter, c.Args().First(), c.Bool("user") || os.Getuid() != 0, global...)
		},
	}
}

// generatorMain is scow run as a systemd generator: the units go to the
// first of its directories.
func generatorMain(name string, args []string) int {
	if len(args) < 1 {
		fmt.Fprintf(os.Stderr, "%s: usage: %s NORMAL-DIR [EARLY-DIR LATE-DIR]\n", name, name)
		return 2
	}
	if err := runQuadlet(os.Stdout, os.Stderr, args[0], name == userGenerator); err != nil {
		return 1
	}
	return 0
}

// runQuadlet converts the files and writes the units to dir (stdout for
// ""); each file that fails says why on stderr, and fails the whole.
func runQuadlet(stdout, stderr io.Writer, dir string, rootless bool, global ...string) error {
	exe, err := monitor.ScowProgram()
	if err != nil {
		return err
	}
	units, errs := quadlet.Generate(quadlet.Dirs(rootless), append([]string{exe}, global...))
	for _, err := range errs {
		fmt.Fprintln(stderr, "quadlet:", err)
	}
	if dir == "" {
		for _, u := range units {
			fmt.Fprintf(stdout, "---%s---\n%s\n", u.Name, u.Text)
		}
	} else if err := quadlet.Install(dir, units); err != nil {
		return fmt.Errorf("quadlet: write units to %s: %w", dir, err)
	}
	if len(errs) > 0 {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("quadlet: %d of the files could not be converted", len(errs)))
	}
	return nil
}

// asGenerator tells whether scow runs under a generator's name.
func asGenerator() (string, bool) {
	name := filepath.Base(os.Args[0])
	return name, name == systemGenerator || name == userGenerator
}
