package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	units "github.com/docker/go-units"
	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/pods"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/urfave/cli/v2"
)

func podCommand() *cli.Command {
	return &cli.Command{
		Name:  "pod",
		Usage: "manage pods: containers that share a network, IPC and host name, as Kubernetes groups them",
		Subcommands: []*cli.Command{
			podCreateCommand(), podPsCommand(), podInspectCommand(),
			podActionCommand("start", "start pods' containers, the infra container first", nil,
				func(c *cli.Context, e *engine.Engine, ref string) (string, error) {
					return e.Pods().Start(c.Context, ref)
				}),
			podActionCommand("stop", "stop pods' containers, the infra container last", []cli.Flag{
				&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Usage: "seconds to wait before SIGKILL, -1 for ever (default: each container's, 10)"},
				&cli.BoolFlag{Name: "ignore", Aliases: []string{"i"}, Usage: "a pod that does not exist is no error"},
			}, func(c *cli.Context, e *engine.Engine, ref string) (string, error) {
				return e.Pods().Stop(c.Context, ref, timeoutFlag(c))
			}),
			podActionCommand("restart", "stop pods and start them again", []cli.Flag{
				&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Usage: "seconds to wait before SIGKILL, -1 for ever (default: each container's, 10)"},
			}, func(c *cli.Context, e *engine.Engine, ref string) (string, error) {
				return e.Pods().Restart(c.Context, ref, timeoutFlag(c))
			}),
			podActionCommand("kill", "send a signal to the running containers of pods", []cli.Flag{
				&cli.StringFlag{Name: "signal", Aliases: []string{"s"}, Value: "KILL", Usage: "the signal, by name or number"},
			}, func(c *cli.Context, e *engine.Engine, ref string) (string, error) {
				sig, err := specgen.ParseSignal(c.String("signal"))
				if err != nil {
					return "", err
				}
				return e.Pods().Kill(c.Context, ref, sig)
			}),
			podActionCommand("pause", "freeze the running containers of pods", nil,
				func(c *cli.Context, e *engine.Engine, ref string) (string, error) {
					return e.Pods().Pause(c.Context, ref, true)
				}),
			podActionCommand("unpause", "thaw the paused containers of pods", nil,
				func(c *cli.Context, e *engine.Engine, ref string) (string, error) {
					return e.Pods().Pause(c.Context, ref, false)
				}),
			podActionCommand("rm", "remove pods and their containers", []cli.Flag{
				&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "remove pods with running containers too, stopped first"},
				&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Usage: "with --force, seconds to wait before SIGKILL"},
				&cli.BoolFlag{Name: "ignore", Aliases: []string{"i"}, Usage: "a pod that does not exist is no error"},
			}, func(c *cli.Context, e *engine.Engine, ref string) (string, error) {
				if c.IsSet("time") && !c.Bool("force") {
					return "", errdefs.WithClass(errdefs.ErrInvalid, errors.New("pod rm --time needs --force: it is how long running containers may take to stop"))
				}
				return e.Pods().Remove(c.Context, ref, c.Bool("force"), timeoutFlag(c))
			}),
			podTopCommand(), podLogsCommand(), podStatsCommand(), podCloneCommand(),
			existsCommand("pod", func(_ *cli.Context, e *engine.Engine, ref string) error {
				ok, err := e.Pods().Exists(ref)
				if err == nil && !ok {
					err = errdefs.ErrNotFound
				}
				return err
			}),
			{
				Name:  "prune",
				Usage: "remove the pods whose containers have all stopped",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation (needed without a terminal)"}},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if ok, err := confirm(c, "all stopped/exited pods"); !ok {
						return err
					}
					ids, err := e.Pods().Prune(c.Context)
					for _, id := range ids {
						fmt.Fprintln(c.App.Writer, id)
					}
					return err
				}),
			},
		},
	}
}

