package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	units "github.com/docker/go-units"
	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/urfave/cli/v2"
)

// statsRow is a line of stats, with Podman's fields.
type statsRow struct {
	ID, Name, CPUPerc, MemUsage, MemPerc, NetIO, BlockIO, PIDs, CPU, AVGCPU string
}

var statsHeaders = map[string]string{
	"ID": "ID", "Name": "NAME", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %",
	"NetIO": "NET IO", "BlockIO": "BLOCK IO", "PIDs": "PIDS", "CPU": "CPU TIME", "AVGCPU": "AVG CPU %",
}

func statsCommand() *cli.Command {
	return &cli.Command{
		Name:      "stats",
		Usage:     "show what running containers use: CPU, memory, network and block I/O, processes",
		ArgsUsage: "[CONTAINER...]",
		Flags: []cli.Flag{
			allFlag("a"), latestFlag(),
			&cli.StringFlag{Name: "format", Usage: "json, or a Go template over .ID .Name .CPUPerc .MemUsage .MemPerc .NetIO .BlockIO .PIDs .CPU .AVGCPU"},
			&cli.IntFlag{Name: "interval", Aliases: []string{"i"}, Value: 5, Usage: "seconds between readings"},
			&cli.BoolFlag{Name: "no-stream", Usage: "one reading, then exit"},
			&cli.BoolFlag{Name: "no-reset", Usage: "do not clear the terminal between readings"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "whole container IDs"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			prev := map[string]*containers.Stats{}
			format := "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}\t{{.CPU}}\t{{.AVGCPU}}"
			return statsLoop(c, format, statsHeaders, func(ctx context.Context) ([]any, error) {
				refs := c.Args().Slice()
				if len(refs) == 0 || c.Bool("all") || c.Bool("latest") {
					// No names: every running container, as Podman's;
					// --all adds the others.
					sel := containers.Selection{All: !c.Bool("latest"), Latest: c.Bool("latest"), Running: !c.Bool("all")}
					ids, err := e.Containers().Select(ctx, sel)
					if err != nil {
						return nil, err
					}
					refs = ids
				}
				var rows []any
				for _, ref := range refs {
					s, err := e.Containers().Stats(ctx, ref, c.Bool("all"))
					if err != nil {
						return nil, err
					}
					rows = append(rows, statsLine(s, prev[s.ID], c.Bool("no-trunc")))
					prev[s.ID] = s
				}
				return rows, nil
			})
		}),
	}
}

// statsLoop prints the rows that read returns, in format unless
// --format gives another: once with --no-stream, else every --interval
// seconds until interrupted, clearing a terminal in between unless
// --no-reset.
func statsLoop(c *cli.Context, format string, headers map[string]string, read func(ctx context.Context) ([]any, error)) error {
	if c.Int("interval") < 1 {
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("stats --interval: give 1 second at least"))
	}
	ctx, cancel := interruptible(c.Context)
	defer cancel()
	if f := c.String("format"); f != "" {
		format = f
	}
	for {
		rows, err := read(ctx)
		if err != nil {
			return err
		}
		if !c.Bool("no-stream") && !c.Bool("no-reset") && isTerminalWriter(c.App.Writer) {
			fmt.Fprint(c.App.Writer, "\033[H\033[2J")
		}
		if err := printTemplate(c.App.Writer, format, rows, headers, false); err != nil {
			return err
		}
		if c.Bool("no-stream") {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Duration(c.Int("interval")) * time.Second):
		}
	}
}

// statsLine formats reading s; CPU % is over the time since prev, or
// since the start for a first reading.
func statsLine(s, prev *containers.Stats, noTrunc bool) statsRow {
	id := s.ID
	if !noTrunc {
		id = id[:12]
	}
	r := statsRow{ID: id, Name: s.Name, CPUPerc: "--", MemUsage: "-- / --", MemPerc: "--", BlockIO: "-- / --", CPU: "--", AVGCPU: "--",
		NetIO: units.HumanSize(float64(s.NetRx)) + " / " + units.HumanSize(float64(s.NetTx)), PIDs: fmt.Sprint(s.PIDs)}
	percent := func(part, whole float64) string {
		if whole <= 0 {
			return "0.00%"
		}
		return fmt.Sprintf("%.2f%%", 100*part/whole)
	}
	if s.HasCPU {
		up := s.Time.Sub(s.StartedAt)
		r.CPU, r.AVGCPU = s.CPU.Round(time.Millisecond).String(), percent(float64(s.CPU), float64(up))
		r.CPUPerc = r.AVGCPU
		if prev != nil && prev.StartedAt.Equal(s.StartedAt) && s.CPU >= prev.CPU {
			// (A restart in between starts the count again.)
			r.CPUPerc = percent(float64(s.CPU-prev.CPU), float64(s.Time.Sub(prev.Time)))
		}
	}
	if s.HasMem {
		r.MemUsage = units.HumanSize(float64(s.MemUsage)) + " / " + units.HumanSize(float64(s.MemLimit))
		r.MemPerc = percent(float64(s.MemUsage), float64(s.MemLimit))
	}
	if s.HasBlock {
		r.BlockIO = units.HumanSize(float64(s.BlockRead)) + " / " + units.HumanSize(float64(s.BlockWrite))
	}
	return r
}
