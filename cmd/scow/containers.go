package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/urfave/cli/v2"
)

// The flags with which start, stop, restart, kill, rm, mount and
// unmount pick containers besides by name; short aliases as Podman's.
func allFlag(aliases ...string) cli.Flag {
	return &cli.BoolFlag{Name: "all", Aliases: aliases, Usage: "act on every container"}
}

func latestFlag() cli.Flag {
	return &cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Usage: "act on the container created last"}
}

func cidfileFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "cidfile", Usage: "read the container ID from this file (repeatable)"}
}

func filterFlag(aliases ...string) cli.Flag {
	return &cli.StringSliceFlag{Name: "filter", Aliases: aliases, Usage: "act on the containers that match KEY=VALUE, as with ps --filter"}
}

// selection reads those flags; running keeps only running containers
// of --all and --filter.
func selection(c *cli.Context, running bool) containers.Selection {
	return containers.Selection{
		Refs: c.Args().Slice(), All: c.Bool("all"), Latest: c.Bool("latest"),
		CIDFiles: c.StringSlice("cidfile"), Filters: c.StringSlice("filter"),
		Running: running, Ignore: c.Bool("ignore"),
	}
}

// containerArgs splits the arguments of a command that acts on one
// container: the container (the first argument, or with --latest the one
// created last) and the rest, of which there must be min to max (-1: no
// limit).
func containerArgs(c *cli.Context, e *engine.Engine, min, max int, usage string) (string, []string, error) {
	args := c.Args().Slice()
	if !c.Bool("latest") {
		if len(args) < 1+min || max >= 0 && len(args) > 1+max {
			return "", nil, fmt.Errorf("%s: usage: scow %s", c.Command.Name, usage)
		}
		return args[0], args[1:], nil
	}
	if len(args) < min || max >= 0 && len(args) > max {
		return "", nil, fmt.Errorf("%s: with --latest, give no container: usage: scow %s", c.Command.Name, usage)
	}
	ids, err := e.Containers().Select(c.Context, containers.Selection{Latest: true})
	if err != nil {
		return "", nil, err
	}
	if len(ids) == 0 {
		return "", nil, errdefs.WithClass(errdefs.ErrNotFound, errors.New("--latest: there are no containers"))
	}
	return ids[0], args, nil
}

// timeoutFlag reads -t/--time: nil when not given.
func timeoutFlag(c *cli.Context) *int {
	if !c.IsSet("time") {
		return nil
	}
	t := c.Int("time")
	return &t
}

// moreContainers is containerArgs' max for a command whose further
// arguments are containers too: any number, none with --latest.
func moreContainers(c *cli.Context) int {
	if c.Bool("latest") {
		return 0
	}
	return -1
}

// eachContainer runs fn for every selected container, prints what fn
// returns, and goes on past failures: the last error decides the exit
// code, the others are printed as they come. With --ignore, a container
// that does not exist is no failure.
func eachContainer(c *cli.Context, e *engine.Engine, sel containers.Selection, fn func(ref string) (string, error)) error {
	refs, err := e.Containers().Select(c.Context, sel)
	if err != nil {
		return err
	}
	if sel.Ignore {
		inner := fn
		fn = func(ref string) (string, error) {
			out, err := inner(ref)
			if errors.Is(err, errdefs.ErrNotFound) {
				return "", nil
			}
			return out, err
		}
	}
	return eachRef(c, refs, fn)
}

// eachRef runs fn on every ref, printing what it returns; every error
// but the last is printed too, the last one is returned.
func eachRef(c *cli.Context, refs []string, fn func(ref string) (string, error)) error {
	var last error
	for _, ref := range refs {
		out, err := fn(ref)
		if err != nil {
			if last != nil {
				fmt.Fprintf(c.App.ErrWriter, "Error: %s\n", oneLine(last))
			}
			last = err
			continue
		}
		if out != "" {
			fmt.Fprintln(c.App.Writer, out)
		}
	}
	return last
}

