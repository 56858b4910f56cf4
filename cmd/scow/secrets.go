package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/secrets"
	"github.com/urfave/cli/v2"
)

// secretRow is a line of secret ls.
type secretRow struct {
	ID, Name, Driver, CreatedAt, UpdatedAt string
}

func secretCommand() *cli.Command {
	return &cli.Command{
		Name:  "secret",
		Usage: "manage secrets: data containers get at start (run --secret), kept out of images, commits and inspect",
		Subcommands: []*cli.Command{
			existsCommand("secret", func(_ *cli.Context, e *engine.Engine, ref string) error {
				_, _, err := e.Secrets().Inspect(ref, false)
				return err
			}),
			{
				Name:      "create",
				Usage:     "make a secret from a file, standard input (-), or with --env an environment variable",
				ArgsUsage: "NAME FILE|-",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "driver", Aliases: []string{"d"}, Value: "file", Usage: "file, the only driver"},
					&cli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "KEY=VALUE"},
					&cli.BoolFlag{Name: "env", Usage: "the second argument names an environment variable that holds the data"},
					&cli.BoolFlag{Name: "replace", Usage: "give a secret of the same name this data (its containers get it at their next start)"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 2, 2, "secret create [OPTIONS] NAME FILE|-"); err != nil {
						return err
					}
					src := c.Args().Get(1)
					var data []byte
					var err error
					switch {
					case c.Bool("env"):
						v, ok := os.LookupEnv(src)
						if !ok {
							return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("secret create --env: no environment variable %s", src))
						}
						data = []byte(v)
					case src == "-":
						data, err = io.ReadAll(io.LimitReader(c.App.Reader, secrets.MaxSize+1))
					default:
						data, err = os.ReadFile(src)
					}
					if err != nil {
						return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("secret create: %w", err))
					}
					id, err := e.Secrets().Create(c.Args().First(), data, c.String("driver"), c.StringSlice("label"), c.Bool("replace"))
					if err == nil {
						fmt.Fprintln(c.App.Writer, id)
					}
					return err
				}),
			},
			{
				Name:    "ls",
				Aliases: []string{"list"},
				Usage:   "list secrets",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "format", Usage: "json, or a Go template over .ID .Name .Driver .CreatedAt .UpdatedAt"},
					&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "name=, id="},
					&cli.BoolFlag{Name: "noheading", Aliases: []string{"n"}, Usage: "no header line"},
					&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "IDs only"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					list, err := e.Secrets().List()
					if err != nil {
						return err
					}
					var rows []any
					for _, s := range list {
						keep := true
						for _, f := range c.StringSlice("filter") {
							k, v, _ := strings.Cut(f, "=")
							switch k {
							case "name":
								keep = keep && strings.Contains(s.Spec.Name, v)
							case "id":
								keep = keep && strings.HasPrefix(s.ID, v)
							default:
								return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("secret ls --filter %q: use name= or id=", f))
							}
						}
						if keep {
							rows = append(rows, secretRow{ID: s.ID, Name: s.Spec.Name, Driver: s.Spec.Driver.Name,
								CreatedAt: units.HumanDuration(time.Since(s.CreatedAt)) + " ago", UpdatedAt: units.HumanDuration(time.Since(s.UpdatedAt)) + " ago"})
						}
					}
					format := c.String("format")
					switch {
					case c.Bool("quiet"):
						format = "{{.ID}}"
					case format == "":
						format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}"
					}
					headers := map[string]string{"ID": "ID", "Name": "NAME", "Driver": "DRIVER", "CreatedAt": "CREATED", "UpdatedAt": "UPDATED"}
					return printTemplate(c.App.Writer, format, rows, headers, c.Bool("noheading"))
				}),
			},
			{
				Name:      "inspect",
				Usage:     "show secrets' records as JSON; their data only with --showsecret",
				ArgsUsage: "SECRET [SECRET...]",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "Go template over the record"},
					&cli.BoolFlag{Name: "pretty", Usage: "readable text instead of JSON"},
					&cli.BoolFlag{Name: "showsecret", Usage: "the data too, as SecretData"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 1, -1, "secret inspect [OPTIONS] SECRET [SECRET...]"); err != nil {
						return err
					}
					type shown struct {
						*secrets.Secret
						SecretData string `json:"SecretData,omitempty"`
					}
					var rows []any
					for _, ref := range c.Args().Slice() {
						s, data, err := e.Secrets().Inspect(ref, c.Bool("showsecret"))
						if err != nil {
							return err
						}
						rows = append(rows, shown{Secret: s, SecretData: string(data)})
					}
					if c.Bool("pretty") {
						for _, r := range rows {
							s := r.(shown)
							fmt.Fprintf(c.App.Writer, "ID:\t%s\nName:\t%s\nDriver:\t%s\nCreated at:\t%s\nUpdated at:\t%s\n", s.ID, s.Spec.Name, s.Spec.Driver.Name, s.CreatedAt, s.UpdatedAt)
						}
						return nil
					}
					return printObjects(c.App.Writer, c.String("format"), rows)
				}),
			},
			{
				Name:      "rm",
				Aliases:   []string{"remove"},
				Usage:     "remove secrets no container uses",
				ArgsUsage: "SECRET [SECRET...]",
				Flags: []cli.Flag{
					allFlag("a"),
					&cli.BoolFlag{Name: "ignore", Aliases: []string{"i"}, Usage: "a secret that does not exist is no error"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					refs := c.Args().Slice()
					if c.Bool("all") {
						list, err := e.Secrets().List()
						if err != nil {
							return err
						}
						refs = nil
						for _, s := range list {
							refs = append(refs, s.ID)
						}
					} else if len(refs) == 0 {
						return errors.New("secret rm: give a secret, or --all")
					}
					return eachRef(c, refs, func(ref string) (string, error) {
						id, err := e.Secrets().Remove(ref)
						if errors.Is(err, errdefs.ErrNotFound) && c.Bool("ignore") {
							return "", nil
						}
						return id, err
					})
				}),
			},
		},
	}
}
