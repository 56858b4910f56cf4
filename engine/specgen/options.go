package specgen

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/storage"
	"golang.org/x/sys/unix"
)

// ReadEnvFile reads KEY=VALUE lines; blank lines and # comments are
// skipped, and a bare KEY takes its value from this process's environment.
func ReadEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--env-file: %w", err))
	}
	defer f.Close()
	var env []string
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		// Docker trims leading space only: a value may end in blanks.
		line := strings.TrimLeft(s.Text(), " \t")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kv, err := envEntry(line)
		if err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--env-file %s line %d: %w", path, n, err))
		}
		if kv != "" {
			env = append(env, kv)
		}
	}
	return env, s.Err()
}

// envEntry checks one -e value; a bare KEY is looked up on the host and
// dropped when unset, as Docker does.
func envEntry(kv string) (string, error) {
	k, _, ok := strings.Cut(kv, "=")
	if k == "" || strings.ContainsAny(k, " \t") {
		return "", fmt.Errorf("bad variable name in %q", kv)
	}
	if ok {
		return kv, nil
	}
	if v, set := os.LookupEnv(k); set {
		return k + "=" + v, nil
	}
	return "", nil
}

// MergeEnv applies entries in order: a later KEY replaces an earlier one
// in place.
func MergeEnv(base []string, more ...string) []string {
	out := append([]string(nil), base...)
	idx := map[string]int{}
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		idx[k] = i
	}
	for _, kv := range more {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// ParseCommand reads a command flag such as --entrypoint: a JSON
// array, or one program.
func ParseCommand(flag, s string) ([]string, error) {
	if s == "" {
		return []string{}, nil
	}
	if strings.HasPrefix(s, "[") {
		var words []string
		if err := json.Unmarshal([]byte(s), &words); err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s %q: bad JSON array: %v", flag, s, err))
		}
		return words, nil
	}
	return []string{s}, nil
}

// ParseLabels reads --label KEY=VALUE (a bare KEY has an empty value).
func ParseLabels(list []string) (map[string]string, error) {
	return ParseKeyValues("--label", list)
}

// ReadLabels reads the labels of --label-file files, then --label
// values over them.
func ReadLabels(files, labels []string) (map[string]string, error) {
	var all []string
	for _, f := range files {
		l, err := readKeyValueFile("--label-file", f)
		if err != nil {
			return nil, err
		}
		all = append(all, l...)
	}
	return ParseLabels(append(all, labels...))
}

// ParseKeyValues reads the KEY=VALUE values of flag (a bare KEY has an
// empty value); nil for none.
func ParseKeyValues(flag string, list []string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, l := range list {
		k, v, _ := strings.Cut(l, "=")
		if k == "" {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s %q: want KEY=VALUE", flag, l))
		}
		out[k] = v
	}
	return out, nil
}

// readKeyValueFile reads a file of KEY=VALUE lines for flag, skipping
// blank lines and # comments.
func readKeyValueFile(flag, path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s: %w", flag, err))
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, nil
}

// proxyVars are the host variables --http-proxy passes on.
var proxyVars = []string{"http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY"}

// hostEnv is what --env-host and --http-proxy take from this process.
func hostEnv(all, proxies bool) []string {
	if all {
		return os.Environ()
	}
	var env []string
	if proxies {
		for _, k := range proxyVars {
			if v, ok := os.LookupEnv(k); ok {
				env = append(env, k+"="+v)
			}
		}
	}
	return env
}

// parseExpose reads --expose values: PORT, PORT/PROTOCOL or a range
// START-END[/PROTOCOL], as the image config's "80/tcp" keys.
func parseExpose(list []string) ([]string, error) {
	var out []string
	for _, e := range list {
		ports, proto, _ := strings.Cut(e, "/")
		if proto == "" {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" && proto != "sctp" {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--expose %q: the protocol must be tcp, udp or sctp", e))
		}
		first, last, isRange := strings.Cut(ports, "-")
		lo, err1 := strconv.ParseUint(first, 10, 16)
		hi, err2 := lo, error(nil)
		if isRange {
			hi, err2 = strconv.ParseUint(last, 10, 16)
		}
		if err1 != nil || err2 != nil || lo == 0 || hi < lo {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--expose %q: want PORT[-PORT][/PROTOCOL] with ports from 1 to 65535", e))
		}
		for p := lo; p <= hi; p++ {
			out = append(out, fmt.Sprintf("%d/%s", p, proto))
		}
	}
	return out, nil
}

