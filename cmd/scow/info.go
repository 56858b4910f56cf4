package main

import (
	"fmt"
	"io"

	"github.com/scow-project/scow/engine"
	"github.com/urfave/cli/v2"
)

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:  "info",
		Usage: "show host, runtime and storage details",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "Go template, or json"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			info, err := e.Info(c.Context)
			if err != nil {
				return err
			}
			if f := c.String("format"); f != "" {
				return printTemplate(c.App.Writer, f, []any{info}, nil, false)
			}
			printInfo(c.App.Writer, info)
			return nil
		}),
	}
}

// printInfo writes info as YAML, the way `podman info` shows it.
func printInfo(w io.Writer, i *engine.Info) {
	h := i.Host
	fmt.Fprintf(w, "host:\n  arch: %s\n  cgroupVersion: %s\n  hostname: %s\n  kernel: %s\n  os: %s\n", h.Arch, h.CgroupVersion, h.Hostname, h.Kernel, h.OS)
	fmt.Fprintf(w, "  ociRuntime:\n    name: %s\n    path: %s\n    version: %s\n", h.OCIRuntime.Name, h.OCIRuntime.Path, h.OCIRuntime.Version)
	fmt.Fprintf(w, "  networkBackend: %s\n", h.NetworkBackend)
	for _, n := range []engine.RuntimeInfo{h.Pasta, h.Slirp4netns} {
		fmt.Fprintf(w, "  %s:\n    executable: %s\n    version: %s\n", n.Name, n.Path, n.Version)
	}
	fmt.Fprintf(w, "  security:\n    rootless: %t\n", h.Rootless)
	for _, m := range []struct {
		name string
		ids  []engine.IDMapping
	}{{"uidmap", h.UIDMap}, {"gidmap", h.GIDMap}} {
		fmt.Fprintf(w, "  idMappings.%s:\n", m.name)
		for _, id := range m.ids {
			fmt.Fprintf(w, "  - container_id: %s\n    host_id: %s\n    size: %s\n", id.ContainerID, id.HostID, id.Size)
		}
	}
	s := i.Store
	fmt.Fprintf(w, "store:\n  configFile: %s\n  graphDriverName: %s\n  graphRoot: %s\n  imageStore:\n    number: %d\n  runRoot: %s\n", s.ConfigFile, s.GraphDriverName, s.GraphRoot, s.ImageCount, s.RunRoot)
}
