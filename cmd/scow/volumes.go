package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/contents"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/volumes"
	"github.com/urfave/cli/v2"
)

// volumeRow is one line of volume ls; its fields are what --format sees.
type volumeRow struct {
	Name, Driver, Mountpoint, Scope, CreatedAt string
	Labels, Options                            map[string]string
	Anonymous                                  bool
}

var volumeHeaders = map[string]string{
	"Name": "VOLUME NAME", "Driver": "DRIVER", "Mountpoint": "MOUNTPOINT", "Scope": "SCOPE",
	"CreatedAt": "CREATED AT", "Labels": "LABELS", "Options": "OPTIONS", "Anonymous": "ANONYMOUS",
}

func volumeCommand() *cli.Command {
	return &cli.Command{
		Name:        "volume",
		Usage:       "manage named volumes",
		Description: "scow has the local volume driver only, so no volume plugins for Podman's volume reload to read again.",
		Subcommands: []*cli.Command{
			{
				Name:      "export",
				Usage:     "write a volume's data as a tar archive",
				ArgsUsage: "VOLUME",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to this file instead of standard output"}},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 1, 1, "volume export [-o FILE] VOLUME"); err != nil {
						return err
					}
					return writeOutput(c, c.String("output"), func(w io.Writer) error { return e.Volumes().Export(c.Args().First(), w) })
				}),
			},
			{
				Name:      "import",
				Usage:     "unpack a tar archive (- for standard input) into a volume, over its data",
				ArgsUsage: "VOLUME SOURCE",
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 2, 2, "volume import VOLUME FILE|-"); err != nil {
						return err
					}
					r := c.App.Reader
					if src := c.Args().Get(1); src != "-" {
						f, err := os.Open(src)
						if err != nil {
							return errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("volume import: %w", err))
						}
						defer f.Close()
						r = f
					}
					return e.Volumes().Import(c.Args().First(), r)
				}),
			},
			{
				Name:      "mount",
				Usage:     "print where a volume's data is (a local volume is a directory, always there)",
				ArgsUsage: "VOLUME",
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 1, 1, "volume mount VOLUME"); err != nil {
						return err
					}
					p, err := e.Volumes().Mountpoint(c.Args().First())
					if err == nil {
						fmt.Fprintln(c.App.Writer, p)
					}
					return err
				}),
			},
			{
				Name:      "unmount",
				Aliases:   []string{"umount"},
				Usage:     "undo volume mount: a local volume stays a directory",
				ArgsUsage: "VOLUME",
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 1, 1, "volume unmount VOLUME"); err != nil {
						return err
					}
					_, err := e.Volumes().Mountpoint(c.Args().First())
					return err
				}),
			},
			existsCommand("volume", func(_ *cli.Context, e *engine.Engine, ref string) error {
				_, err := e.Volumes().Inspect(ref)
				return err
			}),
			{
				Name:      "create",
				Usage:     "create a volume",
				ArgsUsage: "[NAME]",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "driver", Aliases: []string{"d"}, Value: "local", Usage: "volume driver (local only)"},
					&cli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "set a label KEY=VALUE"},
					&cli.StringSliceFlag{Name: "opt", Aliases: []string{"o"}, Usage: "driver option: type=tmpfs|none, o=OPTIONS, device=PATH"},
					&cli.BoolFlag{Name: "ignore", Usage: "do nothing if the volume exists"},
					&cli.IntFlag{Name: "uid", Usage: "owner of the volume's directory (a UID in the user namespace)"},
					&cli.IntFlag{Name: "gid", Usage: "group of the volume's directory"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 0, 1, "volume create [OPTIONS] [NAME]"); err != nil {
						return err
					}
					o := volumes.VolumeCreateOptions{
						Name: c.Args().First(), Driver: c.String("driver"), Labels: c.StringSlice("label"), Opts: c.StringSlice("opt"), IgnoreExisting: c.Bool("ignore"),
					}
					for flag, dst := range map[string]**int{"uid": &o.UID, "gid": &o.GID} {
						if c.IsSet(flag) {
							n := c.Int(flag)
							*dst = &n
						}
					}
					v, err := e.Volumes().Create(o)
					if err != nil {
						return err
					}
					fmt.Fprintln(c.App.Writer, v.Name)
					return nil
				}),
			},
			{
				Name:    "ls",
				Aliases: []string{"list"},
				Usage:   "list volumes",
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "name=, label=KEY[=VALUE], driver=, dangling=true|false"},
					&cli.StringFlag{Name: "format", Usage: "Go template for each volume, or json"},
					&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only volume names"},
					noHeadingFlag("n"),
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 0, 0, "volume ls [OPTIONS]"); err != nil {
						return err
					}
					vols, err := e.Volumes().List(c.StringSlice("filter"))
					if err != nil {
						return err
					}
					var rows []any
					for _, v := range vols {
						if c.Bool("quiet") {
							fmt.Fprintln(c.App.Writer, v.Name)
							continue
						}
						rows = append(rows, volumeRow{
							Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Scope: v.Scope,
							CreatedAt: v.CreatedAt.Local().String(), Labels: v.Labels, Options: v.Options, Anonymous: v.Anonymous,
						})
					}
					if c.Bool("quiet") {
						return nil
					}
					format := c.String("format")
					if format == "" {
						format = "table {{.Driver}}\t{{.Name}}"
					}
					return printTemplate(c.App.Writer, format, rows, volumeHeaders, c.Bool("noheading"))
				}),
			},
			{
				Name:      "inspect",
				Usage:     "show volumes' details as JSON",
				ArgsUsage: "VOLUME [VOLUME...]",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "Go template for each volume"},
					&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "inspect every volume"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					var vols []*volumes.Volume
					if c.Bool("all") {
						all, err := e.Volumes().List(nil)
						if err != nil {
							return err
						}
						vols = all
					} else {
						if err := exactArgs(c, 1, -1, "volume inspect [OPTIONS] VOLUME [VOLUME...]"); err != nil {
							return err
						}
						for _, name := range c.Args().Slice() {
							v, err := e.Volumes().Inspect(name)
							if err != nil {
								return err
							}
							vols = append(vols, v)
						}
					}
					rows := make([]any, len(vols))
					for i, v := range vols {
						rows[i] = v
					}
					return printObjects(c.App.Writer, c.String("format"), rows)
				}),
			},
			{
				Name:      "rm",
				Aliases:   []string{"remove"},
				Usage:     "remove volumes",
				ArgsUsage: "VOLUME [VOLUME...]",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "remove the containers that use the volume first"},
					&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Usage: "with --force, stop those containers with this many seconds' grace before SIGKILL"},
					&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove every volume"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					names := c.Args().Slice()
					if c.Bool("all") {
						vols, err := e.Volumes().List(nil)
						if err != nil {
							return err
						}
						names = nil
						for _, v := range vols {
							names = append(names, v.Name)
						}
					} else if len(names) == 0 {
						return errors.New("volume rm: give at least one volume name")
					}
					return eachRef(c, names, func(n string) (string, error) {
						return n, e.Volumes().Remove(c.Context, n, c.Bool("force"), timeoutFlag(c))
					})
				}),
			},
			{
				Name:  "prune",
				Usage: "remove the volumes no container uses, named ones too (as Podman; Docker keeps those without -a)",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "Docker's spelling of what scow does anyway: named volumes go too"},
					&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation (needed without a terminal)"},
					&cli.StringSliceFlag{Name: "filter", Usage: "name=, label=KEY[=VALUE], driver=, opt=, scope=, dangling=, until="},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if ok, err := confirm(c, "all volumes not used by at least one container"); !ok {
						return err
					}
					names, err := e.Volumes().Prune(c.StringSlice("filter"))
					for _, n := range names {
						fmt.Fprintln(c.App.Writer, n)
					}
					return err
				}),
			},
		},
	}
}

func cpCommand() *cli.Command {
	return &cli.Command{
		Name:      "cp",
		Usage:     "copy files between a container and the host",
		ArgsUsage: "[CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "archive", Aliases: []string{"a"}, Usage: "keep the owners (UID:GID) of what is copied"},
			&cli.BoolFlag{Name: "follow-link", Aliases: []string{"L"}, Usage: "follow a symlink given as the source"},
			&cli.BoolFlag{Name: "overwrite", Usage: "let a directory replace a file, or a file a directory"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 2, 2, "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-, or SRC_PATH|- CONTAINER:DEST_PATH"); err != nil {
				return err
			}
			o := contents.CopyOptions{Archive: c.Bool("archive"), FollowLink: c.Bool("follow-link"), Overwrite: c.Bool("overwrite")}
			return e.Contents().Copy(c.Context, c.Args().Get(0), c.Args().Get(1), o, c.App.Reader, c.App.Writer)
		}),
	}
}