func startCommand() *cli.Command {
	return &cli.Command{
		Name:      "start",
		Usage:     "start created or stopped containers",
		ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "attach", Aliases: []string{"a"}, Usage: "stream the container's output and return its exit code"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "pass standard input to the container"},
			allFlag(), latestFlag(), filterFlag("f"),
		}, attachFlags()...),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if c.Bool("attach") || c.Bool("interactive") {
				if err := exactArgs(c, 1, 1, "start -a CONTAINER"); err != nil {
					return err
				}
				s, err := streams(c, c.Bool("interactive"))
				if err != nil {
					return err
				}
				return e.Containers().Start(c.Context, c.Args().First(), &s)
			}
			return eachContainer(c, e, selection(c, false), func(ref string) (string, error) {
				return ref, e.Containers().Start(c.Context, ref, nil)
			})
		}),
	}
}

// psRow is one line of ps; its fields are what --format sees.
type psRow struct {
	containers.Namespaces                                                                 // --ns
	ID, Image, Command, Created, CreatedAt, RunningFor, Status, State, Ports, Names, Size string
	Pod, PodName                                                                          string
	Labels                                                                                map[string]string
	ExitCode, Pid                                                                         int
}

var psHeaders = map[string]string{
	"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "Created": "CREATED",
	"CreatedAt": "CREATED AT", "RunningFor": "CREATED", "Status": "STATUS", "State": "STATE",
	"Ports": "PORTS", "Names": "NAMES", "Size": "SIZE", "Pod": "POD ID", "PodName": "PODNAME",
	"Cgroup": "CGROUPNS", "PIDNS": "PIDNS", "User": "USERNS", "Labels": "LABELS", "ExitCode": "EXIT CODE", "Pid": "PID",
}

func psCommand() *cli.Command {
	return &cli.Command{
		Name:  "ps",
		Usage: "list containers",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show all containers, not only running ones"},
			&cli.BoolFlag{Name: "external", Usage: "show too the store's containers scow did not make (a build's steps)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only container IDs"},
			&cli.IntFlag{Name: "last", Aliases: []string{"n"}, Usage: "show the n most recently created"},
			&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Usage: "show the most recently created"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate IDs and commands"},
			noHeadingFlag(),
			&cli.StringFlag{Name: "sort", Value: "created", Usage: "order by command, created, id, image, names, runningfor or status"},
			// scow checks every container's state with its monitor and
			// runtime on each listing: there is nothing more to sync.
			&cli.BoolFlag{Name: "sync", Usage: "sync state with the OCI runtime (scow always does)"},
			&cli.StringFlag{Name: "format", Usage: "Go template for each container, or json"},
			&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "KEY=VALUE: id, name, label, label!, status, exited, ancestor, before, since, until, volume, network, restart-policy, command, health, pod"},
			&cli.BoolFlag{Name: "size", Aliases: []string{"s"}, Usage: "show each container's writable layer size (and with its image's)"},
			&cli.IntFlag{Name: "watch", Aliases: []string{"w"}, Usage: "list again every N seconds until interrupted"},
			&cli.BoolFlag{Name: "ns", Aliases: []string{"namespace"}, Usage: "show the namespaces of each container's process"},
			&cli.BoolFlag{Name: "pod", Aliases: []string{"p"}, Usage: "show the pod of each container: POD ID and PODNAME"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 0, 0, "ps [OPTIONS]"); err != nil {
				return err
			}
			n := c.Int("watch")
			if n <= 0 {
				return ps(c, e)
			}
			ctx, cancel := interruptible(c.Context)
			defer cancel()
			for {
				fmt.Fprint(c.App.Writer, "\x1b[2J\x1b[H") // clear the screen, as watch(1)
				if err := ps(c, e); err != nil {
					return err
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Duration(n) * time.Second):
				}
			}
		}),
	}
}

