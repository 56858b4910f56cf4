//go:build !scow_light

package main

import (
	"fmt"
	"strings"

	"github.com/docker/go-units"
	"github.com/scow-project/scow/engine"
	"github.com/urfave/cli/v2"
)

func systemCommand() *cli.Command {
	return &cli.Command{
		Name:  "system",
		Usage: "manage scow itself: disk use, pruning, reset",
		Description: "Podman's system subcommands scow has not: connection and service (scow has no remote mode and no API\n" +
			"service), migrate, renumber and check (libpod's database, which scow has not).",
		Subcommands: []*cli.Command{
			renamed(infoCommand(), "info"),
			renamed(eventsCommand(), "events"),
			{
				Name:  "boot",
				Usage: "start, after a reboot, the containers of --restart always and unless-stopped (for a unit or a login hook; running ones are left alone)",
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 0, 0, "system boot"); err != nil {
						return err
					}
					ids, err := e.Boot(c.Context)
					for _, id := range ids {
						fmt.Fprintln(c.App.Writer, id)
					}
					return err
				}),
			},
			{
				Name:  "prune",
				Usage: "remove stopped containers, unused networks and unnamed images (and more with --all, --volumes)",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove every unused image, not only unnamed ones"},
					&cli.BoolFlag{Name: "volumes", Usage: "remove unused volumes too"},
					&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask"},
					&cli.StringSliceFlag{Name: "filter", Usage: "label=KEY[=VALUE] or label!=KEY[=VALUE]"},
					&cli.BoolFlag{Name: "build", Usage: "remove too the containers of builds that were killed"},
					&cli.BoolFlag{Name: "external", Usage: "remove too the store's containers scow did not make (but running builds')"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					what := "all stopped containers, networks no container uses and unnamed images"
					if c.Bool("all") {
						what = "all stopped containers, networks no container uses and every image no container uses"
					}
					if c.Bool("volumes") {
						what += ", and volumes no container uses"
					}
					if c.Bool("build") {
						what += ", and the containers of killed builds"
					}
					if c.Bool("external") {
						what += ", and the store's containers scow did not make"
					}
					if ok, err := confirm(c, what); !ok {
						return err
					}
					r, err := e.Prune(c.Context, engine.PruneOptions{All: c.Bool("all"), Volumes: c.Bool("volumes"), Filters: c.StringSlice("filter"), Build: c.Bool("build"), External: c.Bool("external")})
					if r == nil {
						return err
					}
					for _, s := range []struct {
						title string
						items []string
					}{{"Containers", r.Containers}, {"Networks", r.Networks}, {"Volumes", r.Volumes}, {"Images", r.Images}} {
						if len(s.items) > 0 {
							fmt.Fprintf(c.App.Writer, "Deleted %s\n%s\n", s.title, strings.Join(s.items, "\n"))
						}
					}
					fmt.Fprintf(c.App.Writer, "Total reclaimed space: %s\n", units.HumanSize(float64(r.ImageBytes)))
					return err
				}),
			},
			{
				Name:  "reset",
				Usage: "remove every container, image, volume and network, and scow's storage",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask"}},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 0, 0, "system reset [--force]"); err != nil {
						return err
					}
					if ok, err := confirm(c, "every container, image, volume and network, and all of scow's storage"); !ok {
						return err
					}
					return e.Reset(c.Context)
				}),
			},
			{
				Name:  "df",
				Usage: "show what images, containers and volumes take on disk",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list each image, container and volume"},
					&cli.StringFlag{Name: "format", Usage: "Go template for each line, or json"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					use, err := e.DiskUsage(c.Context)
					if err != nil {
						return err
					}
					if c.Bool("verbose") {
						return printDiskItems(c, use)
					}
					var rows []any
					for _, u := range use {
						pct := 0
						if u.Size > 0 {
							pct = int(100 * u.Reclaimable / u.Size)
						}
						rows = append(rows, dfRow{
							Type: u.Type, Total: u.Total, Active: u.Active, Size: units.HumanSize(float64(u.Size)),
							Reclaimable: fmt.Sprintf("%s (%d%%)", units.HumanSize(float64(u.Reclaimable)), pct),
						})
					}
					format := c.String("format")
					if format == "" {
						format = "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
					}
					return printTemplate(c.App.Writer, format, rows, nil, false)
				}),
			},
		},
	}
}

// dfRow is one line of system df.
type dfRow struct {
	Type          string
	Total, Active int
	Size          string
	Reclaimable   string
}

// printDiskItems is system df -v: a table per kind.
func printDiskItems(c *cli.Context, use []engine.DiskUse) error {
	for i, u := range use {
		if i > 0 {
			fmt.Fprintln(c.App.Writer)
		}
		fmt.Fprintf(c.App.Writer, "%s space usage:\n\n", strings.TrimPrefix(u.Type, "Local "))
		var rows []any
		for _, it := range u.Items {
			rows = append(rows, struct {
				ID, Name, Size string
				Users          int
				Active         bool
			}{it.ID[:min(12, len(it.ID))], it.Name, units.HumanSize(float64(it.Size)), it.Users, it.Active})
		}
		format := "table {{.ID}}\t{{.Name}}\t{{.Size}}\t{{.Users}}"
		if u.Type == "Containers" {
			format = "table {{.ID}}\t{{.Name}}\t{{.Size}}\t{{.Active}}"
		}
		if err := printTemplate(c.App.Writer, format, rows, map[string]string{"ID": "ID", "Users": "CONTAINERS", "Active": "RUNNING"}, false); err != nil {
			return err
		}
	}
	return nil
}
