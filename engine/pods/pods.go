package pods

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/internal/testhook"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"golang.org/x/sys/unix"
)

// Service makes and runs pods.
type Service struct {
	*backend.Backend
	containers *containers.Service
}

// New returns the pods of backend b, whose containers c makes.
func New(b *backend.Backend, c *containers.Service) *Service {
	return &Service{Backend: b, containers: c}
}

// CreateOptions are the flags of pod create.
type CreateOptions struct {
	// Name is the pod's name; "" picks one. Replace removes a pod of
	// that name first.
	Name    string
	Replace bool
	// Labels are --label values, over those of LabelFiles.
	Labels, LabelFiles []string
	// Hostname is the pod's host name; "" is its name.
	Hostname string
	// Share is --share, ShareSet whether it was given.
	Share    string
	ShareSet bool
	// NoInfra makes a pod without an infra container (--infra=false).
	NoInfra bool
	// InfraImage is the infra container's image, "" for catatonit on a
	// rootfs of its own; InfraCommand, when set, its command;
	// InfraName its name ("": the pod ID's first 12 digits, -infra).
	InfraImage   string
	InfraCommand []string
	InfraName    string
	// Infra are run's flags of the infra container that the pod takes:
	// its network, published ports, DNS and hosts entries.
	Infra specgen.RunOptions
	// ExitPolicy is continue (""), or stop; Restart the members'
	// restart policy unless they give one.
	ExitPolicy string
	Restart    string
	// Volumes are -v values mounted in every member (Mounts, already
	// read, too), and VolumesFrom CONTAINER[:ro|rw] whose mounts every
	// member gets.
	Volumes, VolumesFrom []string
	Mounts               []record.Mount
	// PodIDFile receives the new pod's ID.
	PodIDFile     string
	CreateCommand []string
	// PullProgress receives the progress of a pull of InfraImage.
	PullProgress io.Writer
	// KeepIDUser, when set, is the user members run as by default (a
	// clone's of a keep-id pod, whose maps it gives as --uidmap).
	KeepIDUser string
}

