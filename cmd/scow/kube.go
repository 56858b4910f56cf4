//go:build !scow_light

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/kube"
	"github.com/urfave/cli/v2"
)

func kubeCommand() *cli.Command {
	return &cli.Command{
		Name:        "kube",
		Usage:       "run Kubernetes YAML as pods, and write it of pods and containers",
		Subcommands: []*cli.Command{kubePlayCommand("play"), kubeDownCommand(), kubeGenerateCommand("generate")},
	}
}

// kubeYAML reads the YAML a kube command names: a file, - (standard
// input) or an http(s) URL.
func kubeYAML(c *cli.Context, src string) (io.Reader, error) {
	switch {
	case src == "-":
		data, err := io.ReadAll(c.App.Reader)
		return bytes.NewReader(data), err
	case strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://"):
		client := &http.Client{Timeout: 30 * time.Second}
		resp, err := client.Get(src)
		if err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("fetch %s: %w", src, err))
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("fetch %s: %s", src, resp.Status))
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		return bytes.NewReader(data), err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("kube: %w", err))
	}
	return bytes.NewReader(data), nil
}

func kubePlayCommand(name string) *cli.Command {
	return &cli.Command{
		Name:      name,
		Usage:     "make and start the pods, containers and volumes of Kubernetes YAML",
		ArgsUsage: "FILE|-|URL [FILE...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "down", Usage: "remove the pods of the YAML instead (kube down)"},
			&cli.BoolFlag{Name: "replace", Usage: "remove pods of the same names first"},
			&cli.BoolFlag{Name: "start", Value: true, Usage: "start the pods (--start=false makes them only)"},
			&cli.StringFlag{Name: "network", Usage: "the pods' network: a network's NAME, slirp4netns, pasta, host or none"},
			&cli.StringSliceFlag{Name: "configmap", Usage: "a YAML file of ConfigMaps the pods may use (repeatable)"},
			&cli.StringSliceFlag{Name: "publish", Usage: "publish a port of every pod: [[IP:][HOST-PORT]:]PORT[/udp]"},
			&cli.BoolFlag{Name: "no-hosts", Usage: "leave the images' /etc/hosts alone"},
			&cli.BoolFlag{Name: "build", Usage: "build each image from the directory of its name holding a Containerfile (default: only images that are missing; --build=false never)"},
			&cli.StringFlag{Name: "context-dir", Usage: "where the directories of --build are (default: the working directory)"},
			&cli.StringSliceFlag{Name: "ip", Usage: "the pods' addresses on their named network, in the order of the pods (repeatable)"},
			&cli.StringSliceFlag{Name: "mac-address", Usage: "the pods' MAC addresses, in the order of the pods (repeatable)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no IDs and no pull progress"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, -1, "kube play [OPTIONS] FILE|-|URL [FILE...]"); err != nil {
				return err
			}
			if c.Bool("down") {
				return kubeDown(c, e, false)
			}
			o := kube.PlayOptions{
				PlanOptions: kube.PlanOptions{Network: c.String("network"), Publish: c.StringSlice("publish"), NoHosts: c.Bool("no-hosts"),
					IPs: c.StringSlice("ip"), MACs: c.StringSlice("mac-address")},
				Replace: c.Bool("replace"), NoStart: !c.Bool("start"), ConfigMaps: c.StringSlice("configmap"),
				Warn: func(w string) { fmt.Fprintf(c.App.ErrWriter, "Warning: %s\n", w) },
			}
			if c.IsSet("build") {
				b := c.Bool("build")
				o.Build = &b
			}
			if o.ContextDir = c.String("context-dir"); o.ContextDir != "" && (o.Build == nil || !*o.Build) {
				return errdefs.WithClass(errdefs.ErrInvalid, errors.New("--context-dir needs --build"))
			}
			if !c.Bool("quiet") {
				o.PullProgress, o.BuildOut = progress(c), c.App.ErrWriter
			}
			for _, src := range c.Args().Slice() {
				r, err := kubeYAML(c, src)
				if err != nil {
					return err
				}
				rep, err := e.Kube().Play(c.Context, r, src, o)
				if rep != nil && !c.Bool("quiet") {
					printPlay(c.App.Writer, rep)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}),
	}
}

