// Command scow is a daemonless, rootless container engine with Podman- and
// Docker-compatible commands.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	// Helpers containers/storage re-executes this binary as run first.
	if engine.ReexecInit() {
		return
	}
	if name, ok := asGenerator(); ok {
		os.Exit(generatorMain(name, os.Args[1:]))
	}
	if len(os.Args) > 1 && os.Args[1] == engine.HookArg {
		// Its answer, errors too, is on stdout; its stderr is the
		// monitor's log.
		if err := engine.HookMain(); err != nil {
			fmt.Fprintln(os.Stderr, "Error:", err)
			os.Exit(1)
		}
		return
	}
	if ran, err := engine.Helper(os.Args); ran {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == completeArg {
		app := newApp(os.Stdin, os.Stdout, os.Stderr)
		if code, ok := handOff(app, os.Args, nil); ok {
			os.Exit(code)
		}
		app.Setup()
		names := func(kind string) []string {
			e, err := engine.New(completionOptions(os.Args[2:]))
			if err != nil {
				return nil
			}
			defer e.Close()
			return objectNames(e, kind)
		}
		complete(app, os.Args[2:], names, os.Stdout)
		return
	}
	// A CLI lives for milliseconds and reads many small records: collect
	// garbage less often.
	debug.SetGCPercent(400)
	keepInherited()
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code: the container's
// own code for run, 125 for an engine error, 126/127 for a command that
// cannot be invoked or found.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	if code, ok := handOff(app, args, nil); ok {
		return code
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := app.RunContext(ctx, intersperse(app, args))
	if err == nil {
		return 0
	}
	if code, ok := handOff(app, args, err); ok {
		return code
	}
	if exit, ok := err.(*errdefs.ExitError); ok {
		// The container's own exit status, said by nothing else; one
		// wrapped (a build's failed step) is said too.
		return exit.Code
	}
	fmt.Fprintf(stderr, "Error: %s\n", oneLine(err))
	return errdefs.ExitCode(err)
}

// oneLine joins the lines of a (library's) multi-line error message.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// usageError makes flag errors plain errors, so they exit 125 with one line.
func usageError(_ *cli.Context, err error, _ bool) error { return err }

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:  "scow",
		Usage: "daemonless, rootless containers",
		Description: "Exit codes, as Podman's: 0 success; 125 scow itself failed (a bad flag, an unknown object, a conflict);\n" +
			"126 the container's command cannot be invoked; 127 it is not found; any other code is the container's own\n" +
			"(run, start -a, exec, wait); healthcheck run exits 1 when the check failed.",
		Version:                   version,
		Reader:                    stdin,
		Writer:                    stdout,
		ErrWriter:                 stderr,
		UseShortOptionHandling:    true,
		DisableSliceFlagSeparator: true,
		HideHelpCommand:           true,
		OnUsageError:              usageError,
		ExitErrHandler:            func(*cli.Context, error) {},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Usage: "directory of scow's data: storage, containers"},
			&cli.StringFlag{Name: "runroot", Usage: "directory of runtime state"},
			&cli.StringFlag{Name: "storage-driver", Usage: "storage driver: overlay or vfs"},
			&cli.StringFlag{Name: "runtime", Usage: "OCI runtime: runc, crun or a path"},
			&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "log messages at this level and above: trace, debug, info, warn, error, fatal, panic"},
			&cli.BoolFlag{Name: "syslog", Usage: "log to syslog as well"},
			&cli.BoolFlag{Name: "noout", Usage: "print nothing on standard output"},
			&cli.StringFlag{Name: "out", Usage: "write scow's output (not containers') to this file"},
			&cli.StringSliceFlag{Name: "storage-opt", Usage: "a graph driver option, as storage.conf's (overlay.mountopt=nodev)"},
			&cli.BoolFlag{Name: "transient-store", Usage: "keep storage's container records in the run root"},
			&cli.StringSliceFlag{Name: "runtime-flag", Usage: "a global flag for the OCI runtime (debug, log-format=json)"},
			&cli.StringFlag{Name: "events-backend", Value: "file", Usage: "file, or none to write no events"},
			&cli.StringFlag{Name: "config", Usage: "a Docker configuration directory: its config.json holds credentials"},
			&cli.StringFlag{Name: "volumepath", Usage: "directory of the named volumes (default: ROOT/volumes)"},
			&cli.StringFlag{Name: "network-config-dir", Usage: "directory of the networks' records (default: ROOT/networks)"},
			&cli.StringFlag{Name: "tmpdir", Usage: "directory of temporary files: archives and copies on their way (default: ROOT/tmp)"},
			&cli.StringSliceFlag{Name: "cdi-spec-dir", Usage: "a directory of CDI specs, for --device vendor.com/class=name; default: " + strings.Join(engine.DefaultCDISpecDirs, " and ")},
			&cli.StringSliceFlag{Name: "hooks-dir", Usage: "a directory of OCI hooks (oci-hooks(5)); default: " + strings.Join(engine.DefaultHooksDirs, " and ")},
			&cli.StringFlag{Name: "network-cmd-path", Usage: "the slirp4netns binary (default: found in PATH)"},
			&cli.StringFlag{Name: "imagestore", Usage: "directory that keeps images apart from containers' layers"},
			&cli.StringFlag{Name: "cgroup-manager", Value: "cgroupfs", Usage: "cgroupfs (scow does not ask systemd for cgroups)"},
			// Podman's remote client: scow runs containers here only.
			&cli.StringFlag{Name: "url", Usage: "remote service (scow has no remote mode)"},
			&cli.BoolFlag{Name: "remote", Aliases: []string{"r"}, Usage: "use a remote service (scow has no remote mode)"},
			&cli.StringFlag{Name: "connection", Aliases: []string{"c"}, Usage: "remote connection (scow has no remote mode)"},
			&cli.StringFlag{Name: "identity", Usage: "remote connection's key (scow has no remote mode)"},
			&cli.StringFlag{Name: "ssh", Usage: "remote connection's ssh mode (scow has no remote mode)"},
		},
		Before: globalFlags,
		Commands: []*cli.Command{
			buildCommand("build"), buildxCommand(),
			versionCommand(),
			infoCommand(),
			runCommand(),
			createCommand(),
			startCommand(),
			psCommand(),
			logsCommand(),
			stopCommand(),
			killCommand(),
			pauseCommand(true),
			pauseCommand(false),
			updateCommand(),
			statsCommand(),
			restartCommand(),
			rmCommand(),
			waitCommand(),
			inspectCommand(),
			execCommand(),
			attachCommand(),
			portCommand(),
			renameCommand(),
			topCommand(),
			healthcheckCommand(),
			eventsCommand(),
			generateCommand(),
			quadletCommand(),
			containerCommand(),
			volumeCommand(),
			secretCommand(),
			podCommand(),
			kubeCommand(),
			playCommand(),
			networkCommand(),
			cpCommand(),
			commitCommand(),
			diffCommand(),
			exportCommand(),
			mountCommand(),
			unmountCommand(),
			unshareCommand(),
			pullCommand(),
			pushCommand(),
			loginCommand(),
			logoutCommand(),
			searchCommand(),
			importCommand(),
			loadCommand(),
			saveCommand(),
			imagesCommand(),
			tagCommand(),
			untagCommand(),
			historyCommand(),
			rmiCommand(),
			imageCommand(),
			systemCommand(),
			completionCommand(),
		},
	}
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Fprintf(c.App.Writer, "scow version %s\n", c.App.Version)
	}
	// The light build has not every command (light.go).
	app.Commands = slices.DeleteFunc(app.Commands, func(c *cli.Command) bool { return c == nil })
	for _, c := range app.Commands {
		prepareCommand(c)
	}
	return app
}