// infraOptions are run's flags a pod's infra container takes from pod
// create, or from a container's --pod new:. set tells whether one is
// given; move gives it to the pod's options and clears it.
var infraOptions = []struct {
	flag string
	set  func(o *specgen.RunOptions) bool
	move func(to, from *specgen.RunOptions)
}{
	{"-p", func(o *specgen.RunOptions) bool { return len(o.Publish) > 0 }, func(t, f *specgen.RunOptions) { t.Publish, f.Publish = f.Publish, nil }},
	{"--network", func(o *specgen.RunOptions) bool { return o.Network != "" }, func(t, f *specgen.RunOptions) { t.Network, f.Network = f.Network, "" }},
	{"--dns", func(o *specgen.RunOptions) bool { return len(o.DNS) > 0 }, func(t, f *specgen.RunOptions) { t.DNS, f.DNS = f.DNS, nil }},
	{"--dns-search", func(o *specgen.RunOptions) bool { return len(o.DNSSearch) > 0 }, func(t, f *specgen.RunOptions) { t.DNSSearch, f.DNSSearch = f.DNSSearch, nil }},
	{"--dns-option", func(o *specgen.RunOptions) bool { return len(o.DNSOptions) > 0 }, func(t, f *specgen.RunOptions) { t.DNSOptions, f.DNSOptions = f.DNSOptions, nil }},
	{"--add-host", func(o *specgen.RunOptions) bool { return len(o.AddHosts) > 0 }, func(t, f *specgen.RunOptions) { t.AddHosts, f.AddHosts = f.AddHosts, nil }},
	{"--no-hosts", func(o *specgen.RunOptions) bool { return o.NoHosts }, func(t, f *specgen.RunOptions) { t.NoHosts, f.NoHosts = f.NoHosts, false }},
	{"--hosts-file", func(o *specgen.RunOptions) bool { return o.HostsFile != "" }, func(t, f *specgen.RunOptions) { t.HostsFile, f.HostsFile = f.HostsFile, "" }},
	{"--no-hostname", func(o *specgen.RunOptions) bool { return o.NoHostname }, func(t, f *specgen.RunOptions) { t.NoHostname, f.NoHostname = f.NoHostname, false }},
	{"--mac-address", func(o *specgen.RunOptions) bool { return o.MacAddress != "" }, func(t, f *specgen.RunOptions) { t.MacAddress, f.MacAddress = f.MacAddress, "" }},
	{"--ip", func(o *specgen.RunOptions) bool { return o.IP != "" }, func(t, f *specgen.RunOptions) { t.IP, f.IP = f.IP, "" }},
	{"--ip6", func(o *specgen.RunOptions) bool { return o.IP6 != "" }, func(t, f *specgen.RunOptions) { t.IP6, f.IP6 = f.IP6, "" }},
	{"--network-alias", func(o *specgen.RunOptions) bool { return len(o.NetworkAliases) > 0 }, func(t, f *specgen.RunOptions) { t.NetworkAliases, f.NetworkAliases = f.NetworkAliases, nil }},
	{"--sysctl", func(o *specgen.RunOptions) bool { return len(o.Security.Sysctl) > 0 }, func(t, f *specgen.RunOptions) { t.Security.Sysctl, f.Security.Sysctl = f.Security.Sysctl, nil }},
	{"--shm-size", func(o *specgen.RunOptions) bool { return o.Security.ShmSize != "" }, func(t, f *specgen.RunOptions) { t.Security.ShmSize, f.Security.ShmSize = f.Security.ShmSize, "" }},
	{"--userns", func(o *specgen.RunOptions) bool { return o.UserNS != "" }, func(t, f *specgen.RunOptions) { t.UserNS, f.UserNS = f.UserNS, "" }},
	{"--uidmap", func(o *specgen.RunOptions) bool { return len(o.UIDMap) > 0 }, func(t, f *specgen.RunOptions) { t.UIDMap, f.UIDMap = f.UIDMap, nil }},
	{"--gidmap", func(o *specgen.RunOptions) bool { return len(o.GIDMap) > 0 }, func(t, f *specgen.RunOptions) { t.GIDMap, f.GIDMap = f.GIDMap, nil }},
	{"--subuidname", func(o *specgen.RunOptions) bool { return o.SubUIDName != "" }, func(t, f *specgen.RunOptions) { t.SubUIDName, f.SubUIDName = f.SubUIDName, "" }},
	{"--subgidname", func(o *specgen.RunOptions) bool { return o.SubGIDName != "" }, func(t, f *specgen.RunOptions) { t.SubGIDName, f.SubGIDName = f.SubGIDName, "" }},
	{"--infra-conmon-pidfile", func(o *specgen.RunOptions) bool { return o.MonitorPidFile != "" }, nil},
}

// infraFlag is the first of infraOptions given in o, "" for none.
func infraFlag(o *specgen.RunOptions) string {
	for _, f := range infraOptions {
		if f.set(o) {
			return f.flag
		}
	}
	return ""
}

// podHostname is the host name a pod of that name gets by default: its
// name, made a valid host name.
func podHostname(name string) string {
	h := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		}
		return '-'
	}, name)
	if len(h) > 63 {
		h = h[:63]
	}
	return cmp.Or(strings.Trim(h, "-."), "pod")
}

