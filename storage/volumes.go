package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Volume errors.
var (
	ErrVolumeUnknown = errors.New("no such volume")
	ErrVolumeExists  = errors.New("volume already exists")
	ErrVolumeInvalid = errors.New("invalid volume")
)

// Volume is a named volume: a directory kept apart from any container,
// or, with options, a tmpfs or a bound host directory.
type Volume struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Mountpoint string            `json:"Mountpoint"`
	CreatedAt  time.Time         `json:"CreatedAt"`
	Labels     map[string]string `json:"Labels"`
	Scope      string            `json:"Scope"`
	Options    map[string]string `json:"Options"`
	// Anonymous volumes belong to the container they were made for.
	Anonymous bool `json:"Anonymous"`
	// NeedsCopyUp: the first container to mount the volume copies into
	// it what its image has at the mount point, as Docker does.
	NeedsCopyUp bool `json:"NeedsCopyUp"`
}

// VolumeMount says how a volume is mounted: a bind of Source, or a tmpfs
// with Options.
type VolumeMount struct {
	Type    string
	Source  string
	Options []string
	// Owner is a plain volume's o=uid=N,gid=N ("" when not given), which
	// sets who owns its data rather than how it mounts.
	Owner string
}

var volumeName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidVolumeName checks a volume name as Docker does.
func ValidVolumeName(name string) error {
	if !volumeName.MatchString(name) {
		return fmt.Errorf("%w name %q: use letters, digits, '_', '.' and '-', starting with a letter or digit", ErrVolumeInvalid, name)
	}
	return nil
}

// Volumes keeps volume records and data under one directory, one
// subdirectory each: volume.json and _data.
type Volumes struct{ dir string }

// OpenVolumes returns the volumes kept in dir.
func OpenVolumes(dir string) *Volumes { return &Volumes{dir: dir} }

// Lock takes the lock every change of volumes holds: a flock on the
// directory itself, so that no lock file is ever left behind.
func (v *Volumes) Lock() (func(), error) {
	if err := os.MkdirAll(v.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", v.dir, err)
	}
	f, err := os.Open(v.dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", v.dir, err)
	}
	return func() { f.Close() }, nil
}

func (v *Volumes) record(name string) string { return filepath.Join(v.dir, name, "volume.json") }

// Create makes a volume from vol's name, labels and options; the caller
// holds the lock.
func (v *Volumes) Create(vol Volume) (*Volume, error) {
	if err := ValidVolumeName(vol.Name); err != nil {
		return nil, err
	}
	mount, err := ParseVolumeOptions(vol.Options)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(v.dir, vol.Name)
	if err := os.Mkdir(dir, 0o700); errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%w: %s", ErrVolumeExists, vol.Name)
	} else if err != nil {
		return nil, fmt.Errorf("create volume %s: %w", vol.Name, err)
	}
	fail := func(err error) (*Volume, error) {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("create volume %s: %w", vol.Name, err)
	}
	data := filepath.Join(dir, "_data")
	if err := os.Mkdir(data, 0o755); err != nil {
		return fail(err)
	}
	if uid, gid, ok := mount.OwnerIDs(); ok {
		if err := os.Chown(data, uid, gid); err != nil {
			return fail(err)
		}
	}
	vol.Driver, vol.Scope, vol.Mountpoint = "local", "local", data
	vol.CreatedAt = time.Now().UTC().Truncate(time.Second)
	if vol.Labels == nil {
		vol.Labels = map[string]string{}
	}
	if vol.Options == nil {
		vol.Options = map[string]string{}
	}
	vol.NeedsCopyUp = mount.Type == "bind" && mount.Source == "" // a plain directory
	if err := v.Save(&vol); err != nil {
		return fail(err)
	}
	return &vol, nil
}