// podCreateCommand is pod create: the pod's own flags, and those of
// run's network flags that its infra container takes.
func podCreateCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "create a pod and its infra container, and print the pod's ID",
		ArgsUsage: "[NAME]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "name the pod"},
			&cli.BoolFlag{Name: "replace", Usage: "replace a pod of the same name"},
			&cli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "set a label KEY=VALUE"},
			&cli.StringSliceFlag{Name: "label-file", Usage: "read labels from a file of KEY=VALUE lines"},
			&cli.StringFlag{Name: "hostname", Usage: "the pod's host name (default: its name)"},
			&cli.StringFlag{Name: "share", Usage: "namespaces the containers share: cgroup, ipc, net, pid, uts, or none (default ipc,net,uts; +NS adds)"},
			&cli.BoolFlag{Name: "infra", Value: true, Usage: "make an infra container to hold the shared namespaces"},
			&cli.StringFlag{Name: "infra-image", Usage: "the infra container's image (default: catatonit on a rootfs of its own)"},
			&cli.StringFlag{Name: "infra-command", Usage: "the infra container's command (a program or a JSON array)"},
			&cli.StringFlag{Name: "infra-name", Usage: "the infra container's name (default: the pod ID's first 12 digits, -infra)"},
			&cli.StringFlag{Name: "exit-policy", Value: "continue", Usage: "when the last container exits: continue, or stop the infra container too"},
			&cli.StringFlag{Name: "restart", Usage: "the containers' restart policy, unless they give one: no, on-failure[:N], always, unless-stopped"},
			&cli.StringSliceFlag{Name: "volume", Aliases: []string{"v"}, Usage: "mount [HOST-DIR|VOLUME:]CONTAINER-DIR[:OPTIONS] in every container of the pod"},
			&cli.StringFlag{Name: "pod-id-file", Usage: "write the pod's ID to this file"},
			&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Usage: "the pod's network: slirp4netns, pasta, none, host, or a network's NAME"},
			&cli.StringSliceFlag{Name: "publish", Aliases: []string{"p"}, Usage: "publish a port of the pod: [[IP:][HOST-PORT]:]PORT[/udp]"},
			&cli.StringSliceFlag{Name: "network-alias", Usage: "another name the pod has on its named network"},
			&cli.StringFlag{Name: "ip", Usage: "the pod's address on its named network"},
			&cli.StringFlag{Name: "ip6", Usage: "the pod's IPv6 address on its named network"},
			&cli.StringFlag{Name: "mac-address", Usage: "the pod's MAC address"},
			&cli.StringSliceFlag{Name: "dns", Usage: "DNS server for the pod"},
			&cli.StringSliceFlag{Name: "dns-search", Usage: "DNS search domain"},
			&cli.StringSliceFlag{Name: "dns-option", Usage: "resolv.conf option"},
			&cli.StringSliceFlag{Name: "add-host", Usage: "add HOST:IP to the pod's /etc/hosts"},
			&cli.BoolFlag{Name: "no-hosts", Usage: "leave /etc/hosts of the images alone"},
			&cli.StringFlag{Name: "hosts-file", Usage: "start the pod's /etc/hosts from this file (none, image or a path)"},
			&cli.BoolFlag{Name: "no-hostname", Usage: "make no /etc/hostname for the pod"},
			&cli.StringSliceFlag{Name: "sysctl", Usage: "set a namespaced kernel parameter of the pod's shared namespaces (net.*, IPC's)"},
			&cli.StringFlag{Name: "shm-size", Usage: "size of the pod's /dev/shm, shared with its IPC namespace"},
			&cli.StringSliceFlag{Name: "volumes-from", Usage: "mount the volumes of CONTAINER[:ro|rw] in every container of the pod"},
			&cli.StringFlag{Name: "infra-conmon-pidfile", Usage: "write the PID of the infra container's monitor to this file"},
			&cli.StringFlag{Name: "userns", Usage: "the pod's user namespace, which its containers join: keep-id[:uid=N,gid=N], nomap, auto[:size=N], host"},
			&cli.StringSliceFlag{Name: "uidmap", Usage: "map CONTAINER-UID:HOST-UID:SIZE in the pod's user namespace"},
			&cli.StringSliceFlag{Name: "gidmap", Usage: "map CONTAINER-GID:HOST-GID:SIZE in the pod's user namespace"},
			&cli.StringFlag{Name: "subuidname", Usage: "map the pod's UIDs to NAME's ranges in /etc/subuid"},
			&cli.StringFlag{Name: "subgidname", Usage: "map the pod's GIDs to NAME's ranges in /etc/subgid"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 0, 1, "pod create [OPTIONS] [NAME]"); err != nil {
				return err
			}
			name := c.String("name")
			if c.NArg() == 1 {
				if name != "" {
					return errdefs.WithClass(errdefs.ErrInvalid, errors.New("pod create: give the name as NAME or with --name, not both"))
				}
				name = c.Args().First()
			}
			o := pods.CreateOptions{
				Name: name, Replace: c.Bool("replace"), Hostname: c.String("hostname"),
				Share: c.String("share"), ShareSet: c.IsSet("share"), NoInfra: !c.Bool("infra"),
				InfraImage: c.String("infra-image"), InfraName: c.String("infra-name"),
				ExitPolicy: c.String("exit-policy"), Restart: c.String("restart"), Volumes: c.StringSlice("volume"),
				PodIDFile: c.String("pod-id-file"), CreateCommand: os.Args, PullProgress: progress(c),
				Infra: specgen.RunOptions{
					Network: c.String("network"), Publish: c.StringSlice("publish"), NetworkAliases: c.StringSlice("network-alias"),
					IP: c.String("ip"), IP6: c.String("ip6"), MacAddress: c.String("mac-address"),
					DNS: c.StringSlice("dns"), DNSSearch: c.StringSlice("dns-search"), DNSOptions: c.StringSlice("dns-option"),
					AddHosts: c.StringSlice("add-host"), NoHosts: c.Bool("no-hosts"),
					HostsFile: c.String("hosts-file"), NoHostname: c.Bool("no-hostname"), MonitorPidFile: c.String("infra-conmon-pidfile"),
					UserNS: c.String("userns"), UIDMap: c.StringSlice("uidmap"), GIDMap: c.StringSlice("gidmap"),
					SubUIDName: c.String("subuidname"), SubGIDName: c.String("subgidname"),
					Security: specgen.SecurityOptions{Sysctl: c.StringSlice("sysctl"), ShmSize: c.String("shm-size")},
				},
				VolumesFrom: c.StringSlice("volumes-from"),
			}
			o.Labels, o.LabelFiles = c.StringSlice("label"), c.StringSlice("label-file")
			var err error
			if c.IsSet("infra-command") {
				if o.InfraCommand, err = specgen.ParseCommand("--infra-command", c.String("infra-command")); err != nil {
					return err
				}
			}
			id, err := e.Pods().Create(c.Context, o)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, id)
			return nil
		}),
	}
}