// Create makes a pod and its infra container, and returns the pod's ID.
// On failure nothing is left behind.
func (e *Service) Create(ctx context.Context, o CreateOptions) (string, error) {
	bad := func(format string, a ...any) (string, error) {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	if err := e.Open(); err != nil {
		return "", err
	}
	share, err := specgen.ParseShare(o.Share, o.ShareSet)
	if err != nil {
		return "", err
	}
	p := &record.Pod{ID: record.NewID(), Name: o.Name, Created: time.Now().UTC(), Share: share, Infra: !o.NoInfra,
		VolumesFrom: o.VolumesFrom, CreateCommand: o.CreateCommand}
	if p.ExitPolicy, err = specgen.ParseExitPolicy(o.ExitPolicy); err != nil {
		return "", err
	}
	if p.RestartPolicy, err = specgen.ParseRestartPolicy(o.Restart); err != nil {
		return "", err
	}
	if p.Labels, err = specgen.ReadLabels(o.LabelFiles, o.Labels); err != nil {
		return "", err
	}
	p.Volumes = slices.Clone(o.Mounts)
	for _, v := range o.Volumes {
		m, err := specgen.ParseVolume(v)
		if err != nil {
			return "", err
		}
		p.Volumes = append(p.Volumes, m)
	}
	if o.NoInfra {
		switch {
		case o.ShareSet && len(share) > 0:
			return bad("--share %s: a pod without an infra container (--infra=false) shares no namespaces", o.Share)
		case o.InfraName != "" || o.InfraImage != "" || o.InfraCommand != nil:
			return bad("--infra-name, --infra-image and --infra-command need an infra container: drop --infra=false")
		case infraFlag(&o.Infra) != "":
			return bad("%s: a pod without an infra container (--infra=false) has no shared namespaces to set it on", infraFlag(&o.Infra))
		}
		p.Share = nil
	}
	if p.Name != "" {
		if err := record.ValidName(p.Name); err != nil {
			return bad("pod name %q: use letters, digits, '_', '.' and '-', starting with a letter or digit", p.Name)
		}
	} else if o.Replace {
		return bad("--replace needs --name: it replaces the pod of that name")
	}
	if strings.HasPrefix(o.Infra.UserNS, "auto") && o.InfraImage == "" {
		return bad("--userns=auto picks IDs for a layer of the infra container's image: give --infra-image, or --uidmap")
	}
	var infra *specgen.Spec
	if p.Infra {
		if infra, err = e.infraSpec(p, o); err != nil {
			return "", err
		}
		// Its image first, outside the pods' lock: a pull may be long.
		if err := e.containers.EnsureImage(ctx, infra, o.PullProgress); err != nil {
			return "", err
		}
		infra.Pull = "missing"
	}
	unlock, err := e.Rec.LockPods(unix.LOCK_EX)
	if err != nil {
		return "", err
	}
	defer unlock()
	all, err := e.Rec.Pods()
	if err != nil {
		return "", err
	}
	if p.Name == "" {
		p.Name = freeName(all)
	} else if i := slices.IndexFunc(all, func(q *record.Pod) bool { return q.Name == p.Name }); i >= 0 {
		if !o.Replace {
			return "", errdefs.WithClass(errdefs.ErrExists, fmt.Errorf("the pod name %q is already in use by %.12s: remove that pod or choose another name", p.Name, all[i].ID))
		}
		if err := e.remove(ctx, all[i], true, nil); err != nil {
			return "", fmt.Errorf("--replace: %w", err)
		}
	}
	p.Hostname = cmp.Or(o.Hostname, podHostname(p.Name))
	if infra != nil {
		p.KeepIDUser = cmp.Or(o.KeepIDUser, infra.KeepIDUser)
	}
	if err := e.Rec.SavePod(p); err != nil {
		return "", err
	}
	// Killed from here until its infra container is made, the pod
	// lists with no containers: member creates refuse it, pod rm
	// removes it.
	testhook.Pause("pod-record")
	if infra != nil {
		infra.Hostname = p.Hostname
		infra.Name = cmp.Or(o.InfraName, p.ID[:12]+"-infra")
		infra.Pod = p.ID
		if _, err := e.containers.CreateSpec(ctx, infra, o.PullProgress); err != nil {
			e.Rec.RemovePod(p.ID)
			return "", fmt.Errorf("create the infra container of pod %s: %w", p.Name, err)
		}
	}
	if o.PodIDFile != "" {
		if err := os.WriteFile(o.PodIDFile, []byte(p.ID), 0o644); err != nil {
			e.remove(context.WithoutCancel(ctx), p, true, nil)
			return "", fmt.Errorf("--pod-id-file: %w", err)
		}
	}
	e.Rec.ObjectEvent("pod", p.ID, p.Name, "create")
	return p.ID, nil
}

// ForContainer readies the pod a container's run options name. A pod
// ID file (--pod-id-file) names it by its ID. --pod new:NAME makes that
// pod first, and the container's network flags and host name become
// the pod's; undo removes it again, for when the container cannot be
// made.
func (e *Service) ForContainer(ctx context.Context, o *specgen.RunOptions) (undo func(), err error) {
	undo = func() {}
	if o.PodIDFile != "" {
		if o.Pod != "" {
			return undo, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--pod and --pod-id-file both name a pod: give one"))
		}
		ids, err := containers.ReadIDFiles("--pod-id-file", []string{o.PodIDFile}, false)
		if err != nil {
			return undo, err
		}
		o.Pod = ids[0]
	}
	name, ok := strings.CutPrefix(o.Pod, "new:")
	if !ok {
		return undo, nil
	}
	if name == "" {
		return undo, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--pod new:NAME: give the new pod a name"))
	}
	co := CreateOptions{Name: name, Hostname: o.Hostname, CreateCommand: o.CreateCommand, PullProgress: o.PullProgress}
	moved := *o
	for _, f := range infraOptions {
		if f.move != nil {
			f.move(&co.Infra, &moved)
		}
	}
	id, err := e.Create(ctx, co)
	if err != nil {
		return undo, fmt.Errorf("--pod new:%s: %w", name, err)
	}
	*o = moved
	o.Pod, o.Hostname = id, ""
	return func() { e.Remove(context.WithoutCancel(ctx), id, true, nil) }, nil
}

// freeName picks a name no pod of all has.
func freeName(all []*record.Pod) string {
	for {
		name := record.RandomName()
		if !slices.ContainsFunc(all, func(p *record.Pod) bool { return p.Name == name }) {
			return name
		}
	}
}

// infraSpec is the create request of pod p's infra container: the
// pod's network flags on catatonit -P (or the image the user names).
func (e *Service) infraSpec(p *record.Pod, o CreateOptions) (*specgen.Spec, error) {
	ro := o.Infra
	ro.Image, ro.Args, ro.Pull = o.InfraImage, o.InfraCommand, cmp.Or(ro.Pull, "missing")
	if o.InfraImage == "" {
		dir, err := e.pauseRootfs()
		if err != nil {
			return nil, err
		}
		ro.Image, ro.Rootfs = dir, true
		if ro.Args == nil {
			ro.Args = []string{"/catatonit", "-P"}
		}
	}
	if o.Hostname != "" {
		ro.Hostname = o.Hostname
	}
	s, err := specgen.NewSpec(ro)
	if err != nil {
		return nil, err
	}
	s.Infra = true
	return s, nil
}

// pauseFiles are the mount points of what scow mounts in an infra
// container, made beforehand: one with a user namespace of its own
// cannot make them in a directory that is not its root's.
var pauseFiles = []string{"etc/hosts", "etc/hostname", "etc/resolv.conf", "etc/passwd", "etc/group", "run/.containerenv"}

// pauseRootfs is the directory the infra containers run on: catatonit
// alone, copied from the host once, so that a pod needs no image.
func (e *Service) pauseRootfs() (string, error) {
	dir := filepath.Join(e.Opts.Root, "infra-rootfs")
	if _, err := os.Stat(filepath.Join(dir, pauseFiles[len(pauseFiles)-1])); err == nil {
		return dir, nil
	}
	src, err := exec.LookPath("catatonit")
	if err != nil {
		for _, p := range []string{"/usr/libexec/podman/catatonit", "/usr/libexec/catatonit/catatonit"} {
			if _, serr := os.Stat(p); serr == nil {
				src, err = p, nil
				break
			}
		}
	}
	if err != nil {
		return "", errdefs.WithClass(errdefs.ErrNotFound, errors.New("a pod's infra container runs catatonit, which this host lacks: install the catatonit package, or give --infra-image"))
	}
	// What a killed invocation left half made.
	if stale, _ := filepath.Glob(filepath.Join(e.Opts.Root, ".pause-*")); len(stale) > 0 {
		for _, d := range stale {
			if st, err := os.Stat(d); err == nil && time.Since(st.ModTime()) > time.Minute {
				os.RemoveAll(d)
			}
		}
	}
	tmp, err := os.MkdirTemp(e.Opts.Root, ".pause-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	data, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, "catatonit"), data, 0o755); err != nil {
		return "", fmt.Errorf("copy catatonit for the infra containers: %w", err)
	}
	for _, d := range []string{"dev", "proc", "sys", "etc", "run", "tmp"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			return "", err
		}
	}
	for _, f := range pauseFiles {
		if err := os.WriteFile(filepath.Join(tmp, f), nil, 0o644); err != nil {
			return "", err
		}
	}
	os.Chmod(tmp, 0o755)
	// Another invocation may have made it meanwhile: its is as good.
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, os.ErrExist) && !errors.Is(err, unix.ENOTEMPTY) {
		return "", fmt.Errorf("make %s: %w", dir, err)
	}
	return dir, nil
}

