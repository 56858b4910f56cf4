//go:build !scow_light

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/build"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/urfave/cli/v2"
)

// buildCommand is build, also image build and buildx build.
func buildCommand(name string) *cli.Command {
	return &cli.Command{
		Name:      name,
		Usage:     "build an image from a Containerfile or Dockerfile",
		ArgsUsage: "[CONTEXT]",
		Flags: append(append(registryFlags(), pickFlags(createFlags(), buildRunFlags...)...),
			&cli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "the Containerfile (- for standard input; default: CONTEXT/Containerfile, else CONTEXT/Dockerfile)"},
			&cli.StringSliceFlag{Name: "tag", Aliases: []string{"t"}, Usage: "a name for the image"},
			&cli.StringSliceFlag{Name: "build-arg", Usage: "ARG=VALUE for the Containerfile's ARG (ARG alone: this environment's value)"},
			&cli.StringSliceFlag{Name: "build-arg-file", Usage: "a file of ARG=VALUE lines, read before --build-arg"},
			&cli.StringSliceFlag{Name: "label", Usage: "KEY=VALUE: a label of the image"},
			&cli.BoolFlag{Name: "no-cache", Usage: "build every step again, reusing no earlier build's"},
			&cli.StringFlag{Name: "pull", Value: "missing", Usage: "pull the base images: always (--pull alone), missing, never or newer"},
			&cli.StringFlag{Name: "target", Usage: "the stage to build (default: the last)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the image's ID (and what RUN steps print)"},
			&cli.StringFlag{Name: "iidfile", Usage: "write the image's ID to this file"},
			&cli.StringFlag{Name: "format", Value: "oci", Usage: "the image's manifest type: oci or docker"},
			&cli.StringFlag{Name: "network", Usage: "RUN's network, as run's --network"},
			&cli.StringFlag{Name: "ignorefile", Usage: "the context's ignore file (default: .containerignore, else .dockerignore)"},
			&cli.BoolFlag{Name: "compress", Usage: "Docker's; does nothing: no daemon to send the context to"},
			&cli.BoolFlag{Name: "rm", Value: true, Usage: "remove a RUN step's container once it succeeded"},
			&cli.BoolFlag{Name: "force-rm", Value: true, Usage: "remove a RUN step's container when it failed too"},
			&cli.StringSliceFlag{Name: "env", Usage: "KEY=VALUE (or KEY: this environment's): a variable of RUN and of the image"},
			&cli.StringSliceFlag{Name: "unsetenv", Usage: "a variable to leave out of the image"},
			&cli.StringSliceFlag{Name: "unsetlabel", Usage: "a label (the base image's) to leave out of the image"},
			&cli.BoolFlag{Name: "inherit-labels", Value: true, Usage: "keep the base image's labels"},
			&cli.Int64Flag{Name: "timestamp", Usage: "seconds since the epoch: the time of the image, its history and its files, for a reproducible image"},
			&cli.BoolFlag{Name: "omit-history", Usage: "leave the image without history"},
			&cli.StringSliceFlag{Name: "secret", Usage: "id=ID,src=FILE (or env=VARIABLE): a secret for RUN --mount=type=secret, in no layer"},
			&cli.BoolFlag{Name: "layers", Value: true, Usage: "keep an image of every step, for later builds to reuse (false: each stage's steps make one layer)"},
			&cli.BoolFlag{Name: "squash", Usage: "make the image's new layers one"},
			&cli.BoolFlag{Name: "squash-all", Usage: "make all the image's layers, its base image's too, one"},
			&cli.StringSliceFlag{Name: "annotation", Usage: "KEY=VALUE: an annotation of the image's manifest"},
			&cli.StringFlag{Name: "logfile", Usage: "write what build prints to this file instead"},
			&cli.BoolFlag{Name: "logsplit", Usage: "with --logfile, write to LOGFILE_OS_ARCH, as for each platform"},
			&cli.StringFlag{Name: "runtime", Usage: "OCI runtime of the RUN steps: runc, crun or a path"},
			&cli.StringSliceFlag{Name: "runtime-flag", Usage: "a global flag for the OCI runtime of the RUN steps"},
			&cli.IntFlag{Name: "jobs", Value: runtime.NumCPU(), Usage: "build up to this many independent stages at the same time (0: all); the output stays in order"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "also export the image's files: type=local,dest=DIR (or DIR), type=tar,dest=FILE (- : standard output)"},
			&cli.StringSliceFlag{Name: "cpp-flag", Usage: "a flag for cpp, which preprocesses a Containerfile ending in .in"},
			&cli.BoolFlag{Name: "disable-compression", Aliases: []string{"D"}, Value: true, Usage: "keep layers uncompressed in the store (push compresses them); false is refused"},
			&cli.StringSliceFlag{Name: "ssh", Usage: "default (the agent of $SSH_AUTH_SOCK) or ID=SOCKET: an SSH agent for RUN --mount=type=ssh"},
			&cli.StringFlag{Name: "from", Usage: "the image of the first FROM, instead of the Containerfile's"},
			&cli.BoolFlag{Name: "skip-unused-stages", Value: true, Usage: "build only the stages the target needs (false: every stage up to it)"},
			&cli.BoolFlag{Name: "stdin", Usage: "give RUN steps this standard input (when stages build one at a time)"},
			&cli.StringFlag{Name: "isolation", Value: "oci", Usage: "how RUN steps run: oci or rootless (both under the OCI runtime)"},
			&cli.StringSliceFlag{Name: "userns-uid-map", Usage: "CONTAINER-UID:HOST-UID:SIZE for RUN steps, as run's --uidmap"},
			&cli.StringSliceFlag{Name: "userns-gid-map", Usage: "CONTAINER-GID:HOST-GID:SIZE for RUN steps, as run's --gidmap"},
			&cli.StringFlag{Name: "userns-uid-map-user", Usage: "map RUN steps' UIDs to this user's ranges in /etc/subuid"},
			&cli.StringFlag{Name: "userns-gid-map-group", Usage: "map RUN steps' GIDs to this group's ranges in /etc/subgid"},
			&cli.StringSliceFlag{Name: "hooks-dir", Usage: "a directory of OCI hooks for RUN steps, instead of the global ones"},
			&cli.BoolFlag{Name: "all-platforms", Usage: "build for every platform of the base images (scow builds for this host's only)"},
			&cli.StringSliceFlag{Name: "build-context", Usage: "NAME=DIR, NAME=docker-image://IMAGE or NAME=container-image://IMAGE: a context FROM, COPY --from and RUN --mount from= can name"},
			&cli.StringSliceFlag{Name: "cache-from", Usage: "a repository to pull the steps' images from, as --cache-to pushed them"},
			&cli.StringSliceFlag{Name: "cache-to", Usage: "a repository to push the steps' images to, tagged with their cache keys"},
			&cli.StringFlag{Name: "cache-ttl", Usage: "reuse only steps' images younger than this (10h, 30m; 0: as --no-cache)"},
		),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 0, 1, name+" [OPTIONS] [CONTEXT]"); err != nil {
				return err
			}
			o, err := buildOptions(c)
			if err != nil {
				return err
			}
			if name := c.String("logfile"); name != "" {
				if c.Bool("logsplit") {
					name += "_" + runtime.GOOS + "_" + runtime.GOARCH
				}
				f, err := os.Create(name)
				if err != nil {
					return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--logfile: %w", err))
				}
				defer f.Close()
				o.Out, c.App.Writer = f, f
			} else if c.Bool("logsplit") {
				return errdefs.WithClass(errdefs.ErrInvalid, errors.New("--logsplit splits --logfile: give it"))
			}
			ctx, cancel := interruptible(c.Context)
			defer cancel()
			id, err := e.Build().Build(ctx, o)
			if err != nil {
				return err
			}
			fmt.Fprintln(o.Out, id) // stderr when the archive of --output - is on stdout
			return nil
		}),
	}
}

