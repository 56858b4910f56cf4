package main

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// ownCommandLine are the commands whose arguments after the first one
// are a command line of the container's, flags and all.
var ownCommandLine = []string{"run", "create", "exec"}

// intersperse moves the flags typed after a command's arguments in front
// of them (scow stop web -t 0, scow save img -o f.tar), as Docker's and
// Podman's parsers accept and urfave/cli does not. "--" ends the moving.
func intersperse(app *cli.App, args []string) []string {
	i, flags, cmds := 1, app.Flags, app.Commands
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" {
		if takesValue(flags, args[i]) {
			i++
		}
		i++
	}
	var cmd, parent *cli.Command
	for i < len(args) {
		c := findCommand(cmds, args[i])
		if c == nil {
			break
		}
		parent, cmd, cmds = cmd, c, c.Subcommands
		i++
	}
	if cmd == nil || cmd.SkipFlagParsing {
		return args
	}
	// The container's command line, after the image or container, is
	// the container's: only the flags in front of it are scow's. (pod,
	// network... create have none.)
	own := slices.Contains(ownCommandLine, cmd.Name) && (parent == nil || parent.Name == "container")
	var moved, positional []string
	rest := args[i:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--" || own && len(positional) > 0:
			positional = append(positional, rest[j:]...)
			j = len(rest)
		case strings.HasPrefix(a, "-") && a != "-" && bareValues[cmd.Name][strings.TrimLeft(a, "-")] != "":
			// A flag whose value may be left out: --pull is --pull=always.
			moved = append(moved, a+"="+bareValues[cmd.Name][strings.TrimLeft(a, "-")])
		case attachedValue(cmd.Flags, a):
			// -t0 is -t 0, as Podman's parser reads it.
			moved = append(moved, a[:2], a[2:])
		case strings.HasPrefix(a, "-") && a != "-":
			moved = append(moved, a)
			if takesValue(cmd.Flags, a) && j+1 < len(rest) {
				moved = append(moved, rest[j+1])
				j++
			}
		default:
			positional = append(positional, a)
		}
	}
	return slices.Concat(args[:i], moved, positional)
}

// attachedValue tells whether tok is a one-letter flag that takes a value
// with the value attached (-t0, -p8080:80): not a flag's own name, not
// -t=0 (which urfave/cli reads), not grouped bools (-it).
func attachedValue(flags []cli.Flag, tok string) bool {
	if len(tok) < 3 || tok[0] != '-' || tok[1] == '-' || tok[2] == '=' || hasFlag(flags, tok[1:]) {
		return false
	}
	return takesValue(flags, tok[:2])
}

// hasFlag tells whether one of flags is called name.
func hasFlag(flags []cli.Flag, name string) bool {
	return slices.ContainsFunc(flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), name) })
}

// bareValues are the values of flags given without one, by command:
// build --pull is --pull=always, as Podman's.
var bareValues = map[string]map[string]string{"build": {"pull": "always"}}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.Name == name || slices.Contains(c.Aliases, name) {
			return c
		}
	}
	return nil
}

// takesValue tells whether flag token tok (-t, --time) is followed by a
// value: any flag but a bool, unless given as --flag=value. Grouped
// short flags (-it) are bools.
func takesValue(flags []cli.Flag, tok string) bool {
	name := strings.TrimLeft(tok, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			_, isBool := f.(*cli.BoolFlag)
			return !isBool
		}
	}
	return false
}