// podSelectFlags pick pods besides by name, as the container commands'
// do.
func podSelectFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "act on every pod"},
		&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Usage: "act on the pod created last"},
		&cli.StringSliceFlag{Name: "pod-id-file", Usage: "read the pod ID from this file (repeatable)"},
	}
}

// podRefs are the pods a command acts on: its arguments, or what --all,
// --latest and --pod-id-file pick.
func podRefs(c *cli.Context, e *engine.Engine) ([]string, error) {
	refs, err := e.Pods().Select(c.Context, pods.Selection{Refs: c.Args().Slice(), All: c.Bool("all"), Latest: c.Bool("latest"),
		IDFiles: c.StringSlice("pod-id-file"), Ignore: c.Bool("ignore")})
	if err != nil {
		return nil, fmt.Errorf("pod %s: %w", c.Command.Name, err)
	}
	return refs, nil
}

// podActionCommand is a pod command that acts on each pod it is given
// and prints what act returns: the pod's ID.
func podActionCommand(name, usage string, flags []cli.Flag, act func(c *cli.Context, e *engine.Engine, ref string) (string, error)) *cli.Command {
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: "POD [POD...]",
		Flags:     append(flags, podSelectFlags()...),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			refs, err := podRefs(c, e)
			if err != nil {
				return err
			}
			return eachRef(c, refs, func(ref string) (string, error) {
				out, err := act(c, e, ref)
				if c.Bool("ignore") && errors.Is(err, errdefs.ErrNotFound) {
					return "", nil
				}
				return out, err
			})
		}),
	}
}

// podRow is a line of pod ps; its fields are what --format sees.
type podRow struct {
	ID, Name, Status, Created, InfraID, Networks    string
	ContainerIds, ContainerNames, ContainerStatuses string
	NumberOfContainers                              int
	Labels                                          map[string]string
}