// buildxCommand is Docker's buildx with its build, as Podman has it.
func buildxCommand() *cli.Command {
	b := buildCommand("build")
	b.Flags = append(b.Flags, &cli.BoolFlag{Name: "load", Usage: "Docker's; the image is in scow's store anyway"})
	return &cli.Command{Name: "buildx", Usage: "Docker's buildx: build", Subcommands: []*cli.Command{b}}
}

// buildOptions reads build's flags: the context is the argument, else the
// Containerfile's directory, else the working directory.
func buildOptions(c *cli.Context) (build.Options, error) {
	o := build.Options{
		ContextDir: c.Args().First(), Stdin: c.App.Reader, Tags: c.StringSlice("tag"), Labels: c.StringSlice("label"),
		NoCache: c.Bool("no-cache"), Pull: c.String("pull"), Registry: registryOptions(c), Target: c.String("target"),
		Quiet: c.Bool("quiet"), IIDFile: c.String("iidfile"), Format: c.String("format"), Network: c.String("network"),
		IgnoreFile: c.String("ignorefile"), Out: c.App.Writer,
	}
	switch o.Pull {
	case "true":
		o.Pull = "always"
	case "false":
		o.Pull = "never"
	}
	files := c.StringSlice("file")
	switch {
	case len(files) > 1:
		return o, errdefs.WithClass(errdefs.ErrInvalid, errors.New("-f: scow reads one Containerfile"))
	case len(files) == 1:
		o.File = files[0]
	}
	if o.ContextDir == "" {
		o.ContextDir = "."
		if o.File != "" && o.File != "-" {
			o.ContextDir = filepath.Dir(o.File)
		}
	}
	for _, f := range c.StringSlice("build-arg-file") {
		data, err := os.ReadFile(f)
		if err != nil {
			return o, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--build-arg-file: %w", err))
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				o.BuildArgs = append(o.BuildArgs, l)
			}
		}
	}
	o.BuildArgs = append(o.BuildArgs, c.StringSlice("build-arg")...)
	o.KeepContainers, o.KeepFailed = !c.Bool("rm"), !c.Bool("force-rm")
	o.Env, o.UnsetEnv, o.UnsetLabels, o.NoInheritLabels = c.StringSlice("env"), c.StringSlice("unsetenv"), c.StringSlice("unsetlabel"), !c.Bool("inherit-labels")
	o.OmitHistory = c.Bool("omit-history")
	o.Output, o.OutputStdout = c.String("output"), c.App.Writer
	if o.Output == "-" || strings.Contains(o.Output, "dest=-") {
		// The archive takes standard output: the steps go to stderr.
		o.Out = c.App.ErrWriter
	}
	o.CppFlags = c.StringSlice("cpp-flag")
	if !c.Bool("disable-compression") {
		return o, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--disable-compression=false: scow's store keeps layers uncompressed; push compresses them (--compression-format)"))
	}
	for _, v := range c.StringSlice("ssh") {
		id, sock, err := build.ParseSSH(v)
		if err != nil {
			return o, err
		}
		if o.SSH == nil {
			o.SSH = map[string]string{}
		}
		o.SSH[id] = sock
	}
	o.From, o.AllStages, o.RunStdin = c.String("from"), !c.Bool("skip-unused-stages"), c.Bool("stdin")
	switch c.String("isolation") {
	case "oci", "":
	case "rootless":
		if os.Geteuid() == 0 {
			return o, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--isolation rootless: scow runs RUN steps rootless when run by a user; as root use --isolation oci"))
		}
	case "chroot":
		return o, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--isolation chroot: scow runs RUN steps under the OCI runtime only (oci, rootless)"))
	default:
		return o, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--isolation %q: use oci or rootless", c.String("isolation")))
	}
	if c.Bool("all-platforms") {
		return o, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--all-platforms: scow builds for this host's platform only"))
	}
	for _, bc := range c.StringSlice("build-context") {
		name, value, ok := strings.Cut(bc, "=")
		if !ok || name == "" || value == "" {
			return o, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--build-context %q: give NAME=VALUE", bc))
		}
		if o.Contexts == nil {
			o.Contexts = map[string]string{}
		}
		o.Contexts[name] = value
	}
	o.Jobs = c.Int("jobs")
	if o.RunStdin && !c.IsSet("jobs") {
		o.Jobs = 1 // input goes to one RUN at a time
	}
	if o.Jobs < 0 {
		return o, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--jobs: give 0 (no limit) or more"))
	}
	o.CacheFrom, o.CacheTo = c.StringSlice("cache-from"), c.StringSlice("cache-to")
	if v := c.String("cache-ttl"); v != "" {
		ttl, err := time.ParseDuration(v)
		if err != nil {
			return o, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--cache-ttl %q: give a duration such as 10h", v))
		}
		o.CacheTTL = &ttl
	}
	o.NoLayers, o.Squash, o.SquashAll = !c.Bool("layers"), c.Bool("squash"), c.Bool("squash-all")
	for _, a := range c.StringSlice("annotation") {
		if k, _, ok := strings.Cut(a, "="); !ok || k == "" {
			return o, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--annotation %q: give KEY=VALUE", a))
		}
		o.Annotations = append(o.Annotations, a)
	}
	for _, v := range c.StringSlice("secret") {
		s, err := build.ParseSecret(v)
		if err != nil {
			return o, err
		}
		o.Secrets = append(o.Secrets, s)
	}
	if c.IsSet("timestamp") {
		t := time.Unix(c.Int64("timestamp"), 0).UTC()
		o.Timestamp = &t
	}
	// What RUN's containers get, as run's flags of the same names.
	o.Run = specgen.RunOptions{
		AddHosts: c.StringSlice("add-host"), DNS: c.StringSlice("dns"), DNSOptions: c.StringSlice("dns-option"), DNSSearch: c.StringSlice("dns-search"),
		NoHosts: c.Bool("no-hosts"), NoHostname: c.Bool("no-hostname"), HTTPProxy: c.Bool("http-proxy"), Volumes: c.StringSlice("volume"),
		UserNS: c.String("userns"), UIDMap: c.StringSlice("userns-uid-map"), GIDMap: c.StringSlice("userns-gid-map"),
		SubUIDName: c.String("userns-uid-map-user"), SubGIDName: c.String("userns-gid-map-group"),
		Security: specgen.SecurityOptions{
			CapAdd: c.StringSlice("cap-add"), CapDrop: c.StringSlice("cap-drop"), SecurityOpt: c.StringSlice("security-opt"),
			Devices: c.StringSlice("device"), GroupAdd: c.StringSlice("group-add"), Ulimit: c.StringSlice("ulimit"), ShmSize: c.String("shm-size"),
		},
		Namespaces:   specgen.NamespaceOptions{PID: c.String("pid"), IPC: c.String("ipc"), UTS: c.String("uts"), Cgroup: c.String("cgroupns")},
		Resources:    resourceOptions(c),
		CgroupParent: c.String("cgroup-parent"),
	}
	return o, nil
}

// buildRunFlags are run's flags that build takes for its RUN steps, and
// the pull flags for its base images.
var buildRunFlags = []string{
	"add-host", "dns", "dns-option", "dns-search", "no-hosts", "no-hostname", "http-proxy", "volume", "userns",
	"cap-add", "cap-drop", "security-opt", "device", "group-add", "ulimit", "shm-size",
	"pid", "ipc", "uts", "cgroupns", "cgroup-parent",
	"memory", "memory-swap", "cpu-period", "cpu-quota", "cpu-shares", "cpuset-cpus", "cpuset-mems",
	"os", "arch", "variant", "platform", "retry", "retry-delay", "disable-content-trust", "decryption-key",
}

// pickFlags are the flags of all named names, in names' order. Each
// flag's Names is read once: it runs a regexp, and this runs at every
// start-up.
func pickFlags(all []cli.Flag, names ...string) []cli.Flag {
	byName := make(map[string]cli.Flag, len(all))
	for _, f := range all {
		byName[f.Names()[0]] = f
	}
	var out []cli.Flag
	for _, n := range names {
		if f, ok := byName[n]; ok {
			out = append(out, f)
		}
	}
	return out
}