// MergeLabels lays the user's labels over the image's.
func MergeLabels(image, user map[string]string) map[string]string {
	if len(image)+len(user) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range image {
		out[k] = v
	}
	for k, v := range user {
		out[k] = v
	}
	return out
}

// ParseRestartPolicy reads --restart: no, on-failure[:N], always,
// unless-stopped.
func ParseRestartPolicy(s string) (record.RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	p := record.RestartPolicy{Name: name}
	switch name {
	case "":
		p.Name = "no"
	case "no", "always", "unless-stopped":
	case "on-failure":
		if hasCount {
			n, err := strconv.Atoi(count)
			if err != nil || n < 0 {
				return p, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--restart %q: the retry count must be a number", s))
			}
			p.MaxRetries = n
		}
		return p, nil
	default:
		return p, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--restart %q: use no, on-failure[:N], always or unless-stopped", s))
	}
	if hasCount {
		return p, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--restart %q: only on-failure takes a retry count", s))
	}
	return p, nil
}

// parseLogOpts reads --log-opt max-size=SIZE (10m, 1g) and max-file=N.
func parseLogOpts(opts []string) (maxSize int64, maxFiles int, err error) {
	maxFiles = 1
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "max-size":
			if maxSize, err = units.RAMInBytes(v); err != nil || maxSize < 0 {
				return 0, 0, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--log-opt %q: want a size such as 10m", o))
			}
		case "max-file":
			if maxFiles, err = strconv.Atoi(v); err != nil || maxFiles < 1 {
				return 0, 0, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--log-opt %q: want a count of at least 1", o))
			}
		default:
			return 0, 0, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--log-opt %q: use max-size or max-file", o))
		}
	}
	return maxSize, maxFiles, nil
}