// globalFlags applies the flags that hold for every command.
func globalFlags(c *cli.Context) error {
	for _, f := range []string{"url", "remote", "connection", "identity", "ssh"} {
		if c.IsSet(f) {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--%s: scow has no remote mode: it runs containers on this machine; run scow there", f))
		}
	}
	switch c.String("events-backend") {
	case "file", "none":
	case "journald":
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("--events-backend journald: scow keeps events in a file; use file or none"))
	default:
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--events-backend %q: use file or none", c.String("events-backend")))
	}
	if m := c.String("cgroup-manager"); m != "cgroupfs" {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--cgroup-manager %q: scow manages cgroups through cgroupfs only", m))
	}
	if dir := c.String("config"); dir != "" {
		// Where containers/image, as Docker, looks for config.json.
		os.Setenv("DOCKER_CONFIG", dir)
	}
	if c.Bool("noout") {
		c.App.Writer = io.Discard
	} else if out := c.String("out"); out != "" {
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		c.App.Writer = f // closed when scow exits
	}
	return setLogLevel(c)
}

// prepareCommand makes the flag errors of c and its subcommands plain
// errors, and spares the leaf commands urfave/cli's flag actions.
func prepareCommand(c *cli.Command) {
	c.OnUsageError = usageError
	for _, sub := range c.Subcommands {
		prepareCommand(sub)
	}
	if len(c.Subcommands) > 0 || c.Action == nil {
		return
	}
	// Between Before and Action urfave/cli runs the flags' actions: it
	// asks IsSet of every flag, which for each one not given scans the
	// command's flags and runs a regexp in each one's Names(). On run's
	// 200 flags that is 40,000 regexps, 3 ms and 1 MB of garbage before
	// every run. No scow flag has an action, so the flags are taken away
	// for that step: Before hides them and Action gives them back (Before
	// does not run when completing, so Action checks that it did). They
	// stay when the command hands over to its help subcommand (scow ps
	// help), whose Action is not this one.
	before, action := c.Before, c.Action
	var hidden []cli.Flag
	c.Before = func(ctx *cli.Context) error {
		if before != nil {
			if err := before(ctx); err != nil {
				return err
			}
		}
		if ctx.Args().Present() && c.Command(ctx.Args().First()) != nil {
			return nil
		}
		hidden, c.Flags = c.Flags, nil
		return nil
	}
	c.Action = func(ctx *cli.Context) error {
		if hidden != nil {
			c.Flags, hidden = hidden, nil
		}
		return action(ctx)
	}
}