// Save rewrites a volume's record.
func (v *Volumes) Save(vol *Volume) error {
	data, err := json.MarshalIndent(vol, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(v.record(vol.Name), data)
}

// Get reads a volume's record.
func (v *Volumes) Get(name string) (*Volume, error) {
	if ValidVolumeName(name) != nil {
		return nil, fmt.Errorf("%w: %s", ErrVolumeUnknown, name)
	}
	data, err := os.ReadFile(v.record(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrVolumeUnknown, name)
	}
	if err != nil {
		return nil, err
	}
	var vol Volume
	if err := json.Unmarshal(data, &vol); err != nil {
		return nil, fmt.Errorf("volume %s: %w", name, err)
	}
	return &vol, nil
}

// List reads every volume, by name. A directory without a readable record
// (a create that was killed) is skipped.
func (v *Volumes) List() ([]*Volume, error) {
	entries, err := os.ReadDir(v.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Volume
	for _, e := range entries {
		if vol, err := v.Get(e.Name()); err == nil {
			out = append(out, vol)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove deletes a volume and its data; the caller holds the lock.
func (v *Volumes) Remove(name string) error {
	if _, err := v.Get(name); err != nil {
		return err
	}
	dir := filepath.Join(v.dir, name)
	// The record goes first: a removal cut short leaves no volume that
	// looks whole.
	if err := os.Remove(v.record(name)); err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove data of volume %s: %w", name, err)
	}
	return nil
}

// Mount says how to mount vol.
func (vol *Volume) Mount() (VolumeMount, error) {
	m, err := ParseVolumeOptions(vol.Options)
	if err != nil {
		return m, err
	}
	if m.Type == "bind" && m.Source == "" {
		// A plain volume: its options only set the owner of its data.
		m.Source, m.Owner, m.Options = vol.Mountpoint, strings.Join(m.Options, ","), nil
	}
	return m, nil
}

// ParseVolumeOptions checks the options of `volume create --opt`, those
// of Docker's local driver: none (a directory), o=uid=N,gid=N (its
// owner), type=tmpfs with o=size=,mode=,uid=,gid=..., or type=none,
// o=bind and device=PATH (a host directory).
func ParseVolumeOptions(opts map[string]string) (VolumeMount, error) {
	for k := range opts {
		if k != "type" && k != "o" && k != "device" {
			return VolumeMount{}, fmt.Errorf("%w option %q: use type, o or device", ErrVolumeInvalid, k)
		}
	}
	var o []string
	if opts["o"] != "" {
		o = strings.Split(opts["o"], ",")
	}
	switch t := opts["type"]; t {
	case "":
		if opts["device"] != "" {
			return VolumeMount{}, fmt.Errorf("%w option device needs type=none and o=bind", ErrVolumeInvalid)
		}
		for _, x := range o {
			k, val, _ := strings.Cut(x, "=")
			if _, err := strconv.Atoi(val); err != nil || k != "uid" && k != "gid" {
				return VolumeMount{}, fmt.Errorf("%w option o=%s: without a type only uid=N and gid=N apply", ErrVolumeInvalid, x)
			}
		}
		return VolumeMount{Type: "bind", Options: o}, nil
	case "tmpfs":
		if opts["device"] != "" && opts["device"] != "tmpfs" {
			return VolumeMount{}, fmt.Errorf("%w: a tmpfs volume has no device", ErrVolumeInvalid)
		}
		return VolumeMount{Type: "tmpfs", Source: "tmpfs", Options: o}, nil
	case "none", "bind":
		dev := opts["device"]
		if !filepath.IsAbs(dev) {
			return VolumeMount{}, fmt.Errorf("%w option device=%q: give the absolute path of a host directory", ErrVolumeInvalid, dev)
		}
		if !slices.Contains(o, "bind") && !slices.Contains(o, "rbind") {
			return VolumeMount{}, fmt.Errorf("%w: a volume of type %s needs o=bind", ErrVolumeInvalid, t)
		}
		if st, err := os.Stat(dev); err != nil || !st.IsDir() {
			return VolumeMount{}, fmt.Errorf("%w device %s is not a directory", ErrVolumeInvalid, dev)
		}
		o = slices.DeleteFunc(o, func(x string) bool { return x == "bind" || x == "rbind" })
		return VolumeMount{Type: "bind", Source: dev, Options: o}, nil
	default:
		return VolumeMount{}, fmt.Errorf("%w type %q: use tmpfs or none (with o=bind and device=PATH)", ErrVolumeInvalid, t)
	}
}

// OwnerIDs reads the uid= and gid= a plain volume was created with
// (-1: not given).
func (m VolumeMount) OwnerIDs() (uid, gid int, ok bool) {
	uid, gid = -1, -1
	opts := m.Options
	if m.Owner != "" {
		opts = strings.Split(m.Owner, ",")
	}
	for _, x := range opts {
		k, val, _ := strings.Cut(x, "=")
		n, err := strconv.Atoi(val)
		if err != nil {
			continue
		}
		switch k {
		case "uid":
			uid, ok = n, true
		case "gid":
			gid, ok = n, true
		}
	}
	return uid, gid, ok
}

// CheckVolumeFilter checks a volume ls/prune filter that Match reads:
// name=, driver=, label=KEY[=VALUE], opt=KEY[=VALUE], scope=.
func CheckVolumeFilter(key string) error {
	switch key {
	case "name", "driver", "label", "label!", "opt", "scope":
		return nil
	}
	return fmt.Errorf("%w filter %q: use name=, label=, driver=, opt=, scope=, dangling= or until=", ErrVolumeInvalid, key)
}

// Match tells whether the volume matches a filter CheckVolumeFilter
// takes.
func (vol *Volume) Match(key, value string) bool {
	k, v, hasV := strings.Cut(value, "=")
	has := func(m map[string]string) bool {
		have, ok := m[k]
		return ok && (!hasV || have == v)
	}
	switch key {
	case "name":
		return strings.Contains(vol.Name, value)
	case "driver":
		return vol.Driver == value
	case "scope":
		return vol.Scope == value
	case "label", "label!":
		return has(vol.Labels) == (key == "label")
	case "opt":
		return has(vol.Options)
	}
	return false
}
