//go:build scow_light

package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

// This is the light build of scow, which make installs as scow: it starts
// faster, as it links none of containers/image's registry, archive and
// signature code, no BuildKit and no Kubernetes. The full build
// (scow-full, installed beside it) runs in its place, with the same
// arguments, what needs those: the commands below, which are nil here;
// help and completion, which list every command; and a run or create
// whose image must be pulled (errdefs.ErrFullScow).

func buildCommand(string) *cli.Command { return nil }
func buildxCommand() *cli.Command      { return nil }
func generateCommand() *cli.Command    { return nil }
func kubeCommand() *cli.Command        { return nil }
func playCommand() *cli.Command        { return nil }
func systemCommand() *cli.Command      { return nil }
func pullCommand() *cli.Command        { return nil }
func pushCommand() *cli.Command        { return nil }
func loginCommand() *cli.Command       { return nil }
func logoutCommand() *cli.Command      { return nil }
func searchCommand() *cli.Command      { return nil }
func importCommand() *cli.Command      { return nil }
func loadCommand() *cli.Command        { return nil }
func saveCommand() *cli.Command        { return nil }
func imagePruneCommand() *cli.Command  { return nil }

// handsOver tells whether args are the full scow's to run: no command, a
// command or subcommand this build has not, a group without its
// subcommand (its help), scow's own help or completion.
func handsOver(app *cli.App, args []string) bool {
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" {
		switch args[i] {
		case "-h", "--help":
			return true
		case "-v", "--version":
			return false
		}
		if takesValue(app.Flags, args[i]) {
			i++
		}
		i++
	}
	for cmds := app.Commands; ; i++ {
		if i >= len(args) {
			return true
		}
		c := findCommand(cmds, args[i])
		if c == nil {
			return true
		}
		if len(c.Subcommands) == 0 {
			return false
		}
		cmds = c.Subcommands
	}
}

// handOff runs the full scow in this process's place with args when
// they are its: before the run (err nil), what this build has not
// (handsOver); after it, a run that left its work to the full scow
// before it made anything (errdefs.ErrFullScow). It tells whether it
// did, with the exit code of a failure to. The descriptors scow inherited
// (--preserve-fds, socket activation, a file given as /dev/fd/N) stay
// open for it.
func handOff(app *cli.App, args []string, err error) (int, bool) {
	if err == nil && !handsOver(app, args) || err != nil && !errors.Is(err, errdefs.ErrFullScow) {
		return 0, false
	}
	for fd := range inherited {
		unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0)
	}
	err = engine.HandOver(args)
	fmt.Fprintf(app.ErrWriter, "Error: %s\n", oneLine(err))
	return errdefs.ExitCode(err), true
}