// ps prints one listing of ps.
func ps(c *cli.Context, e *engine.Engine) error {
	o := containers.ListOptions{All: c.Bool("all") || c.Bool("latest") || c.IsSet("last"), Last: c.Int("last"), Filters: c.StringSlice("filter"), Sort: c.String("sort"), External: c.Bool("external")}
	if c.Bool("latest") {
		o.Last = 1
	}
	list, err := e.Containers().List(c.Context, o)
	if err != nil {
		return err
	}
	now := time.Now()
	var rows []any
	podNames := map[string]string{}
	for _, ctr := range list {
		id, cmd := ctr.Config.ID, strings.Join(ctr.Config.Command(), " ")
		if !c.Bool("no-trunc") {
			id = id[:12]
			if len(cmd) > 20 {
				cmd = cmd[:17] + "..."
			}
		}
		if c.Bool("quiet") {
			fmt.Fprintln(c.App.Writer, id)
			continue
		}
		created := units.HumanDuration(now.Sub(ctr.Config.Created)) + " ago"
		size := ""
		if c.Bool("size") {
			rw, _ := e.Containers().Size(ctr.Config.ID)
			var image int64
			if img, err := e.Images().Get(ctr.Config.ImageID); err == nil {
				image = img.Size
			}
			size = fmt.Sprintf("%s (virtual %s)", units.HumanSizeWithPrecision(float64(rw), 3), units.HumanSizeWithPrecision(float64(rw+image), 3))
		}
		row := psRow{
			ID: id, Image: ctr.Config.Image, Command: cmd, Created: created, RunningFor: created,
			CreatedAt: ctr.Config.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
			Status:    statusText(ctr, now), State: ctr.State.Shown(), Names: ctr.Config.Name,
			Labels: ctr.Config.Labels, ExitCode: ctr.State.ExitCode, Pid: ctr.State.Pid,
			Ports: containers.FormatPorts(ctr.State.Ports), Size: size,
		}
		if c.Bool("ns") {
			row.Namespaces = containers.ProcessNamespaces(ctr.State.Pid)
		}
		if pod := ctr.Config.Pod; pod != "" {
			if _, ok := podNames[pod]; !ok {
				podNames[pod] = e.Pods().Name(pod)
			}
			row.Pod, row.PodName = pod[:12], podNames[pod]
		}
		rows = append(rows, row)
	}
	if c.Bool("quiet") {
		return nil
	}
	format := c.String("format")
	if format == "" {
		format = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Created}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
		if c.Bool("size") {
			format += "\t{{.Size}}"
		}
		if c.Bool("pod") {
			format += "\t{{.Pod}}\t{{.PodName}}"
		}
		if c.Bool("ns") {
			format = "table {{.ID}}\t{{.Names}}\t{{.Pid}}\t{{.Cgroup}}\t{{.IPC}}\t{{.MNT}}\t{{.NET}}\t{{.PIDNS}}\t{{.User}}\t{{.UTS}}"
		}
	}
	return printTemplate(c.App.Writer, format, rows, psHeaders, c.Bool("noheading"))
}

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "show containers' output",
		ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags:     logFlags(),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			first, more, err := containerArgs(c, e, 0, moreContainers(c), "logs [OPTIONS] CONTAINER [CONTAINER...]")
			if err != nil {
				return err
			}
			return showLogs(c, e, append([]string{first}, more...))
		}),
	}
}

// logFlags are the flags of logs and pod logs.
func logFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep streaming until the container exits"},
		&cli.IntFlag{Name: "tail", Value: -1, Usage: "show only the last N lines"},
		&cli.StringFlag{Name: "since", Usage: "show lines since a time (RFC 3339, date, Unix seconds) or a duration ago (10m)"},
		&cli.StringFlag{Name: "until", Usage: "show lines until a time or a duration ago"},
		&cli.BoolFlag{Name: "timestamps", Aliases: []string{"t"}, Usage: "show each line's time"},
		&cli.BoolFlag{Name: "names", Aliases: []string{"n"}, Usage: "with several containers, prefix lines with names instead of IDs"},
		&cli.BoolFlag{Name: "color", Usage: "with several containers, give each prefix a color of its own"},
		latestFlag(),
	}
}