var podHeaders = map[string]string{
	"ID": "POD ID", "Name": "NAME", "Status": "STATUS", "Created": "CREATED", "InfraID": "INFRA ID",
	"NumberOfContainers": "# OF CONTAINERS", "ContainerIds": "IDS", "ContainerNames": "NAMES",
	"ContainerStatuses": "STATUS", "Networks": "NETWORKS", "Labels": "LABELS",
}

// podReport is a pod in pod ps --format json, as Podman's.
type podReport struct {
	ID         string            `json:"Id"`
	Name       string            `json:"Name"`
	Status     string            `json:"Status"`
	Created    time.Time         `json:"Created"`
	InfraID    string            `json:"InfraId"`
	Labels     map[string]string `json:"Labels"`
	Networks   []string          `json:"Networks"`
	Containers []podReportCtr    `json:"Containers"`
}

type podReportCtr struct {
	ID     string `json:"Id"`
	Names  string `json:"Names"`
	Status string `json:"Status"`
}

// podSorters order pod ps --sort: each says whether a goes before b.
var podSorters = map[string]func(a, b *pods.Pod) bool{
	"created": func(a, b *pods.Pod) bool { return a.Created.After(b.Created) },
	"id":      func(a, b *pods.Pod) bool { return a.ID < b.ID },
	"name":    func(a, b *pods.Pod) bool { return a.Name < b.Name },
	"number":  func(a, b *pods.Pod) bool { return len(a.Containers) < len(b.Containers) },
	"status":  func(a, b *pods.Pod) bool { return a.Status < b.Status },
}

func podPsCommand() *cli.Command {
	return &cli.Command{
		Name:    "ps",
		Aliases: []string{"ls", "list"},
		Usage:   "list pods",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "ctr-ids", Usage: "show the IDs of each pod's containers"},
			&cli.BoolFlag{Name: "ctr-names", Usage: "show the names of each pod's containers"},
			&cli.BoolFlag{Name: "ctr-status", Usage: "show the status of each pod's containers"},
			&cli.StringFlag{Name: "format", Usage: "json, or a Go template over .ID .Name .Status .Created .InfraID .NumberOfContainers .Labels .Networks .ContainerIds .ContainerNames .ContainerStatuses"},
			&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "KEY=VALUE: id, name, label, label!, status, ctr-ids, ctr-names, ctr-status, ctr-number, network, until"},
			noHeadingFlag("n"),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only pod IDs"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate IDs"},
			&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Usage: "show the pod created last"},
			&cli.StringFlag{Name: "sort", Value: "created", Usage: "order by created, id, name, number or status"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 0, 0, "pod ps [OPTIONS]"); err != nil {
				return err
			}
			less, ok := podSorters[c.String("sort")]
			if !ok {
				return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("pod ps --sort %q: use created, id, name, number or status", c.String("sort")))
			}
			if c.Bool("quiet") && c.IsSet("format") {
				return errdefs.WithClass(errdefs.ErrInvalid, errors.New("pod ps: --quiet and --format conflict"))
			}
			list, err := e.Pods().List(c.Context, c.StringSlice("filter"))
			if err != nil {
				return err
			}
			slices.SortStableFunc(list, func(a, b *pods.Pod) int {
				switch {
				case less(a, b):
					return -1
				case less(b, a):
					return 1
				}
				return 0
			})
			if c.Bool("latest") && len(list) > 0 {
				slices.SortFunc(list, func(a, b *pods.Pod) int { return b.Created.Compare(a.Created) })
				list = list[:1]
			}
			short := func(id string) string {
				if c.Bool("no-trunc") || len(id) < 12 {
					return id
				}
				return id[:12]
			}
			if c.String("format") == "json" {
				reports := []podReport{}
				for _, p := range list {
					r := podReport{ID: p.ID, Name: p.Name, Status: p.Status, Created: p.Created, InfraID: p.InfraID(), Labels: p.Labels, Networks: p.Networks(), Containers: []podReportCtr{}}
					for _, ctr := range p.Containers {
						r.Containers = append(r.Containers, podReportCtr{ID: ctr.Config.ID, Names: ctr.Config.Name, Status: containerStatus(ctr)})
					}
					reports = append(reports, r)
				}
				return printJSON(c.App.Writer, reports)
			}
			now := time.Now()
			var rows []any
			for _, p := range list {
				if c.Bool("quiet") {
					fmt.Fprintln(c.App.Writer, short(p.ID))
					continue
				}
				row := podRow{ID: short(p.ID), Name: p.Name, Status: p.Status, Created: units.HumanDuration(now.Sub(p.Created)) + " ago",
					InfraID: short(p.InfraID()), NumberOfContainers: len(p.Containers), Labels: p.Labels, Networks: strings.Join(p.Networks(), ",")}
				var ids, names, statuses []string
				for _, ctr := range p.Containers {
					ids, names = append(ids, short(ctr.Config.ID)), append(names, ctr.Config.Name)
					statuses = append(statuses, containerStatus(ctr))
				}
				row.ContainerIds, row.ContainerNames, row.ContainerStatuses = strings.Join(ids, ","), strings.Join(names, ","), strings.Join(statuses, ",")
				rows = append(rows, row)
			}
			if c.Bool("quiet") {
				return nil
			}
			format := c.String("format")
			if format == "" {
				format = "table {{.ID}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}"
				extra := ""
				for _, col := range []struct{ flag, field string }{{"ctr-ids", "ContainerIds"}, {"ctr-names", "ContainerNames"}, {"ctr-status", "ContainerStatuses"}} {
					if c.Bool(col.flag) {
						extra += "\t{{." + col.field + "}}"
					}
				}
				if extra == "" {
					extra = "\t{{.NumberOfContainers}}"
				}
				format += extra
			}
			return printTemplate(c.App.Writer, format, rows, podHeaders, c.Bool("noheading"))
		}),
	}
}

