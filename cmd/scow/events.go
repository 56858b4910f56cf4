package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/events"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/urfave/cli/v2"
)

// eventRow is an event as --format sees it, Podman's field names.
type eventRow struct {
	ID         string            `json:"ID"`
	Image      string            `json:"Image,omitempty"`
	Name       string            `json:"Name,omitempty"`
	Status     string            `json:"Status"`
	Type       string            `json:"Type"`
	Time       time.Time         `json:"Time"`
	TimeNano   int64             `json:"TimeNano"`
	Attributes map[string]string `json:"Attributes,omitempty"`
}

func eventsCommand() *cli.Command {
	return &cli.Command{
		Name:  "events",
		Usage: "show what happened to containers and images, and follow it",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "KEY=VALUE: container, event, image, type, label, volume, network"},
			&cli.StringFlag{Name: "format", Usage: "Go template over .ID .Image .Name .Status .Type .Time .Attributes, or json"},
			&cli.BoolFlag{Name: "no-trunc", Value: true, Usage: "full IDs (false: 12 digits)"},
			&cli.StringFlag{Name: "since", Usage: "only events since this time (RFC 3339, a date, Unix seconds, or a duration ago: 10m)"},
			&cli.StringFlag{Name: "until", Usage: "only events until this time; following ends then"},
			&cli.BoolFlag{Name: "stream", Value: true, Usage: "follow new events (false: print those there and exit)"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 0, 0, "events [OPTIONS]"); err != nil {
				return err
			}
			o := events.Options{Filters: c.StringSlice("filter"), Stream: c.Bool("stream")}
			now := time.Now()
			for _, b := range []struct {
				flag string
				to   *time.Time
			}{{"since", &o.Since}, {"until", &o.Until}} {
				if v := c.String(b.flag); v != "" {
					t, err := specgen.ParseTime(v, now)
					if err != nil {
						return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--%s %q: %w", b.flag, v, err))
					}
					*b.to = t
				}
			}
			format := c.String("format")
			ctx, cancel := interruptible(c.Context)
			defer cancel()
			return e.Events().Read(ctx, o, func(ev record.Event) error {
				row := eventRow{ID: ev.ID, Image: ev.Image, Name: ev.Name, Status: ev.Status, Type: ev.Type, Time: ev.Time.Local(), TimeNano: ev.Time.UnixNano(), Attributes: ev.Attributes}
				if !c.Bool("no-trunc") && len(row.ID) > 12 {
					row.ID = row.ID[:12]
				}
				var err error
				switch format {
				case "":
					_, err = fmt.Fprintln(c.App.Writer, eventLine(row))
				case "json":
					var data []byte
					if data, err = json.Marshal(row); err == nil {
						_, err = fmt.Fprintln(c.App.Writer, string(data))
					}
				default:
					err = printTemplate(c.App.Writer, format, []any{row}, nil, true)
				}
				return err
			})
		}),
	}
}

// eventLine is an event as Podman prints it: time, type, status, ID,
// then a container's image, name and attributes, another object's name.
func eventLine(r eventRow) string {
	line := fmt.Sprintf("%s %s %s %s", r.Time.Format("2006-01-02 15:04:05.000000000 -0700 MST"), r.Type, r.Status, r.ID)
	if r.Type != "container" {
		if r.Name != "" {
			line += " " + r.Name
		}
		return line
	}
	details := []string{"image=" + r.Image, "name=" + r.Name}
	for _, k := range slices.Sorted(maps.Keys(r.Attributes)) {
		details = append(details, k+"="+r.Attributes[k])
	}
	return line + " (" + strings.Join(details, ", ") + ")"
}