// newEngine builds the engine from the global flags.
func newEngine(c *cli.Context) (*engine.Engine, error) {
	return engine.New(engine.Options{
		Root:          c.String("root"),
		RunRoot:       c.String("runroot"),
		StorageDriver: c.String("storage-driver"),
		Runtime:       givenString(c, "runtime"),
		StorageOpts:   c.StringSlice("storage-opt"), TransientStore: c.Bool("transient-store"),
		RuntimeFlags: givenSlice(c, "runtime-flag"), NoEvents: c.String("events-backend") == "none",
		VolumePath: c.String("volumepath"), NetworkConfigDir: c.String("network-config-dir"), ImageStore: c.String("imagestore"),
		TmpDir: c.String("tmpdir"), NetworkCmdPath: c.String("network-cmd-path"), HooksDirs: givenOwn(c, "hooks-dir"),
		CDISpecDirs: c.StringSlice("cdi-spec-dir"),
	})
}

// givenString is the value of a flag both global and a command's (build's
// --runtime): the command's if given, else the global one.
func givenString(c *cli.Context, name string) string {
	if ownFlag(c, name) && c.IsSet(name) {
		return c.String(name)
	}
	return global(c, name).String(name)
}

// givenSlice is the values of a list flag both global and a command's
// (build's --runtime-flag): the global ones, then the command's.
func givenSlice(c *cli.Context, name string) []string {
	out := global(c, name).StringSlice(name)
	if ownFlag(c, name) && c.IsSet(name) {
		out = append(slices.Clone(out), c.StringSlice(name)...)
	}
	return out
}

// givenOwn is the values of a list flag both global and a command's
// (build's --hooks-dir): the command's if given, else the global ones.
func givenOwn(c *cli.Context, name string) []string {
	if ownFlag(c, name) && c.IsSet(name) {
		return c.StringSlice(name)
	}
	return global(c, name).StringSlice(name)
}

// ownFlag tells whether c's command has a flag of that name, which hides
// a global one of the same name.
func ownFlag(c *cli.Context, name string) bool {
	return c.Command != nil && hasFlag(c.Command.Flags, name)
}

// global is a context that reads the global flag name: c, or its parent
// where c's command hides it.
func global(c *cli.Context, name string) *cli.Context {
	if l := c.Lineage(); ownFlag(c, name) && len(l) > 1 {
		return l[1]
	}
	return c
}

// withEngine runs fn with an engine closed afterwards.
func withEngine(fn func(c *cli.Context, e *engine.Engine) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		e, err := newEngine(c)
		if err != nil {
			return err
		}
		defer e.Close()
		return fn(c, e)
	}
}

// exactArgs checks the number of positional arguments.
func exactArgs(c *cli.Context, min, max int, usage string) error {
	n := c.NArg()
	if n < min || (max >= 0 && n > max) {
		return fmt.Errorf("%s: usage: scow %s", c.Command.Name, usage)
	}
	return nil
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "show the scow version",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "Go template over .Client ({{.Client.Version}}...), or json"},
		},
		Action: func(c *cli.Context) error {
			v := struct{ Client engine.VersionInfo }{engine.NewVersionInfo(version)}
			if f := c.String("format"); f != "" {
				return printOne(c.App.Writer, f, v)
			}
			fmt.Fprintf(c.App.Writer, "Version:      %s\nAPI Version:  %s\nGo Version:   %s\nBuilt:        %s\nOS/Arch:      %s\n",
				v.Client.Version, v.Client.APIVersion, v.Client.GoVersion, v.Client.BuiltTime, v.Client.OsArch)
			return nil
		},
	}
}

// interruptible cancels ctx on SIGINT/SIGTERM for commands that are not
// running a container (which gets the signals instead).
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
}

// confirm asks before what cannot be undone, unless --force says yes.
// As Podman: the question on standard output, the answer from standard
// input, terminal or not; an answer not starting with y does nothing,
// and no answer at all is an error.
func confirm(c *cli.Context, what string) (bool, error) {
	if c.Bool("force") {
		return true, nil
	}
	fmt.Fprintf(c.App.Writer, "WARNING! This will remove %s.\nAre you sure you want to continue? [y/N] ", what)
	answer, err := bufio.NewReader(c.App.Reader).ReadString('\n')
	if err != nil && answer == "" {
		fmt.Fprintln(c.App.Writer)
		return false, fmt.Errorf("no answer on standard input (%v): give --force to do it without asking", err)
	}
	if a := strings.ToLower(strings.TrimSpace(answer)); !strings.HasPrefix(a, "y") {
		fmt.Fprintln(c.App.Writer)
		return false, nil
	}
	return true, nil
}
