package main

import (
	"fmt"
	"strings"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/networks"
	"github.com/urfave/cli/v2"
)

// networkRow is one line of network ls; its fields are what --format
// sees.
type networkRow struct {
	ID, Name, Driver, Subnets, NetworkInterface, Created string
	Labels                                               map[string]string
	Internal                                             bool
}

var networkHeaders = map[string]string{
	"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Subnets": "SUBNETS",
	"NetworkInterface": "INTERFACE", "Created": "CREATED", "Labels": "LABELS", "Internal": "INTERNAL",
}

func networkCommand() *cli.Command {
	return &cli.Command{
		Name:  "network",
		Usage: "manage named networks",
		Subcommands: []*cli.Command{
			existsCommand("network", func(_ *cli.Context, e *engine.Engine, ref string) error {
				_, err := e.Networks().Inspect(ref)
				return err
			}),
			{
				Name:      "create",
				Usage:     "create a bridge network",
				ArgsUsage: "NAME",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "driver", Aliases: []string{"d"}, Value: "bridge", Usage: "network driver (bridge only)"},
					&cli.StringSliceFlag{Name: "subnet", Usage: "a range of the network, such as 10.91.7.0/24 or fd91:5c07::/64, one per IP family (default: a free IPv4 one)"},
					&cli.StringSliceFlag{Name: "gateway", Usage: "the bridge's address in the subnet of the same place (default: its first)"},
					&cli.StringSliceFlag{Name: "ip-range", Usage: "the addresses containers get in the subnet of the same place: START-END or a CIDR"},
					&cli.BoolFlag{Name: "ipv6", Usage: "give the network an IPv6 subnet too (a free fd91:5c07:0:N::/64 unless --subnet gives one)"},
					&cli.StringSliceFlag{Name: "route", Usage: "DESTINATION-CIDR,GATEWAY[,METRIC]: a route added in every container of the network"},
					&cli.BoolFlag{Name: "internal", Usage: "no traffic in or out of the network, only between its containers"},
					&cli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "set a label KEY=VALUE"},
					&cli.BoolFlag{Name: "ignore", Usage: "do nothing if the network exists"},
					&cli.StringFlag{Name: "interface-name", Usage: "the bridge's name (default: scowN)"},
					&cli.StringSliceFlag{Name: "dns", Usage: "DNS server of the network's containers that give no --dns"},
					&cli.StringSliceFlag{Name: "opt", Aliases: []string{"o"}, Usage: "driver option KEY=VALUE: com.docker.network.bridge.name"},
					&cli.StringFlag{Name: "ipam-driver", Value: "host-local", Usage: "host-local: scow assigns the addresses"},
					// Names reach containers through /etc/hosts, with no
					// DNS server to turn off.
					&cli.BoolFlag{Name: "disable-dns", Usage: "run no DNS server for the network (scow runs none)"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 1, 1, "network create [OPTIONS] NAME"); err != nil {
						return err
					}
					n, err := e.Networks().Create(networks.NetworkCreateOptions{
						Name: c.Args().First(), Driver: c.String("driver"), Subnets: c.StringSlice("subnet"), Gateways: c.StringSlice("gateway"), Internal: c.Bool("internal"),
						IPRanges: c.StringSlice("ip-range"), IPv6: c.Bool("ipv6"), Routes: c.StringSlice("route"),
						Labels: c.StringSlice("label"), Ignore: c.Bool("ignore"),
						InterfaceName: c.String("interface-name"), DNS: c.StringSlice("dns"), Opts: c.StringSlice("opt"), IPAMDriver: c.String("ipam-driver"),
					})
					if err != nil {
						return err
					}
					fmt.Fprintln(c.App.Writer, n.Name)
					return nil
				}),
			},
			{
				Name:    "ls",
				Aliases: []string{"list"},
				Usage:   "list networks",
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "name=, id=, driver=, label=KEY[=VALUE]"},
					&cli.StringFlag{Name: "format", Usage: "Go template for each network, or json"},
					&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only network names"},
					&cli.BoolFlag{Name: "no-trunc", Usage: "print whole network IDs"},
					noHeadingFlag("n"),
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 0, 0, "network ls [OPTIONS]"); err != nil {
						return err
					}
					nets, err := e.Networks().List(c.StringSlice("filter"))
					if err != nil {
						return err
					}
					var rows []any
					for _, n := range nets {
						if c.Bool("quiet") {
							fmt.Fprintln(c.App.Writer, n.Name)
							continue
						}
						id := n.ID
						if !c.Bool("no-trunc") {
							id = id[:12]
						}
						var subnets []string
						for _, s := range n.Subnets {
							subnets = append(subnets, s.Subnet)
						}
						rows = append(rows, networkRow{
							ID: id, Name: n.Name, Driver: n.Driver, Subnets: strings.Join(subnets, ","),
							NetworkInterface: n.NetworkInterface, Created: n.Created.Local().String(), Labels: n.Labels, Internal: n.Internal,
						})
					}
					if c.Bool("quiet") {
						return nil
					}
					format := c.String("format")
					if format == "" {
						format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}"
					}
					return printTemplate(c.App.Writer, format, rows, networkHeaders, c.Bool("noheading"))
				}),
			},
			{
				Name:      "inspect",
				Usage:     "show networks' details as JSON",
				ArgsUsage: "NETWORK [NETWORK...]",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "Go template for each network"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 1, -1, "network inspect [OPTIONS] NETWORK [NETWORK...]"); err != nil {
						return err
					}
					var rows []any
					for _, ref := range c.Args().Slice() {
						n, err := e.Networks().Inspect(ref)
						if err != nil {
							return err
						}
						rows = append(rows, n)
					}
					return printObjects(c.App.Writer, c.String("format"), rows)
				}),
			},
			{
				Name:      "rm",
				Aliases:   []string{"remove"},
				Usage:     "remove networks",
				ArgsUsage: "NETWORK [NETWORK...]",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "remove the containers that use the network first"},
					&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Usage: "with --force, stop those containers with this many seconds' grace before SIGKILL"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 1, -1, "network rm [OPTIONS] NETWORK [NETWORK...]"); err != nil {
						return err
					}
					return eachRef(c, c.Args().Slice(), func(ref string) (string, error) {
						return e.Networks().Remove(c.Context, ref, c.Bool("force"), timeoutFlag(c))
					})
				}),
			},
			{
				Name:  "prune",
				Usage: "remove the networks no container uses",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation (needed without a terminal)"},
					&cli.StringSliceFlag{Name: "filter", Usage: "name=, id=, driver=, label=KEY[=VALUE], dangling=, until="},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if ok, err := confirm(c, "all networks not used by at least one container"); !ok {
						return err
					}
					names, err := e.Networks().Prune(c.StringSlice("filter"))
					for _, n := range names {
						fmt.Fprintln(c.App.Writer, n)
					}
					return err
				}),
			},
			{
				Name:      "update",
				Usage:     "add or drop a network's DNS servers, for the containers that start on it from now on",
				ArgsUsage: "NETWORK",
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "dns-add", Usage: "a DNS server to add"},
					&cli.StringSliceFlag{Name: "dns-drop", Usage: "a DNS server to drop"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 1, 1, "network update [--dns-add IP] [--dns-drop IP] NETWORK"); err != nil {
						return err
					}
					n, err := e.Networks().Update(c.Args().First(), c.StringSlice("dns-add"), c.StringSlice("dns-drop"))
					if err == nil {
						fmt.Fprintln(c.App.Writer, n.Name)
					}
					return err
				}),
			},
			{
				Name:      "reload",
				Usage:     "write the firewall rules of the networks in use again, after a firewall reload flushed them",
				ArgsUsage: "[CONTAINER...]",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "all containers' networks (the rules are per network: always all)"},
					latestFlag(),
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					refs := c.Args().Slice()
					if c.Bool("latest") {
						ref, _, err := containerArgs(c, e, 0, 0, "network reload --latest")
						if err != nil {
							return err
						}
						refs = []string{ref}
					}
					ids, err := e.Containers().ReloadNetworks(refs)
					for _, id := range ids {
						fmt.Fprintln(c.App.Writer, id)
					}
					return err
				}),
			},
			{
				Name:      "connect",
				Usage:     "put a container on a network",
				ArgsUsage: "NETWORK CONTAINER",
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "alias", Usage: "another name the container has on the network"},
					&cli.StringFlag{Name: "ip", Usage: "the container's address on the network"},
					&cli.StringFlag{Name: "ip6", Usage: "the container's IPv6 address on the network"},
					&cli.StringFlag{Name: "mac-address", Usage: "the container's MAC address on the network"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 2, 2, "network connect [OPTIONS] NETWORK CONTAINER"); err != nil {
						return err
					}
					return e.Containers().ConnectNetwork(c.Context, c.Args().Get(1), networks.Attachment{
						Network: c.Args().Get(0), Aliases: c.StringSlice("alias"), IP: c.String("ip"), IP6: c.String("ip6"), MAC: c.String("mac-address"),
					})
				}),
			},
			{
				Name:      "disconnect",
				Usage:     "take a container off a network",
				ArgsUsage: "NETWORK CONTAINER",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "accepted for compatibility"},
				},
				Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
					if err := exactArgs(c, 2, 2, "network disconnect [OPTIONS] NETWORK CONTAINER"); err != nil {
						return err
					}
					return e.Containers().DisconnectNetwork(c.Context, c.Args().Get(0), c.Args().Get(1))
				}),
			},
		},
	}
}