// showLogs prints the logs of containers refs as logFlags ask.
func showLogs(c *cli.Context, e *engine.Engine, refs []string) error {
	o := containers.LogOptions{Follow: c.Bool("follow"), Tail: c.Int("tail"), Timestamps: c.Bool("timestamps")}
	now := time.Now()
	for flag, dst := range map[string]*time.Time{"since": &o.Since, "until": &o.Until} {
		if v := c.String(flag); v != "" {
			t, err := specgen.ParseTime(v, now)
			if err != nil {
				return err
			}
			*dst = t
		}
	}
	ctx, cancel := interruptible(c.Context)
	defer cancel()
	if len(refs) == 1 {
		return e.Containers().Logs(ctx, refs[0], o, c.App.Writer, c.App.ErrWriter)
	}
	// Several: each line says whose it is, as Podman's; with
	// --follow they stream side by side.
	errs := make([]error, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		ctr, err := e.Containers().Get(ctx, ref)
		if err != nil {
			return err
		}
		co := o
		co.Prefix = ctr.Config.ID[:12]
		if c.Bool("names") {
			co.Prefix = ctr.Config.Name
		}
		if c.Bool("color") {
			co.Prefix = fmt.Sprintf("\x1b[%dm%s\x1b[0m", 31+i%6, co.Prefix)
		}
		co.Prefix += " "
		logs := func() { errs[i] = e.Containers().Logs(ctx, ref, co, c.App.Writer, c.App.ErrWriter) }
		if !o.Follow {
			logs()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); logs() }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func stopCommand() *cli.Command {
	return &cli.Command{
		Name:      "stop",
		Usage:     "stop running containers",
		ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Usage: "seconds to wait before SIGKILL, -1 for ever (default: the container's, 10)"},
			&cli.BoolFlag{Name: "ignore", Aliases: []string{"i"}, Usage: "a container that does not exist is no error"},
			allFlag("a"), latestFlag(), cidfileFlag(), filterFlag("f"),
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			timeout := timeoutFlag(c)
			return eachContainer(c, e, selection(c, false), func(ref string) (string, error) {
				return ref, e.Containers().Stop(c.Context, ref, timeout)
			})
		}),
	}
}

// pauseCommand is pause, or unpause with pause false.
func pauseCommand(pause bool) *cli.Command {
	name, usage := "pause", "freeze the processes of running containers"
	if !pause {
		name, usage = "unpause", "thaw paused containers"
	}
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags:     []cli.Flag{allFlag("a"), latestFlag(), cidfileFlag(), filterFlag("f")},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			do := e.Containers().Pause
			if !pause {
				do = e.Containers().Unpause
			}
			// --all takes the running containers only.
			return eachContainer(c, e, selection(c, true), func(ref string) (string, error) {
				return ref, do(c.Context, ref)
			})
		}),
	}
}

func killCommand() *cli.Command {
	return &cli.Command{
		Name:      "kill",
		Usage:     "send a signal to running containers",
		ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "signal", Aliases: []string{"s"}, Value: "KILL", Usage: "signal to send"},
			allFlag("a"), latestFlag(), cidfileFlag(),
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			sig, err := specgen.ParseSignal(c.String("signal"))
			if err != nil {
				return err
			}
			// --all signals the running containers only.
			return eachContainer(c, e, selection(c, true), func(ref string) (string, error) {
				return ref, e.Containers().Kill(c.Context, ref, sig)
			})
		}),
	}
}

func restartCommand() *cli.Command {
	return &cli.Command{
		Name:      "restart",
		Usage:     "stop and start containers",
		ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Usage: "seconds to wait before SIGKILL, -1 for ever"},
			&cli.BoolFlag{Name: "running", Usage: "with --all or --filter, only the running containers"},
			allFlag("a"), latestFlag(), cidfileFlag(), filterFlag("f"),
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			timeout := timeoutFlag(c)
			return eachContainer(c, e, selection(c, c.Bool("running")), func(ref string) (string, error) {
				return ref, e.Containers().Restart(c.Context, ref, timeout)
			})
		}),
	}
}

func rmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove containers",
		ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "remove running containers too, stopped first: their stop signal, then SIGKILL after --time (default: their stop timeout)"},
			&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Usage: "with --force, stop running containers with this many seconds' grace before SIGKILL (-1 for ever)"},
			&cli.BoolFlag{Name: "volumes", Aliases: []string{"v"}, Usage: "also remove the container's anonymous volumes"},
			&cli.BoolFlag{Name: "depend", Usage: "also remove the containers that depend on it, first"},
			&cli.BoolFlag{Name: "ignore", Aliases: []string{"i"}, Usage: "a container that does not exist is no error"},
			allFlag("a"), latestFlag(), cidfileFlag(), filterFlag(),
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			o := containers.RemoveOptions{Force: c.Bool("force"), Volumes: c.Bool("volumes"), Depend: c.Bool("depend"), Timeout: timeoutFlag(c)}
			if o.Timeout != nil && !o.Force {
				return errors.New("rm --time needs --force: it is how long a running container may take to stop")
			}
			sel := selection(c, false)
			sel.NoInfra = true
			return eachContainer(c, e, sel, func(ref string) (string, error) {
				removed, err := e.Containers().Remove(c.Context, ref, o)
				if err != nil {
					return "", err
				}
				// Dependents by ID, then the container as it was named.
				return strings.Join(append(removed[:len(removed)-1], ref), "\n"), nil
			})
		}),
	}
}

func waitCommand() *cli.Command {
	return &cli.Command{
		Name:      "wait",
		Usage:     "wait for containers to stop and print their exit codes",
		ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "condition", Usage: "stopped (default), exited, running, created, restarting, healthy, unhealthy; repeated: any of them"},
			&cli.BoolFlag{Name: "ignore", Usage: "print -1 for a container that does not exist, instead of failing"},
			&cli.DurationFlag{Name: "interval", Aliases: []string{"i"}, Value: 250 * time.Millisecond, Usage: "longest time between two looks at the container's state"},
			latestFlag(),
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			ctx, cancel := interruptible(c.Context)
			defer cancel()
			o := containers.WaitOptions{Conditions: c.StringSlice("condition"), Interval: c.Duration("interval")}
			sel := selection(c, false)
			sel.Ignore = false // a missing container prints -1 instead
			return eachContainer(c, e, sel, func(ref string) (string, error) {
				code, err := e.Containers().Wait(ctx, ref, o)
				if c.Bool("ignore") && errors.Is(err, errdefs.ErrNotFound) {
					return "-1", nil
				}
				return fmt.Sprint(code), err
			})
		}),
	}
}

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show containers' (or images') details as JSON",
		ArgsUsage: "NAME [NAME...]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "Go template for each object"},
			&cli.BoolFlag{Name: "size", Aliases: []string{"s"}, Usage: "include the size of the writable layer"},
			&cli.StringFlag{Name: "type", Aliases: []string{"t"}, Value: "all", Usage: "container, image, volume, network or all"},
			latestFlag(),
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			first, more, err := containerArgs(c, e, 0, moreContainers(c), "inspect [OPTIONS] NAME [NAME...]")
			if err != nil {
				return err
			}
			var rows []any
			for _, ref := range append([]string{first}, more...) {
				obj, err := e.Inspect(c.Context, ref, c.String("type"), c.Bool("size"))
				if err != nil {
					return err
				}
				rows = append(rows, obj)
			}
			return printObjects(c.App.Writer, c.String("format"), rows)
		}),
	}
}

func execCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a command in a running container",
		ArgsUsage: "CONTAINER COMMAND [ARG...]",
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable"},
			&cli.StringSliceFlag{Name: "env-file", Usage: "read environment variables from a file"},
			&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "user: name or UID[:GID]"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "pass standard input"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run in the background"},
			&cli.BoolFlag{Name: "privileged", Usage: "every capability, as in a privileged container"},
			attachFlags()[0],
			latestFlag(),
		}, preserveFlags()...),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			ref, args, err := containerArgs(c, e, 1, -1, "exec [OPTIONS] CONTAINER COMMAND [ARG...]")
			if err != nil {
				return err
			}
			o := containers.ExecOptions{
				Args: args, Env: c.StringSlice("env"), EnvFiles: c.StringSlice("env-file"),
				Workdir: c.String("workdir"), User: c.String("user"),
				Interactive: c.Bool("interactive"), Tty: c.Bool("tty"), Detach: c.Bool("detach"), Privileged: c.Bool("privileged"),
			}
			s, err := streams(c, true)
			if err != nil {
				return err
			}
			s.SigProxy = true
			if s.Files, err = preservedFiles(c); err != nil {
				return err
			}
			return e.Containers().Exec(c.Context, ref, o, s)
		}),
	}
}