// RunOptions are the flags of create and run.
type RunOptions struct {
	Image string
	Name  string
	// Pod is the pod the container joins (--pod), by name or ID, or
	// new:NAME; PodIDFile holds its ID (--pod-id-file). InitCtr makes
	// it an init container of the pod (--init-ctr): always (run at each
	// pod start) or once (removed after its first run).
	Pod, PodIDFile, InitCtr string
	// Args are the command and arguments after the image; empty keeps the
	// image's Cmd.
	Args []string
	// Entrypoint, when non-nil, replaces the image's ("" clears it).
	Entrypoint *string
	Env        []string
	EnvFiles   []string
	Workdir    string
	User       string
	Hostname   string
	// Network is --network; the default is slirp4netns rootless and the
	// default bridge network as root. NetworkAliases (--network-alias)
	// and IP and IP6 (--ip, --ip6) apply on a named network.
	Network        string
	NetworkAliases []string
	IP, IP6        string
	// Publish are -p values; PublishAll (-P) publishes every port the
	// image EXPOSEs on a free host port.
	Publish    []string
	PublishAll bool
	// DNS, DNSSearch and DNSOptions make resolv.conf; AddHosts
	// (HOST:IP) and NoHosts shape /etc/hosts.
	DNS, DNSSearch, DNSOptions, AddHosts []string
	NoHosts                              bool
	MacAddress                           string
	// Volumes are -v values, Mounts --mount values, Tmpfs --tmpfs values.
	Volumes []string
	Mounts  []string
	Tmpfs   []string
	// VolumesFrom are --volumes-from CONTAINER[:ro|rw].
	VolumesFrom []string
	// ReadOnly mounts the rootfs read-only, with tmpfs on /tmp, /var/tmp
	// and /run unless ReadOnlyTmpfs is false.
	ReadOnly      bool
	ReadOnlyTmpfs bool
	// UserNS is --userns (host, keep-id[:uid=,gid=], nomap, auto[:size=]);
	// UIDMap and GIDMap are --uidmap and --gidmap.
	UserNS         string
	UIDMap, GIDMap []string
	// SubUIDName and SubGIDName map the container's IDs to the ranges of
	// these names in /etc/subuid and /etc/subgid.
	SubUIDName, SubGIDName string
	Labels                 []string
	// LabelFiles are --label-file files of KEY=VALUE lines, read before
	// Labels.
	LabelFiles []string
	// EnvHost starts the environment from this process's (--env-host);
	// HTTPProxy passes on its proxy variables (--http-proxy, Podman's
	// default).
	EnvHost, HTTPProxy bool
	// EnvMerge are KEY=VALUE entries whose $VAR and ${VAR} expand in the
	// image's environment (--env-merge).
	EnvMerge []string
	// UnsetEnv drops these variables of the image's and scow's defaults;
	// UnsetEnvAll drops all of them, leaving only the user's.
	UnsetEnv    []string
	UnsetEnvAll bool
	// Expose adds PORT[/PROTOCOL] or ranges to the ports the image
	// exposes (what -P publishes).
	Expose []string
	// Annotations are KEY=VALUE annotations of the runtime spec.
	Annotations []string
	Interactive bool
	// Tty gives the container a pseudo-terminal.
	Tty    bool
	Remove bool
	// Init runs an init as PID 1 that reaps zombies and forwards signals:
	// InitPath, or catatonit or tini-static found on the host.
	Init     bool
	InitPath string
	// Detach runs the container under a monitor and returns at once.
	Detach bool
	// Restart is the restart policy: no, on-failure[:N], always or
	// unless-stopped.
	Restart string
	// LogDriver is k8s-file (json-file is its alias, as with Podman) or
	// none; LogOpts are --log-opt values: max-size=SIZE, max-file=N.
	LogDriver string
	LogOpts   []string
	// ImageVolume is what the image's VOLUMEs get: bind, tmpfs, ignore.
	ImageVolume string
	// HostsFile starts /etc/hosts: none, image or a host file.
	HostsFile string
	// Rootfs says Image is a directory to run on, PATH[:O], not an image.
	Rootfs bool
	// Security are the flags that shape isolation, Namespaces --pid,
	// --ipc, --uts and --cgroupns.
	Security   SecurityOptions
	Namespaces NamespaceOptions
	// Secrets are --secret values.
	Secrets []string
	// Resources are the limits; CgroupParent is where the container's
	// cgroup goes (default /scow); Cgroups is --cgroups: enabled,
	// disabled, no-conmon or split.
	Resources    ResourceOptions
	CgroupParent string
	Cgroups      string
	// ChrootDirs are --chrootdirs values: comma-separated directories.
	ChrootDirs []string
	// NoPasswd adds no /etc/passwd entry for a user the image lacks
	// (--passwd=false); PasswdEntry and GroupEntry are the entries'
	// templates; HostUsers are host accounts to copy in (--hostuser).
	NoPasswd                bool
	PasswdEntry, GroupEntry string
	HostUsers               []string
	// NoHostname leaves the image's /etc/hostname; Umask is an octal
	// umask; TZ is a zone name ("local": the host's).
	NoHostname bool
	Umask      string
	TZ         string
	// Attach are the streams attached at run or start -a: stdin,
	// stdout, stderr (-a); none named means all.
	Attach []string
	// RemoveImage removes the image once the container is gone (--rmi,
	// which implies Remove); Requires are containers to start first.
	RemoveImage bool
	Requires    []string
	// Timeout kills the container after that many seconds (--timeout).
	Timeout int
	// PidFile and MonitorPidFile receive the container's and its
	// monitor's PIDs (--pidfile, --conmon-pidfile).
	PidFile, MonitorPidFile string
	// StopSignal and StopTimeout override the image's and the default 10 s.
	StopSignal  string
	StopTimeout *int
	// Health is the --health-* flags.
	Health HealthOptions
	// SdNotify is --sdnotify: conmon, container, healthy or ignore.
	SdNotify string
	// CreateCommand is the command line of the run or create.
	CreateCommand []string
	// Systemd is --systemd: true (systemd's mode when the command is an
	// init), always or false; ShmSizeSystemd sizes its tmpfs mounts.
	Systemd, ShmSizeSystemd string
	// Replace removes an existing container of the same name first.
	Replace bool
	// CIDFile receives the container ID; it must not exist yet.
	CIDFile string
	// Pull is the pull policy (missing, always, never, newer) and Registry
	// the options of such a pull; PullProgress receives its progress.
	Pull         string
	Registry     storage.RegistryOptions
	PullProgress io.Writer
}

