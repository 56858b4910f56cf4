package specgen

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/oci"
	"github.com/scow-project/scow/storage"
)

// propagations are the mount propagation options.
var propagations = oci.Propagations

// bindFlags are the options that pass to a bind mount as they are.
var bindFlags = []string{"exec", "noexec", "suid", "nosuid", "dev", "nodev", "bind", "rbind"}

// ParseVolume parses a -v value: [SOURCE:]DEST[:OPTIONS]. A SOURCE that
// starts with / or . is a host path (made absolute against the current
// directory), anything else a volume name; without one the volume is
// anonymous.
func ParseVolume(spec string) (record.Mount, error) {
	bad := func(why string) (record.Mount, error) {
		return record.Mount{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("-v %q: %s", spec, why))
	}
	parts := strings.Split(spec, ":")
	var m record.Mount
	opts := ""
	switch {
	case len(parts) == 1:
		m = record.Mount{Type: record.MountVolume, Destination: parts[0]}
	case len(parts) == 2 && strings.HasPrefix(parts[0], "/") && onlyOptions(parts[1]):
		m, opts = record.Mount{Type: record.MountVolume, Destination: parts[0]}, parts[1]
	case len(parts) == 2 || len(parts) == 3:
		m = record.Mount{Type: record.MountVolume, Source: parts[0], Destination: parts[1]}
		if m.Source == "" {
			return bad("empty source")
		}
		if len(parts) == 3 {
			opts = parts[2]
		}
	default:
		return bad("want [SOURCE:]CONTAINER-DIR[:OPTIONS]")
	}
	if m.Source != "" && (strings.HasPrefix(m.Source, "/") || strings.HasPrefix(m.Source, ".")) {
		abs, err := filepath.Abs(m.Source)
		if err != nil {
			return bad(err.Error())
		}
		m.Type, m.Source = record.MountBind, filepath.Clean(abs)
	}
	if opts != "" {
		p, err := mountOptions(m, strings.Split(opts, ","))
		if err != nil {
			return bad(err.Error())
		}
		m.ReadOnly, m.Options = p.readOnly, p.options
	}
	if err := checkMount(&m); err != nil {
		return bad(err.Error())
	}
	return m, nil
}

// onlyOptions tells whether s is a list of -v options, so that DEST:OPTS
// is told from SOURCE:DEST.
func onlyOptions(s string) bool {
	for _, o := range strings.Split(s, ",") {
		if !slices.Contains(append(append([]string{"ro", "rw", "z", "Z", "U", "O", "copy", "nocopy"}, propagations...), bindFlags...), o) {
			return false
		}
	}
	return true
}

type parsedOptions struct {
	readOnly bool
	options  []string
}

// mountOptions checks the options of a -v mount of m.
func mountOptions(m record.Mount, opts []string) (parsedOptions, error) {
	var p parsedOptions
	seen := map[string]bool{}
	for _, o := range opts {
		key := o
		switch {
		case o == "ro" || o == "rw":
			key = "rw"
			p.readOnly = o == "ro"
		case o == "z" || o == "Z":
			key = "relabel"
			if selinuxEnabled() {
				return p, fmt.Errorf("option %s: scow does not relabel for SELinux, which this host enforces", o)
			}
		case o == "U":
			p.options = append(p.options, o)
		case o == "O":
			if m.Kind() != record.MountBind {
				return p, errors.New("option O applies to host directories only")
			}
			p.options = append(p.options, o)
		case o == "copy" || o == "nocopy":
			key = "copy"
			if m.Kind() != record.MountVolume {
				return p, fmt.Errorf("option %s applies to volumes only", o)
			}
			if o == "nocopy" {
				p.options = append(p.options, o)
			}
		case slices.Contains(propagations, o):
			key = "propagation"
			p.options = append(p.options, o)
		case slices.Contains(bindFlags, o):
			key = strings.TrimPrefix(strings.TrimPrefix(o, "r"), "no")
			p.options = append(p.options, o)
		default:
			return p, fmt.Errorf("unknown option %q: use ro, rw, z, Z, U, O, nocopy, a propagation (%s), or [no]exec, [no]suid, [no]dev", o, strings.Join(propagations, ", "))
		}
		if seen[key] {
			return p, fmt.Errorf("option %s conflicts with another option", o)
		}
		seen[key] = true
	}
	return p, nil
}

// checkMount validates what every kind of mount needs, and cleans its
// path.
func checkMount(m *record.Mount) error {
	m.Destination = filepath.Clean(m.Destination)
	if !strings.HasPrefix(m.Destination, "/") {
		return fmt.Errorf("the container path %q must be absolute", m.Destination)
	}
	if m.Kind() == record.MountVolume && m.Source != "" {
		if err := storage.ValidVolumeName(m.Source); err != nil {
			return err
		}
	}
	return nil
}

