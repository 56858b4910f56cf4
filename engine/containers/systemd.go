package containers

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/monitor"
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
	// take a value: the create command is read with it for New;
	// PodValueFlag tells it of pod create's.
	ValueFlag, PodValueFlag func(name string) bool
	// PodPrefix starts the name of a pod's unit (pod-NAME).
	PodPrefix string
}

// Unit is one generated systemd unit.
type Unit struct {
	Name, Text string
}

// restartPolicies are systemd's Restart= values.
var restartPolicies = []string{"no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"}

// GenerateSystemd writes the systemd service units that run container
// or pod ref, as Podman's generate systemd does: for a container, one
// unit of Type=notify, the monitor telling systemd it is ready; for a
// pod, a unit of the pod (its infra container's) and one of each of its
// containers, bound to it.
func (e *Service) GenerateSystemd(ref string, o SystemdOptions) ([]*Unit, error) {
	o.RestartPolicy = cmp.Or(o.RestartPolicy, "on-failure")
	if !slices.Contains(restartPolicies, o.RestartPolicy) {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--restart-policy %q: use %s", o.RestartPolicy, strings.Join(restartPolicies, ", ")))
	}
	exe, err := monitor.ScowProgram()
	if err != nil {
		return nil, err
	}
	scow := append([]string{exe}, globalArgs(e.Opts)...)
	cfg, err := e.Config(ref)
	if err != nil {
		p, perr := e.Rec.FindPod(ref)
		if perr != nil {
			return nil, err
		}
		return e.podUnits(p, scow, o)
	}
	u, err := e.unit(cfg, scow, o, unitPlace{})
	if err != nil {
		return nil, err
	}
	return []*Unit{u}, nil
}

// globalArgs are the global flags that give a unit's commands the
// store, runtime and directories of this invocation.
func globalArgs(o backend.Options) []string {
	args := []string{"--root", o.Root, "--runroot", o.RunRoot}
	for _, f := range []struct{ flag, value string }{
		{"--storage-driver", o.StorageDriver}, {"--runtime", o.Runtime}, {"--volumepath", o.VolumePath},
		{"--network-config-dir", o.NetworkConfigDir}, {"--imagestore", o.ImageStore}, {"--tmpdir", o.TmpDir},
		{"--network-cmd-path", o.NetworkCmdPath},
	} {
		if f.value != "" {
			args = append(args, f.flag, f.value)
		}
	}
	for _, f := range []struct {
		flag   string
		values []string
	}{{"--storage-opt", o.StorageOpts}, {"--runtime-flag", o.RuntimeFlags}, {"--hooks-dir", o.HooksDirs}, {"--cdi-spec-dir", o.CDISpecDirs}} {
		for _, v := range f.values {
			args = append(args, f.flag, v)
		}
	}
	if o.TransientStore {
		args = append(args, "--transient-store")
	}
	if o.NoEvents {
		args = append(args, "--events-backend", "none")
	}
	return args
}

// unitPlace is where a container's unit stands among a pod's: the name
// it gets, and more [Unit] lines.
type unitPlace struct {
	name      string
	unitLines []string
	// podIDFile, for --new, is the pod's ID file its run joins.
	podIDFile string
}

// podUnits are the units of pod p: its own, and its containers'.
func (e *Service) podUnits(p *record.Pod, scow []string, o SystemdOptions) ([]*Unit, error) {
	members, err := e.Rec.PodMembers()
	if err != nil {
		return nil, err
	}
	var infra *record.Config
	var ctrs []*record.Config
	for _, c := range members[p.ID] {
		switch {
		case c.Infra:
			infra = c
		case !c.InitContainer:
			ctrs = append(ctrs, c)
		}
	}
	if infra == nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("pod %s has no infra container to keep it: a unit of it would run nothing", p.Name))
	}
	ident := p.ID
	if o.UseName {
		ident = p.Name
	}
	podUnit := cmp.Or(o.PodPrefix, "pod") + cmp.Or(o.Separator, "-") + ident + ".service"
	idFile := "%t/" + podUnit + ".pod-id"
	var units []*Unit
	var names []string
	for _, c := range ctrs {
		u, err := e.unit(c, scow, o, unitPlace{unitLines: []string{"BindsTo=" + podUnit, "After=" + podUnit}, podIDFile: idFile})
		if err != nil {
			return nil, err
		}
		units, names = append(units, u), append(names, u.Name)
	}
	lines := []string{"Requires=" + strings.Join(names, " "), "Before=" + strings.Join(names, " ")}
	if len(names) == 0 {
		lines = nil
	}
	var pu *Unit
	if o.New {
		pu, err = e.newPodUnit(p, scow, o, podUnit, idFile, lines)
	} else {
		pu, err = e.unit(infra, scow, o, unitPlace{name: podUnit, unitLines: lines})
	}
	if err != nil {
		return nil, err
	}
	return append([]*Unit{pu}, units...), nil
}

