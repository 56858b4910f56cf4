package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/scow-project/scow/engine"
	"github.com/urfave/cli/v2"
)

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:  "info",
		Usage: "show host, runtime and storage details",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "Go template over Podman's fields ({{.Host.Arch}}, {{.Store.GraphDriverName}}...), or json"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			info, err := e.Info(c.Context, version)
			if err != nil {
				return err
			}
			if f := c.String("format"); f != "" {
				return printOne(c.App.Writer, f, info)
			}
			printInfo(c.App.Writer, info)
			return nil
		}),
	}
}

// printInfo writes info as YAML, the way `podman info` shows it.
func printInfo(w io.Writer, i *engine.Info) {
	h := i.Host
	fmt.Fprintf(w, "host:\n  arch: %s\n  cgroupControllers: [%s]\n  cgroupManager: %s\n  cgroupVersion: %s\n  cpus: %d\n",
		h.Arch, strings.Join(h.CgroupControllers, ", "), h.CgroupManager, h.CgroupsVersion, h.CPUs)
	fmt.Fprintf(w, "  distribution:\n    codename: %s\n    distribution: %s\n    version: \"%s\"\n", h.Distribution.Codename, h.Distribution.Distribution, h.Distribution.Version)
	fmt.Fprintf(w, "  eventLogger: %s\n  hostname: %s\n", h.EventLogger, h.Hostname)
	fmt.Fprintf(w, "  idMappings:\n")
	for _, m := range []struct {
		name string
		ids  []engine.IDMapping
	}{{"gidmap", h.IDMappings.GIDMap}, {"uidmap", h.IDMappings.UIDMap}} {
		fmt.Fprintf(w, "    %s:\n", m.name)
		for _, id := range m.ids {
			fmt.Fprintf(w, "    - container_id: %s\n      host_id: %s\n      size: %s\n", id.ContainerID, id.HostID, id.Size)
		}
	}
	fmt.Fprintf(w, "  kernel: %s\n  logDriver: %s\n  memFree: %d\n  memTotal: %d\n  networkBackend: %s\n", h.Kernel, h.LogDriver, h.MemFree, h.MemTotal, h.NetworkBackend)
	fmt.Fprintf(w, "  ociRuntime:\n    name: %s\n    path: %s\n    version: %s\n  os: %s\n", h.OCIRuntime.Name, h.OCIRuntime.Path, h.OCIRuntime.Version, h.OS)
	fmt.Fprintf(w, "  pasta:\n    executable: %s\n    version: %s\n", h.Pasta.Executable, h.Pasta.Version)
	fmt.Fprintf(w, "  security:\n    apparmorEnabled: %t\n    rootless: %t\n    seccompEnabled: %t\n    selinuxEnabled: %t\n",
		h.Security.AppArmorEnabled, h.Security.Rootless, h.Security.SECCOMPEnabled, h.Security.SELinuxEnabled)
	fmt.Fprintf(w, "  slirp4netns:\n    executable: %s\n    version: %s\n", h.Slirp4NetNS.Executable, h.Slirp4NetNS.Version)
	fmt.Fprintf(w, "  swapFree: %d\n  swapTotal: %d\n  uptime: %s\n", h.SwapFree, h.SwapTotal, h.Uptime)
	s := i.Store
	fmt.Fprintf(w, "store:\n  configFile: %s\n  containerStore:\n    number: %d\n    paused: %d\n    running: %d\n    stopped: %d\n",
		s.ConfigFile, s.ContainerStore.Number, s.ContainerStore.Paused, s.ContainerStore.Running, s.ContainerStore.Stopped)
	fmt.Fprintf(w, "  graphDriverName: %s\n  graphRoot: %s\n  imageStore:\n    number: %d\n  runRoot: %s\n  volumePath: %s\n",
		s.GraphDriverName, s.GraphRoot, s.ImageStore.Number, s.RunRoot, s.VolumePath)
	v := i.Version
	fmt.Fprintf(w, "version:\n  APIVersion: %s\n  Built: %d\n  BuiltTime: %s\n  GoVersion: %s\n  Os: %s\n  OsArch: %s\n  Version: %s\n",
		v.APIVersion, v.Built, v.BuiltTime, v.GoVersion, v.Os, v.OsArch, v.Version)
}
