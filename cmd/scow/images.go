package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/images"
	"github.com/urfave/cli/v2"
)

// imageRow is one line of `images`; its fields are what --format sees.
type imageRow struct {
	ID, Repository, Tag, Digest, Created, CreatedSince, Size, History string
	CreatedAt                                                         time.Time
	Names                                                             []string
}

var imageHeaders = map[string]string{
	"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
	"Created": "CREATED", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE", "History": "HISTORY",
}

func imagesCommand() *cli.Command {
	return &cli.Command{
		Name:    "images",
		Aliases: []string{"list", "ls"},
		Usage:   "list images",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show all images, a build's intermediate ones too"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only image IDs"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate IDs"},
			noHeadingFlag("n"),
			&cli.StringFlag{Name: "sort", Value: "created", Usage: "order by created, id, repository, size or tag"},
			&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "KEY=VALUE: before, since, after, dangling, label, reference, until, id, digest, containers, readonly, intermediate, manifest"},
			&cli.BoolFlag{Name: "digests", Usage: "show digests"},
			&cli.BoolFlag{Name: "history", Usage: "show the names each image has had"},
			&cli.StringFlag{Name: "format", Usage: "Go template for each image, or json"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 0, 1, "images [REPOSITORY[:TAG]]"); err != nil {
				return err
			}
			filters := c.StringSlice("filter")
			if ref := c.Args().First(); ref != "" {
				if len(filters) > 0 {
					return errors.New("images: give an image name or --filter reference=NAME, not both")
				}
				filters = []string{"reference=" + ref}
			}
			imgs, err := e.Images().List(images.ListOptions{Filters: filters, Sort: c.String("sort"), All: c.Bool("all")})
			if err != nil {
				return err
			}
			var rows []any
			seen := map[string]bool{}
			for _, img := range imgs {
				id := img.ID[:12]
				if c.Bool("no-trunc") {
					id = "sha256:" + img.ID
				}
				if c.Bool("quiet") {
					if !seen[id] {
						fmt.Fprintln(c.App.Writer, id)
					}
					seen[id] = true
					continue
				}
				since := units.HumanDuration(time.Since(img.Created)) + " ago"
				rows = append(rows, imageRow{
					ID: id, Repository: img.Repository, Tag: img.Tag, Digest: img.Digest.String(),
					Created: since, CreatedSince: since, CreatedAt: img.Created,
					Size: units.HumanSizeWithPrecision(float64(img.Size), 3), Names: img.Names,
					History: strings.Join(img.NamesHistory, ", "),
				})
			}
			if c.Bool("quiet") {
				return nil
			}
			format := c.String("format")
			if format == "" {
				format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
				if c.Bool("digests") {
					format = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
				}
				if c.Bool("history") {
					format += "\t{{.History}}"
				}
			}
			return printTemplate(c.App.Writer, format, rows, imageHeaders, c.Bool("noheading"))
		}),
	}
}

func tagCommand() *cli.Command {
	return &cli.Command{
		Name:      "tag",
		Usage:     "add names to an image",
		ArgsUsage: "IMAGE TARGET [TARGET...]",
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 2, -1, "tag IMAGE TARGET [TARGET...]"); err != nil {
				return err
			}
			for _, t := range c.Args().Slice()[1:] {
				if err := e.Images().Tag(c.Args().First(), t); err != nil {
					return err
				}
			}
			return nil
		}),
	}
}

func untagCommand() *cli.Command {
	return &cli.Command{
		Name:      "untag",
		Usage:     "remove names from an image (all of them when none is given); the image stays",
		ArgsUsage: "IMAGE [NAME...]",
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, -1, "untag IMAGE [NAME...]"); err != nil {
				return err
			}
			return e.Images().Untag(c.Args().First(), c.Args().Tail())
		}),
	}
}

func rmiCommand() *cli.Command {
	return &cli.Command{
		Name:      "rmi",
		Usage:     "remove images",
		ArgsUsage: "IMAGE [IMAGE...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "also remove containers that use the image (implies --ignore)"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove every image"},
			&cli.BoolFlag{Name: "ignore", Aliases: []string{"i"}, Usage: "an image that does not exist is no error"},
			&cli.BoolFlag{Name: "no-prune", Usage: "keep the untagged images under it that a build left"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			names := c.Args().Slice()
			report := func(res *images.RemoveResult) {
				for _, u := range res.Untagged {
					fmt.Fprintf(c.App.Writer, "Untagged: %s\n", u)
				}
				if res.Deleted != "" {
					fmt.Fprintf(c.App.Writer, "Deleted: %s\n", res.Deleted)
				}
				for _, p := range res.Parents {
					fmt.Fprintf(c.App.Writer, "Deleted: %s\n", p)
				}
			}
			switch {
			case c.Bool("all") && len(names) > 0:
				return errors.New("rmi: give image names or --all, not both")
			case c.Bool("all"):
				all, err := e.Images().RemoveAll(c.Context, c.Bool("force"))
				for _, res := range all {
					report(res)
				}
				return err
			case len(names) == 0:
				return errors.New("rmi: usage: scow rmi [-f] IMAGE [IMAGE...], or --all")
			}
			ignore := c.Bool("ignore") || c.Bool("force")
			var firstErr error
			for _, name := range names {
				res, err := e.Images().Remove(c.Context, name, c.Bool("force"), !c.Bool("no-prune"))
				if ignore && errors.Is(err, errdefs.ErrNotFound) {
					continue
				}
				if err != nil {
					if firstErr != nil {
						fmt.Fprintf(c.App.ErrWriter, "Error: %s\n", oneLine(firstErr))
					}
					firstErr = err
					continue
				}
				report(res)
			}
			return firstErr
		}),
	}
}