// newPodUnit is the --new unit of pod p: it creates the pod afresh from
// its create command before each start and removes it after each stop;
// systemd follows its infra container's monitor.
func (e *Service) newPodUnit(p *record.Pod, scow []string, o SystemdOptions, name, idFile string, unitLines []string) (*Unit, error) {
	create, err := podCreateCommand(p, o.PodValueFlag)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	self := escaped(scow...)
	exec := func(key string, words ...string) {
		line("%s=%s", key, quadlet.Command(append(slices.Clone(self), words...)...))
	}
	stop := "10"
	if o.StopTimeout != nil {
		stop = fmt.Sprint(*o.StopTimeout)
	}
	header(line, name, o, unitLines)
	line("RequiresMountsFor=%%t")
	serviceHead(line, o, "70")
	exec("ExecStartPre", append([]string{"pod", "create", "--infra-conmon-pidfile=%t/" + name + ".pid", "--pod-id-file=" + idFile, "--exit-policy=stop", "--replace"}, escaped(create...)...)...)
	exec("ExecStart", "pod", "start", "--pod-id-file="+idFile)
	exec("ExecStop", "pod", "stop", "--ignore", "--pod-id-file="+idFile, "-t", stop)
	exec("ExecStopPost", "pod", "rm", "--ignore", "-f", "--pod-id-file="+idFile)
	line("PIDFile=%%t/%s.pid", name)
	line("Type=forking")
	footer(line)
	return &Unit{Name: name, Text: b.String()}, nil
}

// podCreateCommand is the flags and name of pod p's create command,
// without what the unit decides itself.
func podCreateCommand(p *record.Pod, valueFlag func(string) bool) ([]string, error) {
	args := p.CreateCommand
	i := slices.Index(args, "create")
	if i < 1 || args[i-1] != "pod" {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("generate systemd --new: pod %s has no create command on record (made by kube play, --pod new: or pod clone): use generate systemd without --new", p.Name))
	}
	var out []string
	named := false
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case a == "--replace" || a == "--replace=true":
		case slices.Contains([]string{"pod-id-file", "infra-conmon-pidfile", "exit-policy"}, name) && strings.HasPrefix(a, "--"):
			if !hasValue {
				j++
			}
		default:
			out = append(out, a)
			if strings.HasPrefix(a, "-") && takesValue(a, valueFlag) && j+1 < len(rest) {
				j++
				out = append(out, rest[j])
			} else if !strings.HasPrefix(a, "-") {
				named = true // the positional NAME
			}
		}
		if name == "name" || name == "n" {
			named = true
		}
	}
	if !named {
		// --replace needs a name: the one it got.
		out = append(out, "--name", p.Name)
	}
	return out, nil
}

// escaped are words of the container's own, escaped: the unit's
// specifiers (%t, %n) are for systemd.
func escaped(words ...string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = quadlet.Escape(w)
	}
	return out
}

// header writes the comment and the [Unit] section of a unit.
func header(line func(string, ...any), name string, o SystemdOptions, more []string) {
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
	for _, l := range more {
		line("%s", l)
	}
}