// parseLogDriver checks --log-driver: k8s-file (json-file is its
// alias) or none.
func parseLogDriver(d string) (string, error) {
	switch d {
	case "", "k8s-file", "json-file":
		return "k8s-file", nil
	case "none":
		return d, nil
	case "journald":
		return "", errdefs.WithClass(errdefs.ErrInvalid, errors.New("--log-driver journald: scow writes no journal logs: use k8s-file (the default) or none"))
	case "passthrough", "passthrough-tty":
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--log-driver %s: scow's monitor always holds the container's output: use k8s-file (the default) or none", d))
	}
	return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--log-driver %q: use k8s-file, json-file or none", d))
}

// zoneinfo is where the host's time zone files live.
var zoneinfo = "/usr/share/zoneinfo"

// parseTZ turns --tz into the host's zone file: "local" is the host's
// own zone, anything else a name under zoneinfo (Area/City, UTC).
func parseTZ(tz string) (string, error) {
	if tz == "" {
		return "", nil
	}
	if tz == "local" {
		p, err := filepath.EvalSymlinks("/etc/localtime")
		if err != nil {
			return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--tz local: this host has no /etc/localtime: %w", err))
		}
		return p, nil
	}
	p := filepath.Join(zoneinfo, filepath.Clean("/"+tz))
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--tz %q: no such time zone in %s (is tzdata installed?)", tz, zoneinfo))
	}
	return p, nil
}

// parseUmask reads --umask: octal, at most 0777.
func parseUmask(s string) (*uint32, error) {
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o777 {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--umask %q: want an octal mask such as 0022", s))
	}
	u := uint32(n)
	return &u, nil
}

// ParseTime reads --since, --until and until= filters: an RFC 3339
// time, a date, Unix seconds or a duration before now ("10m").
func ParseTime(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(secs*1e9)), nil
	}
	return time.Time{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("time %q: use RFC 3339 (2006-01-02T15:04:05Z), a date, Unix seconds or a duration such as 10m", s))
}

// ParseSignal reads a signal name (KILL, SIGKILL, kill) or number.
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	// The real-time signals, as the C library numbers them: RTMIN is 34.
	for prefix, base := range map[string]int{"SIGRTMIN+": 34, "SIGRTMAX-": 64} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			if n, err := strconv.Atoi(rest); err == nil && n >= 0 && n <= 30 {
				if prefix == "SIGRTMAX-" {
					n = -n
				}
				return unix.Signal(base + n), nil
			}
		}
	}
	if name == "SIGRTMIN" || name == "SIGRTMAX" {
		return unix.Signal(map[string]int{"SIGRTMIN": 34, "SIGRTMAX": 64}[name]), nil
	}
	return 0, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("invalid signal %q: use a name such as TERM or a number", s))
}

// UsageFilter reads the ls and prune filters volumes and networks share:
// dangling=true|false (no container uses it, as users, called only for
// this key, says) and until=TIME (made before). handled is false for any
// other key.
func UsageFilter(what, key, value string, now time.Time, users func() (map[string][]string, error)) (pred func(name string, created time.Time) bool, handled bool, err error) {
	switch key {
	case "dangling":
		if value != "true" && value != "false" {
			return nil, true, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s filter dangling=%s: use true or false", what, value))
		}
		u, err := users()
		if err != nil {
			return nil, true, err
		}
		return func(name string, _ time.Time) bool { return (len(u[name]) == 0) == (value == "true") }, true, nil
	case "until":
		t, err := ParseTime(value, now)
		if err != nil {
			return nil, true, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s filter until=%s: %w", what, value, err))
		}
		return func(_ string, created time.Time) bool { return created.Before(t) }, true, nil
	}
	return nil, false, nil
}