// ParseMount parses a --mount value: comma-separated KEY=VALUE as in
// Docker (type, source, target, readonly, bind-propagation,
// volume-nocopy, tmpfs-size, tmpfs-mode) plus Podman's U and O.
func ParseMount(spec string) (record.Mount, error) {
	bad := func(why string) (record.Mount, error) {
		return record.Mount{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--mount %q: %s", spec, why))
	}
	fields, err := csv.NewReader(strings.NewReader(spec)).Read()
	if err != nil {
		return bad(err.Error())
	}
	m := record.Mount{Type: record.MountVolume}
	for _, f := range fields {
		k, v, hasValue := strings.Cut(f, "=")
		// A flag: bare, or =true/1/false/0.
		yes := !hasValue || v == "true" || v == "1"
		flag := func() error {
			if hasValue && !yes && v != "false" && v != "0" {
				return fmt.Errorf("%s=%s: use true or false", k, v)
			}
			return nil
		}
		switch strings.ToLower(k) {
		case "type":
			if v != record.MountBind && v != record.MountVolume && v != record.MountTmpfs {
				return bad("type " + v + ": use bind, volume or tmpfs")
			}
			m.Type = v
		case "source", "src":
			m.Source = v
		case "target", "destination", "dst":
			m.Destination = v
		case "readonly", "ro":
			m.ReadOnly = yes
		case "rw":
			m.ReadOnly = !yes
		case "bind-propagation":
			if !slices.Contains(propagations, v) {
				return bad("bind-propagation=" + v + ": use one of " + strings.Join(propagations, ", "))
			}
			m.Options = append(m.Options, v)
		case "volume-nocopy":
			if yes {
				m.Options = append(m.Options, "nocopy")
			}
		case "tmpfs-size":
			m.Options = append(m.Options, "size="+v)
		case "tmpfs-mode":
			m.Options = append(m.Options, "mode="+v)
		case "u", "chown":
			if yes {
				m.Options = append(m.Options, "U")
			}
		case "o":
			m.Options = append(m.Options, "O")
		case "relabel", "z", "consistency", "bind-nonrecursive":
			// SELinux labels and Docker Desktop's hints: nothing to do
			// here (see mountOptions for an enforcing host).
			if selinuxEnabled() && k != "consistency" && k != "bind-nonrecursive" {
				return bad("scow does not relabel for SELinux, which this host enforces")
			}
		default:
			return bad("unknown key " + k)
		}
		if err := flag(); err != nil && slices.Contains([]string{"readonly", "ro", "rw", "volume-nocopy", "u", "chown"}, strings.ToLower(k)) {
			return bad(err.Error())
		}
	}
	if m.Destination == "" {
		return bad("no target: give target=/PATH")
	}
	switch m.Type {
	case record.MountBind:
		if m.Source == "" {
			return bad("a bind mount needs source=HOST-PATH")
		}
		abs, err := filepath.Abs(m.Source)
		if err != nil {
			return bad(err.Error())
		}
		m.Source = filepath.Clean(abs)
	case record.MountTmpfs:
		if m.Source != "" {
			return bad("a tmpfs has no source")
		}
	}
	if m.Type != record.MountTmpfs && slices.ContainsFunc(m.Options, func(o string) bool { return strings.HasPrefix(o, "size=") || strings.HasPrefix(o, "mode=") }) {
		return bad("tmpfs-size and tmpfs-mode apply to type=tmpfs only")
	}
	if m.Type != record.MountBind && m.Has("O") {
		return bad("O applies to type=bind only")
	}
	if err := checkMount(&m); err != nil {
		return bad(err.Error())
	}
	return m, nil
}

// ParseTmpfs parses a --tmpfs value: CONTAINER-DIR[:OPTIONS], with
// Podman's defaults rw,noexec,nosuid,nodev.
func ParseTmpfs(spec string) (record.Mount, error) {
	dst, opts, _ := strings.Cut(spec, ":")
	m := record.Mount{Type: record.MountTmpfs, Destination: dst}
	if opts == "" {
		opts = "rw,noexec,nosuid,nodev"
	}
	for _, o := range strings.Split(opts, ",") {
		switch {
		case o == "ro":
			m.ReadOnly = true
		case o == "rw":
		case o == "":
			return record.Mount{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--tmpfs %q: empty option", spec))
		default:
			m.Options = append(m.Options, o)
		}
	}
	if err := checkMount(&m); err != nil {
		return record.Mount{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--tmpfs %q: %w", spec, err))
	}
	return m, nil
}

// selinuxEnabled tells whether the host enforces SELinux.
func selinuxEnabled() bool {
	data, err := os.ReadFile("/sys/fs/selinux/enforce")
	return err == nil && strings.TrimSpace(string(data)) == "1"
}

// parseMounts reads the -v, --mount and --tmpfs flags of o; Spec.Check
// checks them together.
func parseMounts(o RunOptions) ([]record.Mount, error) {
	var out []record.Mount
	for _, set := range []struct {
		values []string
		parse  func(string) (record.Mount, error)
	}{{o.Volumes, ParseVolume}, {o.Mounts, ParseMount}, {o.Tmpfs, ParseTmpfs}} {
		for _, v := range set.values {
			m, err := set.parse(v)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	return out, nil
}

func checkDestinations(mounts []record.Mount) error {
	seen := map[string]bool{}
	for _, m := range mounts {
		d := filepath.Clean(m.Destination)
		if seen[d] {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s is the destination of two mounts: give each path one", d))
		}
		seen[d] = true
	}
	return nil
}