// serviceHead starts the [Service] section; stopSec is its
// TimeoutStopSec=.
func serviceHead(line func(string, ...any), o SystemdOptions, stopSec string) {
	line("")
	line("[Service]")
	line("Environment=PODMAN_SYSTEMD_UNIT=%%n")
	for _, env := range o.Env {
		// (systemd reads specifiers in Environment=, not variables.)
		line("Environment=%s", quadlet.Command(strings.ReplaceAll(env, "%", "%%")))
	}
	line("Restart=%s", o.RestartPolicy)
	if o.RestartSec != nil {
		line("RestartSec=%d", *o.RestartSec)
	}
	if o.StartTimeout != nil {
		line("TimeoutStartSec=%d", *o.StartTimeout)
	}
	line("TimeoutStopSec=%s", stopSec)
}

// footer ends a unit.
func footer(line func(string, ...any)) {
	line("")
	line("[Install]")
	line("WantedBy=default.target")
}

// unit is the unit of container cfg, at its place.
func (e *Service) unit(cfg *record.Config, scow []string, o SystemdOptions, at unitPlace) (*Unit, error) {
	ident := cfg.ID
	if o.UseName {
		ident = cfg.Name
	}
	name := cmp.Or(at.name, cmp.Or(o.Prefix, "container")+cmp.Or(o.Separator, "-")+ident+".service")
	stop, stopSec := fmt.Sprint(cfg.StopTimeout), fmt.Sprint(cfg.StopTimeout+60)
	if cfg.StopTimeout < 0 {
		stop, stopSec = "-1", "infinity" // waits as long as it takes
	}
	if o.StopTimeout != nil {
		stop, stopSec = fmt.Sprint(*o.StopTimeout), fmt.Sprint(*o.StopTimeout+60)
	}
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	header(line, name, o, at.unitLines)
	if o.New {
		line("RequiresMountsFor=%%t")
	}
	serviceHead(line, o, stopSec)
	exec := func(key string, words ...string) { line("%s=%s", key, quadlet.Command(words...)) }
	self := escaped(scow...)
	if o.New {
		run, err := newRunCommand(cfg, o.ValueFlag)
		if err != nil {
			return nil, err
		}
		cid := "--cidfile=%t/%n.ctr-id"
		head := append(slices.Clone(self), "run", cid, "--rm", "--sdnotify="+cmp.Or(cfg.SdNotify, "conmon"), "--replace", "-d")
		if at.podIDFile != "" {
			head = append(head, "--pod-id-file="+at.podIDFile)
		}
		exec("ExecStart", append(head, escaped(run...)...)...)
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
	footer(line)
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
		case a == "--cidfile" || a == "--sdnotify" || a == "--restart" || a == "--pod" || a == "--pod-id-file":
			j++ // and its value: the unit's Restart= restarts it, its pod's unit gives the pod
		case strings.HasPrefix(a, "--cidfile=") || strings.HasPrefix(a, "--sdnotify=") || strings.HasPrefix(a, "--restart=") ||
			strings.HasPrefix(a, "--pod=") || strings.HasPrefix(a, "--pod-id-file="):
		case isShortGroup(a, valueFlag):
			// -dit, -dp 80, -tp 80: -d goes, the rest and a value stay.
			last := a[len(a)-1:]
			if a = strings.ReplaceAll(a, "d", ""); a != "-" {
				out = append(out, a)
				if last != "d" && valueFlag != nil && valueFlag(last) && j+1 < len(rest) {
					j++
					out = append(out, rest[j])
				}
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

// isShortGroup tells whether a is a group of run's one-letter switches
// (-dit), the last of which may take a value (-dp 8080:80).
func isShortGroup(a string, valueFlag func(string) bool) bool {
	if len(a) < 2 || a[0] != '-' || a[1] == '-' || strings.Contains(a, "=") {
		return false
	}
	letters := a[1:]
	if strings.Trim(letters, "ditPq") == "" {
		return true
	}
	last := letters[len(letters)-1:]
	return strings.Trim(letters[:len(letters)-1], "ditPq") == "" && valueFlag != nil && valueFlag(last)
}

// takesValue tells whether a, a flag without =, takes the next word as
// its value, as valueFlag says of its name.
func takesValue(a string, valueFlag func(string) bool) bool {
	return !strings.Contains(a, "=") && valueFlag != nil && valueFlag(strings.TrimLeft(a, "-"))
}
