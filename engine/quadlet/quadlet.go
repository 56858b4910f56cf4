// Package quadlet turns Quadlet files (.container, .volume, .network,
// .image, .build, .pod, .kube) into
// systemd service units that run scow, as Podman's Quadlet does: the
// systemd generator mode of the scow binary, and scow quadlet --dryrun.
package quadlet

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"
)

// Unit is a generated service unit.
type Unit struct {
	// Name is the service's file name (web.service); Source the Quadlet
	// file it comes from.
	Name, Source string
	Text         string
}

// Dirs are where Quadlet files are read, in order (an earlier one's
// file hides a later one's of the same name): QUADLET_UNIT_DIRS if set,
// else the user's or root's, as Podman's.
func Dirs(rootless bool) []string {
	if v := os.Getenv("QUADLET_UNIT_DIRS"); v != "" {
		return filepath.SplitList(v)
	}
	if rootless {
		config := os.Getenv("XDG_CONFIG_HOME")
		if config == "" {
			home, _ := os.UserHomeDir()
			config = filepath.Join(home, ".config")
		}
		return []string{filepath.Join(config, "containers", "systemd"), "/etc/containers/systemd/users"}
	}
	return []string{"/etc/containers/systemd", "/usr/share/containers/systemd"}
}

// Install writes units into dir, as a systemd generator does, with the
// .wants and .requires links their [Install] sections ask for (a
// generated unit cannot be enabled).
func Install(dir string, units []Unit) error {
	for _, u := range units {
		if err := os.WriteFile(filepath.Join(dir, u.Name), []byte(u.Text), 0o644); err != nil {
			return err
		}
		sections, err := unit.DeserializeSections(strings.NewReader(u.Text))
		if err != nil {
			return err
		}
		for _, s := range sections {
			if s.Section != "Install" {
				continue
			}
			for _, e := range s.Entries {
				suffix := map[string]string{"WantedBy": ".wants", "RequiredBy": ".requires", "UpheldBy": ".upholds"}[e.Name]
				if suffix == "" {
					continue
				}
				for _, target := range words(e.Value) {
					links := filepath.Join(dir, target+suffix)
					if err := os.MkdirAll(links, 0o755); err != nil {
						return err
					}
					link := filepath.Join(links, u.Name)
					os.Remove(link)
					if err := os.Symlink(filepath.Join("..", u.Name), link); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// Generate reads the Quadlet files of dirs and returns their units; scow
// is the command line the units run scow with. A file that cannot be
// turned into a unit is an error of its own: the others still come.
func Generate(dirs []string, scow []string) ([]Unit, []error) {
	seen := map[string]bool{}
	var files []string
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			switch filepath.Ext(e.Name()) {
			case ".container", ".volume", ".network", ".image", ".build", ".pod", ".kube":
				if !seen[e.Name()] {
					seen[e.Name()] = true
					files = append(files, filepath.Join(d, e.Name()))
				}
			}
		}
	}
	sort.Strings(files)
	refs := imageRefs(files)
	var units []Unit
	var errs []error
	for _, f := range files {
		u, err := Convert(f, scow, refs)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
			continue
		}
		units = append(units, *u)
	}
	return units, errs
}

// Convert turns one Quadlet file into its service unit; refs are the
// images of the .image and .build files beside it, by file name.
func Convert(path string, scow []string, refs map[string]string) (*Unit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return convert(path, f, scow, refs)
}

// imageRefs reads the objects .image (Image=), .build (ImageTag=),
// .volume (VolumeName=) and .network (NetworkName=) files name, by file
// name, for the .container files that name those.
func imageRefs(files []string) map[string]string {
	refs := map[string]string{}
	for _, path := range files {
		key := map[string]string{".image": "Image", ".build": "ImageTag", ".volume": "VolumeName", ".network": "NetworkName", ".pod": "PodName"}[filepath.Ext(path)]
		if key == "" {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		opts, err := unit.Deserialize(f)
		f.Close()
		if err != nil {
			continue
		}
		for _, o := range opts {
			if o.Name == key && strings.EqualFold(o.Section, strings.TrimPrefix(filepath.Ext(path), ".")) {
				refs[filepath.Base(path)] = o.Value
			}
		}
	}
	return refs
}

func convert(path string, r io.Reader, scow []string, refs map[string]string) (*Unit, error) {
	sections, err := unit.DeserializeSections(r)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	kind := strings.TrimPrefix(filepath.Ext(path), ".")
	var (
		own     *unit.UnitSection // [Container], [Volume] or [Network]
		service = &unit.UnitSection{Section: "Service"}
		kept    []*unit.UnitSection
	)
	for _, s := range sections {
		switch s.Section {
		case strings.ToUpper(kind[:1]) + kind[1:]:
			own = s
		case "Service":
			service = s
		default:
			kept = append(kept, s) // [Unit], [Install] and others, as they are
		}
	}
	if own == nil {
		return nil, fmt.Errorf("no [%s%s] section", strings.ToUpper(kind[:1]), kind[1:])
	}
	var exec, deps []*unit.UnitEntry
	name := base + ".service"
	switch kind {
	case "container":
		exec, deps, err = containerService(own, scow, refs)
	case "volume":
		name = base + "-volume.service"
		exec, err = volumeService(base, own, scow)
	case "network":
		name = base + "-network.service"
		exec, err = networkService(base, own, scow)
	case "image":
		name = base + "-image.service"
		exec, err = imageService(own, scow)
	case "build":
		name = base + "-build.service"
		exec, err = buildService(path, own, scow)
	case "pod":
		name = base + "-pod.service"
		exec, deps, err = podService(base, own, scow, refs)
	case "kube":
		exec, err = kubeService(path, own, scow)
	}
	if err != nil {
		return nil, err
	}
	// The unit's own [Service] keys win, as with Quadlet.
	for _, e := range exec {
		if !slices.ContainsFunc(service.Entries, func(x *unit.UnitEntry) bool { return x.Name == e.Name && !repeatable[e.Name] }) {
			service.Entries = append(service.Entries, e)
		}
	}
	unitSec := &unit.UnitSection{Section: "Unit"}
	var out []*unit.UnitSection
	for _, s := range kept {
		if s.Section == "Unit" {
			unitSec = s
		}
	}
	unitSec.Entries = append(append(unitSec.Entries, &unit.UnitEntry{Name: "SourcePath", Value: path}), deps...)
	out = append(out, unitSec)
	for _, s := range kept {
		if s.Section != "Unit" {
			out = append(out, s)
		}
	}
	out = append(out, service)
	text, err := io.ReadAll(unit.SerializeSections(out))
	if err != nil {
		return nil, err
	}
	header := fmt.Sprintf("# Automatically generated by scow quadlet from %s\n#\n", path)
	return &Unit{Name: name, Source: path, Text: header + string(text)}, nil
}

// repeatable are [Service] keys that add up rather than replace.
var repeatable = map[string]bool{"Environment": true, "ExecStartPre": true, "ExecStartPost": true, "ExecStopPost": true}

// flagKeys map [Container] keys to run's flags, each value a flag's.
var flagKeys = map[string]string{
	"AddCapability": "--cap-add", "DropCapability": "--cap-drop", "AddDevice": "--device", "AddHost": "--add-host",
	"Annotation": "--annotation", "DNS": "--dns", "DNSOption": "--dns-option", "DNSSearch": "--dns-search",
	"Environment": "--env", "EnvironmentFile": "--env-file", "ExposeHostPort": "--expose", "Group": "",
	"HealthCmd": "--health-cmd", "HealthInterval": "--health-interval", "HealthOnFailure": "--health-on-failure",
	"HealthRetries": "--health-retries", "HealthStartPeriod": "--health-start-period", "HealthTimeout": "--health-timeout",
	"HealthStartupCmd": "--health-startup-cmd", "HealthStartupInterval": "--health-startup-interval",
	"HostName": "--hostname", "IP": "--ip", "IP6": "--ip6", "Label": "--label", "LogDriver": "--log-driver", "Mount": "--mount",
	"Network": "--network", "PublishPort": "--publish", "Pull": "--pull", "Secret": "--secret", "ShmSize": "--shm-size",
	"StopSignal": "--stop-signal", "StopTimeout": "--stop-timeout", "Sysctl": "--sysctl", "Timezone": "--tz", "Tmpfs": "--tmpfs",
	"Ulimit": "--ulimit", "UserNS": "--userns", "Volume": "--volume", "WorkingDir": "--workdir", "Entrypoint": "--entrypoint",
	"GroupAdd": "--group-add", "Memory": "--memory", "PidsLimit": "--pids-limit", "LogOpt": "--log-opt",
	"Pod": "--pod", "SecurityLabelDisable": "", "User": "", "ContainerName": "", "Image": "", "Exec": "", "Notify": "", "PodmanArgs": "",
	"ReadOnly": "", "ReadOnlyTmpfs": "", "RunInit": "", "NoNewPrivileges": "", "EnvironmentHost": "", "Rootfs": "",
}

// containerService is what runs a .container's container: scow run,
// detached, its monitor telling systemd it is ready; and the units it
// needs: those of the .volume and .network files it names.
func containerService(s *unit.UnitSection, scow []string, refs map[string]string) (exec, deps []*unit.UnitEntry, err error) {
	values := map[string][]string{}
	for _, e := range s.Entries {
		if _, ok := flagKeys[e.Name]; !ok {
			return nil, nil, fmt.Errorf("[Container] %s: unsupported key", e.Name)
		}
		v, more := fileRef(e.Name, e.Value, refs)
		deps = append(deps, more...)
		values[e.Name] = append(values[e.Name], v)
	}
	last := func(k string) string {
		if v := values[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	image := last("Image")
	if ref, ok := imageUnitRef(image, refs); ok {
		if ref == "" {
			return nil, nil, fmt.Errorf("[Container] Image=%s: no such file beside it, or it names no image", image)
		}
		// web.image and app.build name those files' images.
		dep := strings.TrimSuffix(image, filepath.Ext(image)) + "-" + strings.TrimPrefix(filepath.Ext(image), ".") + ".service"
		deps = append(deps, &unit.UnitEntry{Name: "Requires", Value: dep}, &unit.UnitEntry{Name: "After", Value: dep})
		image = ref
	}
	rootfs := last("Rootfs")
	if image == "" && rootfs == "" {
		return nil, nil, errors.New("[Container] needs Image= (or Rootfs=)")
	}
	name := last("ContainerName")
	if name == "" {
		name = "systemd-%N"
	}
	args := []string{"run", "--name", name, "--cidfile=%t/%N.cid", "--replace", "--rm", "-d"}
	notify := "conmon"
	if yes(last("Notify")) {
		notify = "container"
	} else if last("Notify") == "healthy" {
		notify = "healthy"
	}
	args = append(args, "--sdnotify="+notify)
	for _, b := range []struct{ key, flag string }{{"ReadOnly", "--read-only"}, {"ReadOnlyTmpfs", "--read-only-tmpfs"}, {"RunInit", "--init"}, {"EnvironmentHost", "--env-host"}} {
		if yes(last(b.key)) {
			args = append(args, b.flag)
		}
	}
	if yes(last("NoNewPrivileges")) {
		args = append(args, "--security-opt", "no-new-privileges")
	}
	if yes(last("SecurityLabelDisable")) {
		args = append(args, "--security-opt", "label=disable")
	}
	if u := last("User"); u != "" {
		if g := last("Group"); g != "" {
			u += ":" + g
		}
		args = append(args, "--user", u)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		flag := flagKeys[k]
		if flag == "" {
			continue
		}
		for _, v := range values[k] {
			switch k {
			case "Environment", "Label", "Annotation":
				// Space-separated KEY=VALUE words, quotes allowed.
				for _, w := range words(v) {
					args = append(args, flag, w)
				}
			default:
				args = append(args, flag, v)
			}
		}
	}
	for _, v := range values["PodmanArgs"] {
		args = append(args, words(v)...)
	}
	if rootfs != "" {
		args = append(args, "--rootfs", rootfs)
	} else {
		args = append(args, image)
	}
	for _, v := range values["Exec"] {
		args = append(args, words(v)...)
	}
	cid := "--cidfile=%t/%N.cid"
	return []*unit.UnitEntry{
		{Name: "Environment", Value: "PODMAN_SYSTEMD_UNIT=%n"},
		{Name: "KillMode", Value: "mixed"},
		{Name: "ExecStop", Value: command(scow, "rm", "-v", "-f", "-i", cid)},
		{Name: "ExecStopPost", Value: "-" + command(scow, "rm", "-v", "-f", "-i", cid)},
		{Name: "Delegate", Value: "yes"},
		{Name: "Type", Value: "notify"},
		{Name: "NotifyAccess", Value: "all"},
		{Name: "SyslogIdentifier", Value: "%N"},
		{Name: "ExecStart", Value: command(scow, args...)},
	}, deps, nil
}

// fileRef reads a Network=, Volume= or Pod= value that may name a
// .network, .volume or .pod file beside the unit (web.network,
// data.volume:/path): it becomes the object that file makes, and the
// unit needs that file's service.
func fileRef(key, v string, refs map[string]string) (string, []*unit.UnitEntry) {
	if key != "Network" && key != "Volume" && key != "Pod" {
		return v, nil
	}
	src, rest, _ := strings.Cut(v, ":")
	ext := "." + strings.ToLower(key)
	base, ok := strings.CutSuffix(src, ext)
	if !ok {
		return v, nil
	}
	dep := base + "-" + strings.ToLower(key) + ".service"
	need := "Requires"
	if key == "Pod" {
		need = "BindsTo" // it stops with its pod
	}
	v = cmp.Or(refs[src], "systemd-"+base)
	if rest != "" {
		v += ":" + rest
	}
	return v, []*unit.UnitEntry{{Name: need, Value: dep}, {Name: "After", Value: dep}}
}

// podFlags map [Pod] keys to pod create's flags.
var podFlags = map[string]string{
	"PublishPort": "--publish", "Network": "--network", "Volume": "--volume", "AddHost": "--add-host", "DNS": "--dns",
	"DNSOption": "--dns-option", "DNSSearch": "--dns-search", "IP": "--ip", "IP6": "--ip6", "NetworkAlias": "--network-alias",
	"HostName": "--hostname", "Label": "--label", "PodName": "", "PodmanArgs": "", "ServiceName": "",
}

// podService makes a .pod's pod before its start and removes it after
// its stop; systemd follows the infra container's monitor.
func podService(base string, s *unit.UnitSection, scow []string, refs map[string]string) (exec, deps []*unit.UnitEntry, err error) {
	name := "systemd-" + base
	idFile := "--pod-id-file=%t/%N.pod-id"
	args := []string{"pod", "create", "--infra-conmon-pidfile=%t/%N.pid", idFile, "--exit-policy=stop", "--replace"}
	var extra []string
	for _, e := range s.Entries {
		flag, ok := podFlags[e.Name]
		if !ok {
			return nil, nil, fmt.Errorf("[Pod] %s: unsupported key", e.Name)
		}
		v, more := fileRef(e.Name, e.Value, refs)
		deps = append(deps, more...)
		switch e.Name {
		case "PodName":
			name = v
		case "PodmanArgs":
			extra = append(extra, words(v)...)
		case "ServiceName":
			return nil, nil, errors.New("[Pod] ServiceName: unsupported key: the unit is named after the file")
		case "Label":
			for _, w := range words(v) {
				args = append(args, flag, w)
			}
		default:
			args = append(args, flag, v)
		}
	}
	args = append(append(args, extra...), "--name", name)
	return []*unit.UnitEntry{
		{Name: "Environment", Value: "PODMAN_SYSTEMD_UNIT=%n"},
		{Name: "Type", Value: "forking"},
		{Name: "PIDFile", Value: "%t/%N.pid"},
		{Name: "Delegate", Value: "yes"},
		{Name: "SyslogIdentifier", Value: "%N"},
		{Name: "ExecStartPre", Value: command(scow, args...)},
		{Name: "ExecStart", Value: command(scow, "pod", "start", idFile)},
		{Name: "ExecStop", Value: command(scow, "pod", "stop", idFile, "--ignore", "--time=10")},
		{Name: "ExecStopPost", Value: command(scow, "pod", "rm", idFile, "--ignore", "--force")},
	}, deps, nil
}

// kubeService plays a .kube's YAML (a path relative to the file's
// directory) and takes it down after the unit's stop.
func kubeService(path string, s *unit.UnitSection, scow []string) ([]*unit.UnitEntry, error) {
	var yaml string
	play := []string{"kube", "play", "--replace"}
	down := []string{"kube", "down"}
	for _, e := range s.Entries {
		switch e.Name {
		case "Yaml":
			yaml = e.Value
			if !filepath.IsAbs(yaml) {
				yaml = filepath.Join(filepath.Dir(path), yaml)
			}
		case "ConfigMap":
			cm := e.Value
			if !filepath.IsAbs(cm) {
				cm = filepath.Join(filepath.Dir(path), cm)
			}
			play = append(play, "--configmap", cm)
		case "Network":
			play = append(play, "--network", e.Value)
		case "PublishPort":
			play = append(play, "--publish", e.Value)
		case "KubeDownForce":
			if yes(e.Value) {
				down = append(down, "--force")
			}
		case "PodmanArgs":
			play = append(play, words(e.Value)...)
		default:
			return nil, fmt.Errorf("[Kube] %s: unsupported key", e.Name)
		}
	}
	if yaml == "" {
		return nil, errors.New("[Kube] needs Yaml=")
	}
	return []*unit.UnitEntry{
		{Name: "Environment", Value: "PODMAN_SYSTEMD_UNIT=%n"},
		{Name: "Type", Value: "oneshot"},
		{Name: "RemainAfterExit", Value: "yes"},
		{Name: "SyslogIdentifier", Value: "%N"},
		{Name: "ExecStart", Value: command(scow, append(play, yaml)...)},
		{Name: "ExecStopPost", Value: command(scow, append(down, yaml)...)},
	}, nil
}

// volumeService creates a .volume's volume, once.
func volumeService(base string, s *unit.UnitSection, scow []string) ([]*unit.UnitEntry, error) {
	name := "systemd-" + base
	args := []string{"volume", "create", "--ignore"}
	for _, e := range s.Entries {
		switch e.Name {
		case "VolumeName":
			name = e.Value
		case "Label":
			for _, w := range words(e.Value) {
				args = append(args, "--label", w)
			}
		case "Options":
			args = append(args, "--opt", "o="+e.Value)
		case "Type":
			args = append(args, "--opt", "type="+e.Value)
		case "Device":
			args = append(args, "--opt", "device="+e.Value)
		case "User":
			args = append(args, "--opt", "uid="+e.Value)
		case "Group":
			args = append(args, "--opt", "gid="+e.Value)
		default:
			return nil, fmt.Errorf("[Volume] %s: unsupported key", e.Name)
		}
	}
	return oneshot(command(scow, append(args, name)...)), nil
}

// networkService creates a .network's network, once.
func networkService(base string, s *unit.UnitSection, scow []string) ([]*unit.UnitEntry, error) {
	name := "systemd-" + base
	args := []string{"network", "create", "--ignore"}
	for _, e := range s.Entries {
		switch e.Name {
		case "NetworkName":
			name = e.Value
		case "Label":
			for _, w := range words(e.Value) {
				args = append(args, "--label", w)
			}
		case "Subnet":
			args = append(args, "--subnet", e.Value)
		case "Gateway":
			args = append(args, "--gateway", e.Value)
		case "IPRange":
			args = append(args, "--ip-range", e.Value)
		case "DNS":
			args = append(args, "--dns", e.Value)
		case "Internal":
			if yes(e.Value) {
				args = append(args, "--internal")
			}
		case "IPv6":
			if yes(e.Value) {
				args = append(args, "--ipv6")
			}
		case "Driver":
			args = append(args, "--driver", e.Value)
		default:
			return nil, fmt.Errorf("[Network] %s: unsupported key", e.Name)
		}
	}
	return oneshot(command(scow, append(args, name)...)), nil
}

// imageUnitRef is the image an Image= of a .image or .build file means:
// its Image= or ImageTag=, read from the file beside the .container's.
func imageUnitRef(image string, refs map[string]string) (string, bool) {
	ext := filepath.Ext(image)
	if ext != ".image" && ext != ".build" {
		return "", false
	}
	return refs[image], true
}

// imageService pulls a .image's image, once.
func imageService(s *unit.UnitSection, scow []string) ([]*unit.UnitEntry, error) {
	args := []string{"pull"}
	ref := ""
	for _, e := range s.Entries {
		switch e.Name {
		case "Image":
			ref = e.Value
		case "AllTags":
			if yes(e.Value) {
				args = append(args, "--all-tags")
			}
		case "Arch":
			args = append(args, "--arch", e.Value)
		case "OS":
			args = append(args, "--os", e.Value)
		case "Variant":
			args = append(args, "--variant", e.Value)
		case "AuthFile":
			args = append(args, "--authfile", e.Value)
		case "CertDir":
			args = append(args, "--cert-dir", e.Value)
		case "Creds":
			args = append(args, "--creds", e.Value)
		case "DecryptionKey":
			args = append(args, "--decryption-key", e.Value)
		case "TLSVerify":
			args = append(args, "--tls-verify="+strings.ToLower(strconvBool(e.Value)))
		case "ImageTag":
		default:
			return nil, fmt.Errorf("[Image] %s: unsupported key", e.Name)
		}
	}
	if ref == "" {
		return nil, errors.New("[Image] needs Image=")
	}
	return oneshot(command(scow, append(args, ref)...)), nil
}

// buildService builds a .build's image, once, in its directory.
func buildService(path string, s *unit.UnitSection, scow []string) ([]*unit.UnitEntry, error) {
	args := []string{"build"}
	var tag, dir, context, file string
	for _, e := range s.Entries {
		switch e.Name {
		case "ImageTag":
			tag = e.Value
			args = append(args, "--tag", e.Value)
		case "File":
			file = e.Value
			args = append(args, "--file", e.Value)
		case "SetWorkingDirectory":
			dir = e.Value
		case "Label", "Annotation", "Environment":
			flag := map[string]string{"Label": "--label", "Annotation": "--annotation", "Environment": "--env"}[e.Name]
			for _, w := range words(e.Value) {
				args = append(args, flag, w)
			}
		case "Arch":
			args = append(args, "--arch", e.Value)
		case "AuthFile":
			args = append(args, "--authfile", e.Value)
		case "Network":
			args = append(args, "--network", e.Value)
		case "Pull":
			args = append(args, "--pull="+e.Value)
		case "Secret":
			args = append(args, "--secret", e.Value)
		case "Target":
			args = append(args, "--target", e.Value)
		case "Volume":
			args = append(args, "--volume", e.Value)
		case "TLSVerify":
			args = append(args, "--tls-verify="+strings.ToLower(strconvBool(e.Value)))
		case "BuildArg":
			for _, w := range words(e.Value) {
				args = append(args, "--build-arg", w)
			}
		case "PodmanArgs":
			args = append(args, words(e.Value)...)
		default:
			return nil, fmt.Errorf("[Build] %s: unsupported key", e.Name)
		}
	}
	if tag == "" {
		return nil, errors.New("[Build] needs ImageTag=")
	}
	switch dir {
	case "", "unit":
		// The context is the .build file's directory.
		dir, context = filepath.Dir(path), "."
	case "file":
		if file == "" || !filepath.IsAbs(file) {
			return nil, errors.New("[Build] SetWorkingDirectory=file needs an absolute File=")
		}
		dir, context = filepath.Dir(file), "."
	default:
		dir, context = "", dir
	}
	entries := oneshot(command(scow, append(args, context)...))
	if dir != "" {
		entries = append(entries, &unit.UnitEntry{Name: "WorkingDirectory", Value: dir})
	}
	return entries, nil
}

// strconvBool is a systemd boolean as true or false.
func strconvBool(v string) string {
	if yes(v) {
		return "true"
	}
	return "false"
}

func oneshot(start string) []*unit.UnitEntry {
	return []*unit.UnitEntry{
		{Name: "ExecStart", Value: start},
		{Name: "RemainAfterExit", Value: "yes"},
		{Name: "Type", Value: "oneshot"},
		{Name: "SyslogIdentifier", Value: "%N"},
	}
}

// yes reads a systemd boolean.
func yes(v string) bool {
	switch strings.ToLower(v) {
	case "1", "yes", "true", "on":
		return true
	}
	return false
}

// words splits a value as systemd does: spaces, double or single quotes.
func words(v string) []string {
	var out []string
	var w strings.Builder
	var quote byte
	started := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote, started = c, true
		case c == '\\' && i+1 < len(v):
			i++
			w.WriteByte(v[i])
			started = true
		case quote == 0 && (c == ' ' || c == '\t'):
			if started {
				out = append(out, w.String())
				w.Reset()
				started = false
			}
		default:
			w.WriteByte(c)
			started = true
		}
	}
	if started {
		out = append(out, w.String())
	}
	return out
}

// command is a command line for ExecStart=. The words come from a unit
// file, in systemd's syntax already: $$ and specifiers (%t, %N, %h) stay
// for systemd to read.
func command(scow []string, args ...string) string {
	return Command(append(slices.Clone(scow), args...)...)
}

// Command joins words into a command line of ExecStart= and the like,
// in double quotes those that need them.
func Command(words ...string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if w == "" || strings.ContainsAny(w, " \t\"'\\;") {
			w = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(w) + `"`
		}
		out[i] = w
	}
	return strings.Join(out, " ")
}

// Escape makes a word systemd reads as it is, not as a specifier (%) or
// a variable ($).
func Escape(w string) string {
	return strings.NewReplacer("%", "%%", "$", "$$").Replace(w)
}