// containerStatus is a container's status word, as pod ps shows it.
func containerStatus(c containers.Container) string {
	if c.State == nil {
		return "unknown"
	}
	return c.State.Shown()
}

func podInspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show pods' records as a JSON array",
		ArgsUsage: "POD [POD...]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "Go template over each pod's record, or json"},
			&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Usage: "the pod created last"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			refs, err := podRefs(c, e)
			if err != nil {
				return err
			}
			var rows []any
			for _, ref := range refs {
				in, err := e.Pods().Inspect(c.Context, ref)
				if err != nil {
					return err
				}
				rows = append(rows, in)
			}
			format := c.String("format")
			if format == "json" {
				format = ""
			}
			return printObjects(c.App.Writer, format, rows)
		}),
	}
}

// podMembers are the IDs of pod ref's containers, its infra container's
// only with infra.
func podMembers(ctx context.Context, e *engine.Engine, ref string, infra bool) ([]string, error) {
	p, err := e.Pods().Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range p.Containers {
		if infra || !c.Config.Infra {
			ids = append(ids, c.Config.ID)
		}
	}
	return ids, nil
}

func podTopCommand() *cli.Command {
	return &cli.Command{
		Name:      "top",
		Usage:     "show the processes of a pod's running containers",
		ArgsUsage: "POD",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Usage: "the pod created last"}},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			refs, err := podRefs(c, e)
			if err != nil {
				return err
			}
			if len(refs) != 1 {
				return errdefs.WithClass(errdefs.ErrInvalid, errors.New("pod top: usage: scow pod top POD"))
			}
			rows, err := e.Pods().Top(c.Context, refs[0])
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

func podLogsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "show the output of a pod's containers, each line after its container's ID (or name)",
		ArgsUsage: "POD",
		Flags: append(logFlags(),
			&cli.StringFlag{Name: "container", Aliases: []string{"c"}, Usage: "only this container's, unprefixed"}),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			refs, err := podRefs(c, e)
			if err != nil {
				return err
			}
			if len(refs) != 1 {
				return errdefs.WithClass(errdefs.ErrInvalid, errors.New("pod logs: usage: scow pod logs [OPTIONS] POD"))
			}
			ids, err := podMembers(c.Context, e, refs[0], c.IsSet("container"))
			if err != nil {
				return err
			}
			if name := c.String("container"); name != "" {
				ctr, err := e.Containers().Get(c.Context, name)
				if err != nil || !slices.Contains(ids, ctr.Config.ID) {
					return errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("pod %s has no container %s", refs[0], name))
				}
				ids = []string{ctr.Config.ID}
			}
			if len(ids) == 0 {
				return nil
			}
			return showLogs(c, e, ids)
		}),
	}
}

