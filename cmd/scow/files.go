package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/contents"
	"github.com/scow-project/scow/engine/images"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

func commitCommand() *cli.Command {
	return &cli.Command{
		Name:      "commit",
		Usage:     "make an image of a container's changes",
		ArgsUsage: "CONTAINER [IMAGE]",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "change", Aliases: []string{"c"}, Usage: "apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)"},
			&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "commit message, kept in the image's history"},
			&cli.StringFlag{Name: "author", Aliases: []string{"a"}, Usage: "author of the image"},
			&cli.BoolFlag{Name: "pause", Aliases: []string{"p"}, Usage: "freeze a running container while committing"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the image ID (the default)"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "oci", Usage: "manifest format: oci or docker"},
			&cli.StringFlag{Name: "iidfile", Usage: "write the image ID to this file"},
			&cli.BoolFlag{Name: "include-volumes", Usage: "add the container's volume mount points to the image's volumes"},
			&cli.StringFlag{Name: "config", Usage: "a JSON image config whose settings go over the container's"},
			&cli.BoolFlag{Name: "squash", Aliases: []string{"s"}, Usage: "make the image one layer of all the container's files"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, 2, "commit [OPTIONS] CONTAINER [IMAGE]"); err != nil {
				return err
			}
			id, err := e.Contents().Commit(c.Context, c.Args().Get(0), c.Args().Get(1), contents.CommitOptions{
				Changes: c.StringSlice("change"), Author: c.String("author"), Message: c.String("message"), Pause: c.Bool("pause"),
				Format: c.String("format"), IIDFile: c.String("iidfile"), IncludeVolumes: c.Bool("include-volumes"), ConfigFile: c.String("config"), Squash: c.Bool("squash"),
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, id)
			return nil
		}),
	}
}

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "list the files a container added (A), changed (C) and deleted (D)",
		ArgsUsage: "CONTAINER",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Usage: "json for a JSON list"},
			latestFlag(),
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			ref, _, err := containerArgs(c, e, 0, 0, "diff [OPTIONS] CONTAINER")
			if err != nil {
				return err
			}
			changes, err := e.Contents().Diff(ref)
			if err != nil {
				return err
			}
			switch c.String("format") {
			case "json":
				return printJSON(c.App.Writer, changes)
			case "":
				for _, ch := range changes {
					fmt.Fprintf(c.App.Writer, "%s %s\n", ch.Kind, ch.Path)
				}
				return nil
			}
			return fmt.Errorf("diff --format %q: only json is supported", c.String("format"))
		}),
	}
}

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a container's filesystem as a tar archive",
		ArgsUsage: "CONTAINER",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to this file instead of stdout"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, 1, "export [OPTIONS] CONTAINER"); err != nil {
				return err
			}
			return writeOutput(c, c.String("output"), func(w io.Writer) error { return e.Contents().Export(c.Args().First(), w) })
		}),
	}
}