func portCommand() *cli.Command {
	return &cli.Command{
		Name:      "port",
		Usage:     "list a running container's published ports",
		ArgsUsage: "CONTAINER [PORT[/PROTOCOL]]",
		Flags: []cli.Flag{latestFlag(),
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "list the ports of every running container, each line with its ID"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if c.Bool("all") {
				if c.NArg() > 0 {
					return errors.New("port: give a container or --all, not both")
				}
				ids, err := e.Containers().Select(c.Context, containers.Selection{All: true, Running: true})
				if err != nil {
					return err
				}
				for _, id := range ids {
					lines, err := e.Containers().Port(c.Context, id, "")
					if err != nil && !errors.Is(err, errdefs.ErrRunning) && !errors.Is(err, errdefs.ErrInvalid) {
						return err
					}
					for _, l := range lines {
						fmt.Fprintf(c.App.Writer, "%s\t%s\n", id[:12], l)
					}
				}
				return nil
			}
			ref, port, err := containerArgs(c, e, 0, 1, "port CONTAINER [PORT[/PROTOCOL]]")
			if err != nil {
				return err
			}
			lines, err := e.Containers().Port(c.Context, ref, strings.Join(port, ""))
			for _, l := range lines {
				fmt.Fprintln(c.App.Writer, l)
			}
			return err
		}),
	}
}

func attachCommand() *cli.Command {
	return &cli.Command{
		Name:      "attach",
		Usage:     "attach to a running container's input and output",
		ArgsUsage: "CONTAINER",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "no-stdin", Usage: "do not attach standard input"},
			latestFlag(),
		}, attachFlags()...),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			ref, _, err := containerArgs(c, e, 0, 0, "attach [OPTIONS] CONTAINER")
			if err != nil {
				return err
			}
			s, err := streams(c, !c.Bool("no-stdin"))
			if err != nil {
				return err
			}
			return e.Containers().Attach(c.Context, ref, s)
		}),
	}
}

func renameCommand() *cli.Command {
	return &cli.Command{
		Name:      "rename",
		Usage:     "rename a container",
		ArgsUsage: "CONTAINER NEW-NAME",
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 2, 2, "rename CONTAINER NEW-NAME"); err != nil {
				return err
			}
			return e.Containers().Rename(c.Context, c.Args().Get(0), c.Args().Get(1))
		}),
	}
}