// podStatsRow is a line of pod stats, with Podman's fields.
type podStatsRow struct {
	Pod, CID, Name, CPU, MemUsage, Mem, NetIO, BlockIO, PIDS string
}

var podStatsHeaders = map[string]string{
	"Pod": "POD", "CID": "CID", "Name": "NAME", "CPU": "CPU %", "MemUsage": "MEM USAGE/ LIMIT", "Mem": "MEM %",
	"NetIO": "NET IO", "BlockIO": "BLOCK IO", "PIDS": "PIDS",
}

func podStatsCommand() *cli.Command {
	return &cli.Command{
		Name:      "stats",
		Usage:     "show what the running containers of pods use",
		ArgsUsage: "[POD...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "every pod (the default without names)"},
			&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Usage: "the pod created last"},
			&cli.StringFlag{Name: "format", Usage: "json, or a Go template over .Pod .CID .Name .CPU .MemUsage .Mem .NetIO .BlockIO .PIDS"},
			&cli.IntFlag{Name: "interval", Aliases: []string{"i"}, Value: 5, Usage: "seconds between readings"},
			&cli.BoolFlag{Name: "no-stream", Usage: "one reading, then exit"},
			&cli.BoolFlag{Name: "no-reset", Usage: "do not clear the terminal between readings"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			prev := map[string]*containers.Stats{}
			format := "table {{.Pod}}\t{{.CID}}\t{{.Name}}\t{{.CPU}}\t{{.MemUsage}}\t{{.Mem}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}"
			return statsLoop(c, format, podStatsHeaders, func(ctx context.Context) ([]any, error) {
				refs := c.Args().Slice()
				if len(refs) == 0 || c.Bool("all") || c.Bool("latest") {
					list, err := e.Pods().List(ctx, nil)
					if err != nil {
						return nil, err
					}
					if c.Bool("latest") && len(list) > 0 {
						list = list[len(list)-1:]
					}
					refs = nil
					for _, p := range list {
						refs = append(refs, p.ID)
					}
				}
				var rows []any
				for _, ref := range refs {
					p, err := e.Pods().Get(ctx, ref)
					if err != nil {
						return nil, err
					}
					list, err := e.Pods().Stats(ctx, ref)
					if err != nil {
						return nil, err
					}
					for _, s := range list {
						l := statsLine(s, prev[s.ID], false)
						prev[s.ID] = s
						rows = append(rows, podStatsRow{Pod: p.ID[:12], CID: l.ID, Name: l.Name, CPU: l.CPUPerc, MemUsage: l.MemUsage,
							Mem: l.MemPerc, NetIO: l.NetIO, BlockIO: l.BlockIO, PIDS: l.PIDs})
					}
				}
				return rows, nil
			})
		}),
	}
}

func podCloneCommand() *cli.Command {
	return &cli.Command{
		Name:      "clone",
		Usage:     "copy a pod and its containers, and print the copy's ID",
		ArgsUsage: "POD [NAME]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "name the copy (default: the pod's name, -clone)"},
			&cli.BoolFlag{Name: "destroy", Usage: "remove the pod once it is copied"},
			&cli.BoolFlag{Name: "start", Usage: "start the copy"},
			&cli.StringFlag{Name: "hostname", Usage: "the copy's host name"},
			&cli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "add a label KEY=VALUE"},
			&cli.StringFlag{Name: "infra-name", Usage: "the copy's infra container's name"},
			&cli.StringFlag{Name: "restart", Usage: "the copy's containers' restart policy"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, 2, "pod clone [OPTIONS] POD [NAME]"); err != nil {
				return err
			}
			name := c.String("name")
			if c.NArg() == 2 {
				if name != "" {
					return errdefs.WithClass(errdefs.ErrInvalid, errors.New("pod clone: give the name as NAME or with --name, not both"))
				}
				name = c.Args().Get(1)
			}
			id, err := e.Pods().Clone(c.Context, c.Args().First(), pods.CloneOptions{
				Name: name, Hostname: c.String("hostname"), InfraName: c.String("infra-name"), Restart: c.String("restart"),
				Labels: c.StringSlice("label"), Destroy: c.Bool("destroy"), Start: c.Bool("start"), CreateCommand: os.Args,
			})
			if id != "" {
				fmt.Fprintln(c.App.Writer, id) // made, even if --destroy or --start failed
			}
			return err
		}),
	}
}