// Pod is a pod as pod ps and pod inspect show it: its record, its
// containers (the infra container first) and the status they make.
type Pod struct {
	*record.Pod
	Status     string
	Containers []containers.Container
}

// InfraID is the ID of the pod's infra container, "" for none.
func (p *Pod) InfraID() string {
	if len(p.Containers) > 0 && p.Containers[0].Config.Infra {
		return p.Containers[0].Config.ID
	}
	return ""
}

// Pod statuses, as Podman names them.
const (
	StatusCreated  = "Created"
	StatusRunning  = "Running"
	StatusDegraded = "Degraded"
	StatusPaused   = "Paused"
	StatusExited   = "Exited"
	StatusStopped  = "Stopped"
	StatusError    = "Error"
)

// podStatus is what the states of a pod's containers, its infra
// container's too, make of it, as Podman works it out.
func podStatus(states []*record.State) string {
	var running, paused, stopped, created, other int
	for _, st := range states {
		switch {
		case st == nil:
			other++
		case st.Status == record.StatusRunning && st.Paused:
			paused++
		case st.Status == record.StatusRunning, st.Status == record.StatusRestarting:
			running++
		case st.Status == record.StatusExited:
			stopped++
		case st.Status == record.StatusCreated:
			created++
		default:
			other++
		}
	}
	n := len(states)
	switch {
	case n == 0:
		return StatusCreated
	case running == n:
		return StatusRunning
	case running > 0:
		return StatusDegraded
	case paused == n:
		return StatusPaused
	case stopped == n:
		return StatusExited
	case stopped > 0:
		return StatusStopped
	case other > 0:
		return StatusError
	}
	return StatusCreated
}