// writeOutput has write write an archive to the file path, removed
// again if it fails, or to standard output, never a terminal.
func writeOutput(c *cli.Context, path string, write func(io.Writer) error) error {
	if path == "" {
		if isTerminalWriter(c.App.Writer) {
			return fmt.Errorf("%s: refusing to write a tar archive to a terminal: use -o FILE or redirect", c.Command.Name)
		}
		return write(c.App.Writer)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Command.Name, err)
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

func mountCommand() *cli.Command {
	return &cli.Command{
		Name:      "mount",
		Usage:     "mount containers' root filesystems and print where (rootless: inside scow unshare)",
		ArgsUsage: "[CONTAINER...]",
		Flags: []cli.Flag{allFlag("a"), latestFlag(),
			&cli.StringFlag{Name: "format", Usage: "json, or a Go template over .ID and .Mountpoint, for the list of mounted containers"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "print whole container IDs"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if c.NArg() == 0 && !c.Bool("all") && !c.Bool("latest") {
				mounted, err := e.Contents().Mounted()
				if err != nil {
					return err
				}
				return printMounts(c, mounted)
			}
			return eachContainer(c, e, selection(c, false), e.Contents().Mount)
		}),
	}
}

// printMounts lists mounted containers or images: ID and mount point.
func printMounts(c *cli.Context, mounted map[string]string) error {
	ids := make([]string, 0, len(mounted))
	for id := range mounted {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var rows []any
	for _, id := range ids {
		short := id
		if !c.Bool("no-trunc") {
			short = id[:12]
		}
		rows = append(rows, struct{ ID, Mountpoint string }{short, mounted[id]})
	}
	format := c.String("format")
	if format == "" {
		format = "{{.ID}} {{.Mountpoint}}"
	}
	return printTemplate(c.App.Writer, format, rows, nil, false)
}

func imageMountCommand() *cli.Command {
	return &cli.Command{
		Name:      "mount",
		Usage:     "mount images read-only and print where (rootless: inside scow unshare); none: list the mounted ones",
		ArgsUsage: "[IMAGE...]",
		Flags: []cli.Flag{allFlag("a"),
			&cli.StringFlag{Name: "format", Usage: "json, or a Go template over .ID and .Mountpoint, for the list of mounted images"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			refs := c.Args().Slice()
			if c.Bool("all") {
				list, err := e.Images().List(images.ListOptions{})
				if err != nil {
					return err
				}
				refs = nil
				for _, img := range list {
					if !slices.Contains(refs, img.ID) {
						refs = append(refs, img.ID)
					}
				}
			} else if len(refs) == 0 {
				mounted, err := e.Contents().MountedImages()
				if err != nil {
					return err
				}
				return printMounts(c, mounted)
			}
			return eachRef(c, refs, e.Contents().MountImage)
		}),
	}
}

func imageUnmountCommand() *cli.Command {
	return &cli.Command{
		Name:      "unmount",
		Aliases:   []string{"umount"},
		Usage:     "undo a mount of images",
		ArgsUsage: "IMAGE [IMAGE...]",
		Flags: []cli.Flag{allFlag("a"),
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "undo every mount of the image, not only one"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			refs := c.Args().Slice()
			if c.Bool("all") {
				mounted, err := e.Contents().MountedImages()
				if err != nil {
					return err
				}
				refs = slices.Sorted(maps.Keys(mounted))
			} else if len(refs) == 0 {
				return errors.New("image unmount: give an image, or --all")
			}
			return eachRef(c, refs, func(ref string) (string, error) { return e.Contents().UnmountImage(ref, c.Bool("force")) })
		}),
	}
}

func unmountCommand() *cli.Command {
	return &cli.Command{
		Name:      "unmount",
		Aliases:   []string{"umount"},
		Usage:     "undo a mount of containers' root filesystems",
		ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags: []cli.Flag{
			allFlag("a"), latestFlag(),
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "undo every mount of the root filesystem, not only one"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			return eachContainer(c, e, selection(c, false), func(ref string) (string, error) {
				return e.Contents().Unmount(ref, c.Bool("force"))
			})
		}),
	}
}

func unshareCommand() *cli.Command {
	return &cli.Command{
		Name:      "unshare",
		Usage:     "run a command (a shell by default) in scow's user namespace",
		ArgsUsage: "[COMMAND [ARG...]]",
		// Everything after unshare's own flags is the command's: they are
		// read here, not by the flag parser.
		SkipFlagParsing: true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "rootless-netns", Usage: "enter the network namespace of the rootless named networks too"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			args, netns := c.Args().Slice(), false
			for len(args) > 0 && strings.HasPrefix(args[0], "-") {
				switch args[0] {
				case "--rootless-netns":
					netns = true
				case "--help", "-h":
					return cli.ShowCommandHelp(c, c.Command.Name)
				case "--":
					args = args[1:]
					return unshare(e, args, netns)
				default:
					return fmt.Errorf("unshare: unknown flag %s: give it after the command", args[0])
				}
				args = args[1:]
			}
			return unshare(e, args, netns)
		}),
	}
}

// unshare becomes args in scow's namespace, with the descriptors scow
// inherited, which keepInherited made close-on-exec, inherited again.
func unshare(e *engine.Engine, args []string, netns bool) error {
	for fd := range inherited {
		unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0)
	}
	return e.Contents().Unshare(args, netns)
}