func imageCommand() *cli.Command {
	return &cli.Command{
		Name:  "image",
		Usage: "manage images",
		Description: "Podman's image subcommands scow has not: build (builds come later), diff, tree, scp (to another host over\n" +
			"ssh), sign and trust (scow signs with push --sign-by-sigstore-private-key and verifies with policy.json).",
		Subcommands: slices.DeleteFunc([]*cli.Command{
			buildCommand("build"),
			existsCommand("image", func(_ *cli.Context, e *engine.Engine, ref string) error { _, err := e.Images().Get(ref); return err }),
			{
				Name:      "inspect",
				Usage:     "show images' details as JSON",
				ArgsUsage: "IMAGE [IMAGE...]",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "Go template for each image"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 1, -1, "image inspect IMAGE [IMAGE...]"); err != nil {
						return err
					}
					var rows []any
					for _, name := range c.Args().Slice() {
						info, err := e.Images().Inspect(name)
						if err != nil {
							return err
						}
						rows = append(rows, info)
					}
					return printObjects(c.App.Writer, c.String("format"), rows)
				}),
			},
			renamed(imagesCommand(), "ls", "list"),
			renamed(historyCommand(), "history"),
			imagePruneCommand(),
			renamed(pullCommand(), "pull"),
			renamed(pushCommand(), "push"),
			renamed(importCommand(), "import"),
			renamed(loadCommand(), "load"),
			renamed(saveCommand(), "save"),
			renamed(tagCommand(), "tag"),
			renamed(untagCommand(), "untag"),
			imageMountCommand(),
			imageUnmountCommand(),
			renamed(searchCommand(), "search"),
			renamed(rmiCommand(), "rm"),
		}, func(c *cli.Command) bool { return c == nil }), // the light build's (light.go)
	}
}

// renamed reuses a top-level command under `image` with another name; a
// command the light build has not (nil) stays nil.
func renamed(c *cli.Command, name string, aliases ...string) *cli.Command {
	if c != nil {
		c.Name, c.Aliases = name, aliases
	}
	return c
}

// historyRow is one line of history.
type historyRow struct {
	ID, Created, CreatedBy, Size, Comment string
	CreatedAt                             time.Time
}

func historyCommand() *cli.Command {
	return &cli.Command{
		Name:      "history",
		Usage:     "show an image's build steps",
		ArgsUsage: "IMAGE",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate IDs and commands"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only IDs"},
			&cli.StringFlag{Name: "format", Usage: "Go template for each step, or json"},
			&cli.BoolFlag{Name: "human", Aliases: []string{"H"}, Value: true, Usage: "sizes and times for people (false: bytes and RFC 3339)"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, 1, "history IMAGE"); err != nil {
				return err
			}
			steps, err := e.Images().History(c.Args().First())
			if err != nil {
				return err
			}
			var rows []any
			for _, h := range steps {
				id, by := h.ID, h.CreatedBy
				if !c.Bool("no-trunc") {
					if len(id) > 12 {
						id = id[:12]
					}
					if len(by) > 45 {
						by = by[:42] + "..."
					}
				}
				if c.Bool("quiet") {
					fmt.Fprintln(c.App.Writer, id)
					continue
				}
				created, size := units.HumanDuration(time.Since(h.Created))+" ago", units.HumanSizeWithPrecision(float64(h.Size), 3)
				if !c.Bool("human") {
					created, size = h.Created.Format(time.RFC3339), fmt.Sprint(h.Size)
				}
				rows = append(rows, historyRow{
					ID: id, Created: created, CreatedAt: h.Created, CreatedBy: by, Size: size, Comment: h.Comment,
				})
			}
			if c.Bool("quiet") {
				return nil
			}
			format := c.String("format")
			if format == "" {
				format = "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
			}
			return printTemplate(c.App.Writer, format, rows, map[string]string{"ID": "ID", "Created": "CREATED", "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"}, false)
		}),
	}
}