// printPlay prints what kube play made, as Podman does.
func printPlay(w io.Writer, rep *kube.Report) {
	if len(rep.Volumes) > 0 {
		fmt.Fprintf(w, "Volumes:\n%s\n", strings.Join(rep.Volumes, "\n"))
	}
	for _, p := range rep.Pods {
		fmt.Fprintf(w, "Pod:\n%s\nContainers:\n", p.ID)
		for _, id := range p.Containers {
			fmt.Fprintln(w, id)
		}
		fmt.Fprintln(w)
	}
}

func kubeDownCommand() *cli.Command {
	return &cli.Command{
		Name:      "down",
		Usage:     "remove the pods of Kubernetes YAML, and with --force the volumes of its claims",
		ArgsUsage: "FILE|-|URL [FILE...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Usage: "remove the volumes of the YAML's PersistentVolumeClaims too"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, -1, "kube down [OPTIONS] FILE|-|URL [FILE...]"); err != nil {
				return err
			}
			return kubeDown(c, e, c.Bool("force"))
		}),
	}
}

// kubeDown removes the pods of the YAML the arguments name.
func kubeDown(c *cli.Context, e *engine.Engine, volumes bool) error {
	for _, src := range c.Args().Slice() {
		r, err := kubeYAML(c, src)
		if err != nil {
			return err
		}
		rep, err := e.Kube().Down(c.Context, r, src, volumes)
		if rep != nil && len(rep.Pods) > 0 {
			fmt.Fprintf(c.App.Writer, "Pods stopped:\n%s\nPods removed:\n%s\n", strings.Join(rep.Pods, "\n"), strings.Join(rep.Pods, "\n"))
		}
		if rep != nil && len(rep.Volumes) > 0 {
			fmt.Fprintf(c.App.Writer, "Volumes removed:\n%s\n", strings.Join(rep.Volumes, "\n"))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func kubeGenerateCommand(name string) *cli.Command {
	return &cli.Command{
		Name:      name,
		Usage:     "write Kubernetes YAML of pods and containers, for a cluster or kube play",
		ArgsUsage: "CONTAINER|POD [CONTAINER|POD...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "service", Aliases: []string{"s"}, Usage: "add a Service (NodePort) of the published ports"},
			&cli.StringFlag{Name: "type", Aliases: []string{"t"}, Value: "pod", Usage: "pod or deployment"},
			&cli.IntFlag{Name: "replicas", Aliases: []string{"r"}, Value: 1, Usage: "a Deployment's replicas"},
			&cli.StringFlag{Name: "filename", Aliases: []string{"f"}, Usage: "write the YAML to this file"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, -1, "kube generate [OPTIONS] CONTAINER|POD [CONTAINER|POD...]"); err != nil {
				return err
			}
			if c.IsSet("replicas") && c.String("type") != "deployment" {
				return errdefs.WithClass(errdefs.ErrInvalid, errors.New("--replicas: only with --type deployment"))
			}
			out, err := e.Kube().Generate(c.Context, c.Args().Slice(), kube.GenerateOptions{
				Service: c.Bool("service"), Type: c.String("type"), Replicas: int32(c.Int("replicas")),
			})
			if err != nil {
				return err
			}
			if f := c.String("filename"); f != "" {
				// It may hold secrets' data: the user's alone.
				w, err := os.OpenFile(f, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if errors.Is(err, os.ErrExist) {
					return errdefs.WithClass(errdefs.ErrExists, fmt.Errorf("--filename %s: the file exists: remove it or name another", f))
				}
				if err != nil {
					return fmt.Errorf("--filename: %w", err)
				}
				if _, err := w.Write(out); err != nil {
					w.Close()
					return err
				}
				return w.Close()
			}
			_, err = c.App.Writer.Write(out)
			return err
		}),
	}
}

// playCommand is Podman's older spelling, play kube.
func playCommand() *cli.Command {
	return &cli.Command{
		Name:        "play",
		Usage:       "run Kubernetes YAML (play kube, as kube play)",
		Subcommands: []*cli.Command{kubePlayCommand("kube")},
	}
}