func containerCommand() *cli.Command {
	return &cli.Command{
		Name:  "container",
		Usage: "manage containers",
		Description: "Podman's container subcommands scow has not: checkpoint and restore (CRIU), clone, init, runlabel,\n" +
			"and cleanup (conmon's, which scow's monitor does).",
		Subcommands: []*cli.Command{
			existsCommand("container", func(c *cli.Context, e *engine.Engine, ref string) error {
				ok, err := e.Containers().Exists(ref, c.Bool("external"))
				if err == nil && !ok {
					err = errdefs.WithClass(errdefs.ErrNotFound, errors.New(ref))
				}
				return err
			}, &cli.BoolFlag{Name: "external", Usage: "count containers of other engines in storage too (Buildah's)"}),
			{
				Name:  "prune",
				Usage: "remove every stopped container",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation (needed without a terminal)"},
					&cli.StringSliceFlag{Name: "filter", Usage: "only the containers that match KEY=VALUE (ps's keys: label, until...)"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if ok, err := confirm(c, "all non running containers"); !ok {
						return err
					}
					ids, err := e.Containers().Prune(c.Context, c.StringSlice("filter"))
					for _, id := range ids {
						fmt.Fprintln(c.App.Writer, id)
					}
					return err
				}),
			},
			renamed(psCommand(), "ls", "list", "ps"),
			renamed(runCommand(), "run"),
			renamed(createCommand(), "create"),
			renamed(startCommand(), "start"),
			renamed(stopCommand(), "stop"),
			renamed(killCommand(), "kill"),
			pauseCommand(true),
			pauseCommand(false),
			updateCommand(),
			statsCommand(),
			renamed(restartCommand(), "restart"),
			renamed(rmCommand(), "rm"),
			renamed(waitCommand(), "wait"),
			renamed(logsCommand(), "logs"),
			renamed(inspectCommand(), "inspect"),
			renamed(execCommand(), "exec"),
			renamed(attachCommand(), "attach"),
			renamed(portCommand(), "port"),
			renamed(cpCommand(), "cp"),
			renamed(commitCommand(), "commit"),
			renamed(diffCommand(), "diff"),
			renamed(exportCommand(), "export"),
			renamed(mountCommand(), "mount"),
			renamed(unmountCommand(), "unmount", "umount"),
			renamed(renameCommand(), "rename"),
			renamed(topCommand(), "top"),
		},
	}
}

// healthcheckCommand is healthcheck run: one check now, exit 0 when it
// passed, else 1.
func healthcheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "healthcheck",
		Usage: "run a container's healthcheck",
		Subcommands: []*cli.Command{{
			Name:      "run",
			Usage:     "run a container's healthcheck now: exit 0 if it passed, 1 if not",
			ArgsUsage: "CONTAINER",
			Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
				if err := exactArgs(c, 1, 1, "healthcheck run CONTAINER"); err != nil {
					return err
				}
				res, err := e.Containers().Healthcheck(c.Context, c.Args().First())
				if err != nil {
					return err
				}
				if res.Action != "" {
					if err := e.Containers().ApplyHealthAction(c.Context, c.Args().First(), res.Action); err != nil {
						return err
					}
				}
				if !res.Passed {
					fmt.Fprintln(c.App.Writer, res.Status)
					return &errdefs.ExitError{Code: 1}
				}
				return nil
			}),
		}},
	}
}

func topCommand() *cli.Command {
	return &cli.Command{
		Name:      "top",
		Usage:     "show the processes of a running container",
		ArgsUsage: "CONTAINER",
		Flags:     []cli.Flag{latestFlag()},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			ref, _, err := containerArgs(c, e, 0, 0, "top CONTAINER")
			if err != nil {
				return err
			}
			rows, err := e.Containers().Top(c.Context, ref)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 8, 2, ' ', 0)
			fmt.Fprintln(tw, strings.Join(containers.TopHeader, "\t"))
			for _, r := range rows {
				fmt.Fprintln(tw, strings.Join(r, "\t"))
			}
			return tw.Flush()
		}),
	}
}

// statusText is ps's STATUS column: "Up 3 seconds", "Exited (0) 2
// minutes ago", "Created".
func statusText(c containers.Container, now time.Time) string {
	st := c.State
	switch {
	case c.Err != nil:
		return "Error: " + c.Err.Error()
	case st.Shown() == record.StatusPaused:
		return "Up " + units.HumanDuration(now.Sub(st.StartedAt)) + " (Paused)"
	case st.Status == record.StatusRunning && c.Health != "":
		return "Up " + units.HumanDuration(now.Sub(st.StartedAt)) + " (" + c.Health + ")"
	case st.Status == record.StatusRunning:
		return "Up " + units.HumanDuration(now.Sub(st.StartedAt))
	case st.Status == record.StatusRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", st.ExitCode, units.HumanDuration(now.Sub(st.FinishedAt)))
	case st.Status == record.StatusExited:
		return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, units.HumanDuration(now.Sub(st.FinishedAt)))
	case st.Status == containers.StatusExternal:
		return "Storage"
	}
	return "Created"
}