// List returns the pods that match filters (pod ps --filter), oldest
// first, with their containers' states.
func (e *Service) List(ctx context.Context, filters []string) ([]*Pod, error) {
	match, err := parseFilters(filters, time.Now())
	if err != nil {
		return nil, err
	}
	records, err := e.Rec.Pods()
	if err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, nil
	}
	ctrs, err := e.containers.List(ctx, containers.ListOptions{All: true})
	if err != nil {
		return nil, err
	}
	slices.Reverse(ctrs) // oldest first
	var out []*Pod
	for _, r := range records {
		p := &Pod{Pod: r}
		var states []*record.State
		for _, c := range ctrs {
			if c.Config.Pod != r.ID {
				continue
			}
			if c.Config.Infra {
				p.Containers = append([]containers.Container{c}, p.Containers...)
			} else {
				p.Containers = append(p.Containers, c)
			}
			states = append(states, c.State)
		}
		if r.Infra && p.InfraID() == "" {
			states = append(states, nil) // its infra container is lost
		}
		p.Status = podStatus(states)
		if match(p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Get is pod ref with its containers.
func (e *Service) Get(ctx context.Context, ref string) (*Pod, error) {
	r, err := e.Rec.FindPod(ref)
	if err != nil {
		return nil, err
	}
	all, err := e.List(ctx, []string{"id=" + r.ID})
	if err != nil {
		return nil, err
	}
	for _, p := range all {
		if p.ID == r.ID {
			return p, nil
		}
	}
	return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("no such pod: %s", ref))
}

// Selection says which pods a pod command acts on: the names or IDs
// given, or what --all, --latest and --pod-id-file pick.
type Selection struct {
	Refs        []string
	All, Latest bool
	IDFiles     []string
	// Ignore skips an ID file that does not exist.
	Ignore bool
}

// Select returns the pods sel names: Refs as given, the IDs the other
// ways find, oldest first. A selection that names nothing, or names in
// two ways at once, is an error.
func (e *Service) Select(ctx context.Context, sel Selection) ([]string, error) {
	ways := 0
	for _, on := range []bool{sel.All, sel.Latest, len(sel.IDFiles) > 0, len(sel.Refs) > 0} {
		if on {
			ways++
		}
	}
	switch {
	case ways == 0:
		return nil, errdefs.WithClass(errdefs.ErrInvalid, errors.New("give at least one pod name or ID, or --all, --latest or --pod-id-file"))
	case ways > 1:
		return nil, errdefs.WithClass(errdefs.ErrInvalid, errors.New("give pod names, or --all, --latest or --pod-id-file, one of them"))
	case len(sel.Refs) > 0:
		return sel.Refs, nil
	case len(sel.IDFiles) > 0:
		return containers.ReadIDFiles("--pod-id-file", sel.IDFiles, sel.Ignore)
	}
	records, err := e.Rec.Pods()
	if err != nil {
		return nil, err
	}
	if sel.Latest && len(records) > 0 {
		records = records[len(records)-1:]
	}
	ids := make([]string, len(records))
	for i, p := range records {
		ids[i] = p.ID
	}
	return ids, nil
}

// Name is the name of pod id, "" if it has no record.
func (e *Service) Name(id string) string {
	if p, err := e.Rec.LoadPod(id); err == nil {
		return p.Name
	}
	return ""
}

// Exists tells whether pod ref exists.
func (e *Service) Exists(ref string) (bool, error) {
	_, err := e.Rec.FindPod(ref)
	if errors.Is(err, errdefs.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Remove removes pod ref with its containers and returns its ID. A pod
// with a running or paused container stays unless force, which stops
// them first (killed after timeout seconds, when given).
func (e *Service) Remove(ctx context.Context, ref string, force bool, timeout *int) (string, error) {
	unlock, err := e.Rec.LockPods(unix.LOCK_EX)
	if err != nil {
		return "", err
	}
	defer unlock()
	p, err := e.Rec.FindPod(ref)
	if err != nil {
		return "", err
	}
	return p.ID, e.remove(ctx, p, force, timeout)
}

// remove removes pod p under the pods' lock: its members, then its
// infra container, then its record.
func (e *Service) remove(ctx context.Context, p *record.Pod, force bool, timeout *int) error {
	members, err := e.Rec.PodMembers()
	if err != nil {
		return err
	}
	ctrs := members[p.ID]
	if !force {
		var busy []string
		for _, c := range ctrs {
			if st, err := e.containers.State(ctx, c.ID); err == nil && st.Status != record.StatusExited && st.Status != record.StatusCreated {
				busy = append(busy, c.Name)
			}
		}
		if len(busy) > 0 {
			return errdefs.WithClass(errdefs.ErrInUse, fmt.Errorf("pod %s has running or paused containers (%s): stop the pod first, or use -f", p.Name, strings.Join(busy, ", ")))
		}
	}
	// Its members, then its record, then its infra container (first in
	// ctrs): a kill in between leaves an infra container of no pod,
	// which rm removes.
	slices.Reverse(ctrs)
	for i, c := range ctrs {
		if i == len(ctrs)-1 && c.Infra {
			if err := e.Rec.RemovePod(p.ID); err != nil {
				return err
			}
		}
		_, err := e.containers.Remove(ctx, c.ID, containers.RemoveOptions{Force: force, Timeout: timeout, Volumes: true, Depend: true, Infra: true})
		if err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return fmt.Errorf("remove container %s of pod %s: %w", c.Name, p.Name, err)
		}
	}
	if err := e.Rec.RemovePod(p.ID); err != nil {
		return err
	}
	e.Rec.ObjectEvent("pod", p.ID, p.Name, "remove")
	return nil
}

// Prune removes the pods whose containers have all stopped (Exited and
// Stopped pods) and returns their IDs.
func (e *Service) Prune(ctx context.Context) ([]string, error) {
	all, err := e.List(ctx, nil)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, p := range all {
		if p.Status != StatusExited && p.Status != StatusStopped {
			continue
		}
		if _, err := e.Remove(ctx, p.ID, false, nil); err != nil {
			if errors.Is(err, errdefs.ErrNotFound) || errors.Is(err, errdefs.ErrInUse) {
				continue // gone or started meanwhile
			}
			return removed, err
		}
		removed = append(removed, p.ID)
	}
	return removed, nil
}
