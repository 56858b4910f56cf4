package containers

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/quadlet"
	"github.com/scow-project/scow/engine/record"
)

// SystemdOptions are the flags of generate systemd.
type SystemdOptions struct {
	// New makes a unit that creates the container afresh at each start
	// (from its create command) and removes it at each stop.
	New bool
	// UseName names the unit and the commands after the container's
	// name, not its ID.
	UseName bool
	// Prefix and Separator start the unit's name (container-NAME).
	Prefix, Separator string
	// RestartPolicy and RestartSec are systemd's Restart= and RestartSec=.
	RestartPolicy string
	RestartSec    *uint
	// StartTimeout and StopTimeout (nil: the container's) are seconds.
	StartTimeout, StopTimeout *uint
	// After, Wants and Requires are more [Unit] dependencies; Env more
	// Environment= lines.
	After, Wants, Requires, Env []string
	// NoHeader leaves out the comment at the top.
	NoHeader bool
	// ValueFlag tells which of run's flags (by a name, without dashes)
	// take a value: the create command is read with it for New.
	ValueFlag func(name string) bool
}

// Unit is one generated systemd unit.
type Unit struct {
	Name, Text string
}

// restartPolicies are systemd's Restart= values.
var restartPolicies = []string{"no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"}

// GenerateSystemd writes a systemd service unit that runs container ref,
// as Podman's generate systemd does: Type=notify, the monitor telling
// systemd it is ready.
func (e *Service) GenerateSystemd(ref string, o SystemdOptions) (*Unit, error) {
	cfg, err := e.Config(ref)
	if err != nil {
		return nil, err
	}
	o.RestartPolicy = cmp.Or(o.RestartPolicy, "on-failure")
	if !slices.Contains(restartPolicies, o.RestartPolicy) {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--restart-policy %q: use %s", o.RestartPolicy, strings.Join(restartPolicies, ", ")))
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	scow := []string{exe, "--root", e.Opts.Root, "--runroot", e.Opts.RunRoot}
	ident := cfg.ID
	if o.UseName {
		ident = cfg.Name
	}
	name := cmp.Or(o.Prefix, "container") + cmp.Or(o.Separator, "-") + ident + ".service"
	stop, stopSec := fmt.Sprint(cfg.StopTimeout), fmt.Sprint(cfg.StopTimeout+60)
	if cfg.StopTimeout < 0 {
		stop, stopSec = "-1", "infinity" // waits as long as it takes
	}
	if o.StopTimeout != nil {
		stop, stopSec = fmt.Sprint(*o.StopTimeout), fmt.Sprint(*o.StopTimeout+60)
	}
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	if !o.NoHeader {
		line("# %s", name)
		line("# made by scow generate systemd")
		line("")
	}
	line("[Unit]")
	line("Description=scow %s", name)
	line("Wants=network-online.target")
	line("After=network-online.target")
	for _, w := range o.Wants {
		line("Wants=%s", w)
	}
	for _, a := range o.After {
		line("After=%s", a)
	}
	for _, r := range o.Requires {
		line("Requires=%s", r)
	}
	if o.New {
		line("RequiresMountsFor=%%t")
	}
	line("")
	line("[Service]")
	line("Environment=PODMAN_SYSTEMD_UNIT=%%n")
	for _, env := range o.Env {
		line("Environment=%s", env)
	}
	line("Restart=%s", o.RestartPolicy)
	if o.RestartSec != nil {
		line("RestartSec=%d", *o.RestartSec)
	}
	if o.StartTimeout != nil {
		line("TimeoutStartSec=%d", *o.StartTimeout)
	}
	line("TimeoutStopSec=%s", stopSec)
	// Words of the container's own are escaped; the unit's specifiers
	// (%t, %n) are for systemd.
	literal := func(words ...string) []string {
		out := make([]string, len(words))
		for i, w := range words {
			out[i] = quadlet.Escape(w)
		}
		return out
	}
	exec := func(key string, words ...string) { line("%s=%s", key, quadlet.Command(words...)) }
	self := literal(scow...)
	if o.New {
		run, err := newRunCommand(cfg, o.ValueFlag)
		if err != nil {
			return nil, err
		}
		cid := "--cidfile=%t/%n.ctr-id"
		exec("ExecStart", append(append(slices.Clone(self), "run", cid, "--rm", "--sdnotify=conmon", "--replace", "-d"), literal(run...)...)...)
		exec("ExecStop", append(slices.Clone(self), "stop", "--ignore", "-t", stop, cid)...)
		exec("ExecStopPost", append(slices.Clone(self), "rm", "-f", "--ignore", "-t", stop, cid)...)
	} else {
		for _, key := range []string{"ExecStart", "ExecStop", "ExecStopPost"} {
			verb := []string{"stop", "-t", stop}
			if key == "ExecStart" {
				verb = []string{"start"}
			}
			exec(key, append(append(slices.Clone(self), verb...), quadlet.Escape(ident))...)
		}
	}
	line("Type=notify")
	line("NotifyAccess=all")
	line("")
	line("[Install]")
	line("WantedBy=default.target")
	return &Unit{Name: name, Text: b.String()}, nil
}

// newRunCommand is the run flags and arguments of the container's
// create command, without what the unit decides itself: detaching,
// --rm, --replace, --cidfile, --sdnotify and --restart.
func newRunCommand(cfg *record.Config, valueFlag func(string) bool) ([]string, error) {
	args := cfg.CreateCommand
	i := slices.IndexFunc(args, func(a string) bool { return a == "run" || a == "create" })
	if i < 0 {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("generate systemd --new: container %s has no create command on record (made by an older scow, or not by run or create): use generate systemd without --new", cfg.Name))
	}
	var out []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			return append(out, rest[j:]...), nil
		case !strings.HasPrefix(a, "-"):
			// The image and its command: all that follows is theirs.
			return append(out, rest[j:]...), nil
		case slices.Contains([]string{"-d", "--detach", "--detach=true", "--rm", "--rm=true", "--replace", "--replace=true"}, a):
		case a == "--cidfile" || a == "--sdnotify" || a == "--restart":
			j++ // and its value: the unit's Restart= restarts it
		case strings.HasPrefix(a, "--cidfile=") || strings.HasPrefix(a, "--sdnotify=") || strings.HasPrefix(a, "--restart="):
		case isBoolShorts(a) && strings.Contains(a, "d"):
			if a = strings.ReplaceAll(a, "d", ""); a != "-" {
				out = append(out, a)
			}
		default:
			out = append(out, a)
			if takesValue(a, valueFlag) && j+1 < len(rest) {
				j++
				out = append(out, rest[j])
			}
		}
	}
	return nil, errdefs.WithClass(errdefs.ErrInvalid, errors.New("generate systemd --new: the create command names no image"))
}

// isBoolShorts tells whether a is a group of run's one-letter switches
// (-dit).
func isBoolShorts(a string) bool {
	if len(a) < 2 || a[0] != '-' || a[1] == '-' {
		return false
	}
	return strings.Trim(a[1:], "ditPq") == ""
}

// takesValue tells whether a, a flag without =, takes the next word as
// its value, as valueFlag says of its name.
func takesValue(a string, valueFlag func(string) bool) bool {
	return !strings.Contains(a, "=") && valueFlag != nil && valueFlag(strings.TrimLeft(a, "-"))
}
