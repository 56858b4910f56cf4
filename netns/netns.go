package netns

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Addresses of slirp4netns's default network, 10.0.2.0/24.
const (
	SlirpGateway = "10.0.2.2"
	SlirpDNS     = "10.0.2.3"
	SlirpGuest   = "10.0.2.100"
	// slirpIPv6 is its IPv6 network, with --enable-ipv6.
	slirpIPv6 = "fd00::/64"
)

// Options describe a container's network.
type Options struct {
	// ID names the namespace pin and helper state in RunDir.
	ID   string
	Mode Mode
	// Name and Hostname go into /etc/hosts and /etc/hostname.
	Name, Hostname string
	// Dir receives the container's hosts, resolv.conf and hostname.
	Dir string
	// RunDir holds namespace pins and port forwarders' sockets.
	RunDir string
	Ports  []PortMapping
	// DNS are --dns servers, DNSSearch --dns-search domains, DNSOptions
	// --dns-option values; AddHosts are --add-host HOST:IP entries.
	DNS, DNSSearch, DNSOptions, AddHosts []string
	// NoHosts leaves the image's /etc/hosts alone, NoHostname its
	// /etc/hostname.
	NoHosts, NoHostname bool
	// HostsBase, when not nil, starts /etc/hosts instead of the
	// localhost lines (--hosts-file).
	HostsBase []byte
	// JoinPath is the namespace of a container: or ns: mode; JoinDir the
	// directory of a container: target whose hosts and resolv.conf are
	// shared.
	JoinPath, JoinDir string
	// SlirpPath is the slirp4netns binary; empty finds it in PATH.
	SlirpPath string
	// MacAddress is the container's MAC address, where the mode allows.
	MacAddress string
	// Rootless: ports below net.ipv4.ip_unprivileged_port_start fail.
	Rootless bool
	// Nets are the named networks of ModeBridge, the first one the
	// default route's, with how the container joins each; Bridges is
	// where they live.
	Nets        []*NetConfig
	Attachments []Attachment
	Bridges     Bridges
	// OwnUserNS says the container has a user namespace of its own. Its
	// private network namespace must then be made in it, by the runtime,
	// and is set up by Join once the container is created: a runtime
	// enters a container's user namespace before its other namespaces
	// (runc exec), and could not enter a network namespace of ours
	// from there.
	OwnUserNS bool
}

// Network is a container's network, set up until Stop.
type Network struct {
	// NSPath is the namespace the container joins; "host" is the host's.
	NSPath string
	// Ports are the published ports, with the host ports chosen.
	Ports []PortMapping
	// Endpoints are what the container got on its named networks.
	Endpoints []Endpoint
	stops     []func()
	// reaps wait for helpers told to end at Stop.
	reaps []func()
	// pending holds the options of a private namespace the runtime is
	// to make, until Join.
	pending *Options
}

// Stop tells the helpers to end and releases the namespace, last first;
// Wait waits for the helpers to be gone.
func (n *Network) Stop() {
	for i := len(n.stops) - 1; i >= 0; i-- {
		n.stops[i]()
	}
	n.stops = nil
}

// Wait waits for the helpers Stop ended: slirp4netns takes some 20 ms to
// notice, which a caller that has already reported the container's exit
// need not wait for.
func (n *Network) Wait() {
	for _, r := range n.reaps {
		r()
	}
	n.reaps = nil
}

func (n *Network) onStop(f func()) { n.stops = append(n.stops, f) }

func (n *Network) onReap(f func()) { n.reaps = append(n.reaps, f) }

// Path is where the namespace of container id is pinned in runDir.
func Path(runDir, id string) string { return filepath.Join(runDir, id[:16]) }

// Release removes what a container's network left when its monitor died:
// its places on named networks and the namespace pin. A pasta bound to
// it quits when it goes; slirp4netns quit already with its monitor.
func Release(b Bridges, id string) {
	b.Detach(nil, id)
	p := Path(b.RunDir, id)
	unpin(p)
	os.RemoveAll(portsDir(p))
}

// NSPath is the network namespace the container of o joins: "host" for
// the host's, "" for one its runtime makes (OwnUserNS), else a path.
// Start sets up what it names.
func (o Options) NSPath() string {
	switch {
	case o.Mode.Kind == ModeHost:
		return "host"
	case o.Mode.Kind == ModeContainer || o.Mode.Kind == ModeNS:
		return o.JoinPath
	case o.OwnUserNS:
		return ""
	}
	return Path(o.RunDir, o.ID)
}

// Mounts bind the files Start writes in o.Dir over the container's
// /etc/hosts, resolv.conf and hostname.
func (o Options) Mounts() []specs.Mount {
	var out []specs.Mount
	for _, name := range Files(o.NoHosts, o.NoHostname) {
		out = append(out, specs.Mount{
			Destination: "/etc/" + name, Type: "bind", Source: filepath.Join(o.Dir, name),
			Options: []string{"rbind", "rprivate", "rw"},
		})
	}
	return out
}

// Start sets up the network of o.Mode: the namespace (pinned, for the
// modes that have their own), its helper and published ports, and the
// files. With OwnUserNS, a namespace of its own is the runtime's to make:
// Start writes the files only, and Join does the rest. On error nothing
// is left.
func Start(o Options) (_ *Network, err error) {
	n := &Network{}
	defer func() {
		if err != nil {
			n.Stop()
		}
	}()
	// Written first: joining a named network lists the container's
	// peers in its hosts file.
	if err := writeFiles(o); err != nil {
		return nil, err
	}
	switch o.Mode.Kind {
	case ModeHost:
		n.NSPath = "host"
		if len(o.Ports) > 0 {
			return nil, fmt.Errorf("%w: -p does not apply with --network host: the container's ports are the host's", ErrInvalidPort)
		}
	case ModeContainer, ModeNS:
		n.NSPath = o.JoinPath
		if len(o.Ports) > 0 {
			return nil, fmt.Errorf("%w: -p does not apply with --network %s: publish on the container that owns the namespace", ErrInvalidPort, o.Mode.Kind)
		}
	default:
		if o.OwnUserNS {
			// NSPath "": the runtime makes it; see Join.
			n.pending = &o
			return n, nil
		}
		if err := n.private(o, pin); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Pending tells whether the container's network namespace is still to be
// made by the runtime and handed to Join.
func (n *Network) Pending() bool { return n.pending != nil }

// Join sets up a pending network in the network namespace of process
// pid, a container the runtime has created and not yet started. On error
// the caller stops the network.
func (n *Network) Join(pid int) error {
	if n.pending == nil {
		return nil
	}
	o := *n.pending
	n.pending = nil
	return n.private(o, func(path string) error { return pinFrom(path, pid) })
}

// private pins the container's own namespace at its place with pinAt,
// and starts its helper and published ports.
func (n *Network) private(o Options, pinAt func(path string) error) error {
	if err := os.MkdirAll(o.RunDir, 0o700); err != nil {
		return err
	}
	n.NSPath = Path(o.RunDir, o.ID)
	if err := pinAt(n.NSPath); err != nil {
		return fmt.Errorf("create the network namespace: %w", err)
	}
	n.onStop(func() { unpin(n.NSPath) })
	switch o.Mode.Kind {
	case ModeSlirp:
		return n.startSlirp(o)
	case ModePasta:
		return n.startPasta(o)
	case ModeBridge:
		return n.startBridge(o)
	case ModeNone:
		if len(o.Ports) > 0 {
			return fmt.Errorf("%w: -p does not apply with --network none", ErrInvalidPort)
		}
	}
	return nil
}

// startBridge puts the container on its named networks and publishes
// its ports at its address on the first.
func (n *Network) startBridge(o Options) error {
	release, err := o.Bridges.Acquire()
	if err != nil {
		return err
	}
	n.onStop(release)
	n.onStop(func() {
		gone, _ := o.Bridges.detach(nil, o.ID)
		n.onReap(func() {
			for _, m := range gone {
				o.Bridges.unplug(m)
			}
		})
	})
	hosts := ""
	if !o.NoHosts {
		hosts = filepath.Join(o.Dir, "hosts")
	}
	for i, c := range o.Nets {
		mac := o.Attachments[i].MAC
		if i == 0 && o.MacAddress != "" {
			mac = o.MacAddress
		}
		ep, err := o.Bridges.Attach(c, o.Attachments[i], Joiner{
			ID: o.ID, Name: o.Name, Hostname: o.Hostname, Hosts: hosts, Pin: n.NSPath, MAC: mac, Primary: i == 0,
		})
		if err != nil {
			return err
		}
		n.Endpoints = append(n.Endpoints, ep)
	}
	if len(n.Endpoints) == 0 {
		return nil
	}
	return n.forward(o, o.Bridges.infraPath(), n.Endpoints[0].IP)
}

// Files are the files of /etc that a container's network binds over the
// image's, from its directory: hosts (unless noHosts), resolv.conf and
// hostname (unless noHostname).
func Files(noHosts, noHostname bool) []string {
	var out []string
	if !noHosts {
		out = append(out, "hosts")
	}
	out = append(out, "resolv.conf")
	if !noHostname {
		out = append(out, "hostname")
	}
	return out
}

// writeFiles makes the container's /etc/hosts, resolv.conf and hostname.
func writeFiles(o Options) error {
	files := map[string][]byte{"hostname": []byte(o.Hostname + "\n")}
	switch o.Mode.Kind {
	case ModeContainer:
		// The namespace's owner's files, as they are.
		files["hosts"], files["resolv.conf"] = hostsFile(o), resolvFile(o)
		for _, f := range []string{"hosts", "resolv.conf"} {
			// An owner run with --no-hosts has none: ours is made.
			if data, err := os.ReadFile(filepath.Join(o.JoinDir, f)); err == nil {
				files[f] = data
			}
		}
	default:
		files["hosts"] = hostsFile(o)
		files["resolv.conf"] = resolvFile(o)
	}
	for _, m := range o.Mounts() {
		if err := os.WriteFile(m.Source, files[path.Base(m.Destination)], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", m.Source, err)
		}
	}
	return nil
}

// hostsFile is /etc/hosts: localhost, the container's own names,
// host.containers.internal and the --add-host entries.
func hostsFile(o Options) []byte {
	var b bytes.Buffer
	if o.Mode.Kind == ModeHost {
		if h, err := os.ReadFile("/etc/hosts"); err == nil {
			b.Write(bytes.TrimRight(h, "\n"))
			b.WriteByte('\n')
		}
	} else if o.HostsBase != nil {
		if len(o.HostsBase) > 0 {
			b.Write(bytes.TrimRight(o.HostsBase, "\n"))
			b.WriteByte('\n')
		}
	} else {
		b.WriteString("127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n")
	}
	names := o.Hostname
	if o.Name != "" && o.Name != o.Hostname {
		names += " " + o.Name
	}
	switch o.Mode.Kind {
	case ModeSlirp:
		fmt.Fprintf(&b, "%s\t%s\n", guestAddr(o.Mode), names)
		fmt.Fprintf(&b, "%s\thost.containers.internal host.docker.internal\n", gatewayAddr(o.Mode))
	case ModePasta:
		// The namespace has the host's address; the host is reached
		// at it too (there is no gateway mapping).
		if ip := hostAddr(); ip != "" {
			fmt.Fprintf(&b, "%s\t%s\n", ip, names)
			fmt.Fprintf(&b, "%s\thost.containers.internal host.docker.internal\n", ip)
		}
	case ModeHost:
		b.WriteString("127.0.0.1\thost.containers.internal host.docker.internal\n")
	case ModeBridge:
		// Its own names come with its address, as its peers' do, once
		// it is on its networks.
		if ip := hostAddr(); ip != "" {
			fmt.Fprintf(&b, "%s\thost.containers.internal host.docker.internal\n", ip)
		}
	default:
		fmt.Fprintf(&b, "127.0.1.1\t%s\n", names)
	}
	for _, h := range o.AddHosts {
		name, ip, _ := strings.Cut(h, ":")
		if ip == "host-gateway" {
			ip = hostGatewayAddr(o.Mode)
		}
		fmt.Fprintf(&b, "%s\t%s\n", ip, name)
	}
	return b.Bytes()
}

// resolvFile is /etc/resolv.conf: --dns, or the host's resolvers that
// the container can reach; where the host only has loopback ones, the
// helper's forwarder.
func resolvFile(o Options) []byte {
	servers, search, options := hostResolv()
	if o.Mode.Kind != ModeHost && o.Mode.Kind != ModeNone {
		servers = nonLoopback(servers)
		if o.Mode.Kind == ModeSlirp && o.Mode.Option("enable_ipv6", "false") != "true" {
			servers = slices.DeleteFunc(servers, func(s string) bool { return strings.Contains(s, ":") })
		}
		if len(servers) == 0 {
			switch o.Mode.Kind {
			case ModeSlirp:
				servers = []string{dnsAddr(o.Mode)}
			case ModePasta:
				servers = []string{pastaDNS}
			case ModeBridge:
				if o.Rootless {
					// Reached through the infra namespace's slirp4netns.
					servers = []string{SlirpDNS}
				}
			}
		}
	}
	if len(o.DNS) > 0 {
		servers = o.DNS
	}
	if len(o.DNSSearch) > 0 {
		search = o.DNSSearch
		if len(search) == 1 && search[0] == "." {
			search = nil
		}
	}
	if len(o.DNSOptions) > 0 {
		options = o.DNSOptions
	}
	var b bytes.Buffer
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(options, " "))
	}
	return b.Bytes()
}

// hostResolv reads the host's resolv.conf; where it names only a
// loopback resolver (systemd-resolved's stub), the upstream servers
// systemd-resolved lists, as Docker does.
func hostResolv() (servers, search, options []string) {
	servers, search, options = readResolv("/etc/resolv.conf")
	if len(nonLoopback(servers)) == 0 {
		if up, upSearch, _ := readResolv("/run/systemd/resolve/resolv.conf"); len(nonLoopback(up)) > 0 {
			servers = up
			if search == nil {
				search = upSearch
			}
		}
	}
	return servers, search, options
}

// reachableServers are the host's resolvers a container can reach.
func reachableServers() []string {
	s, _, _ := hostResolv()
	return nonLoopback(s)
}

func nonLoopback(servers []string) []string {
	var out []string
	for _, s := range servers {
		if ip := net.ParseIP(s); ip != nil && !ip.IsLoopback() {
			out = append(out, s)
		}
	}
	return out
}

func readResolv(path string) (servers, search, options []string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "nameserver":
			servers = append(servers, fields[1])
		case "search", "domain":
			search = fields[1:]
		case "options":
			options = append(options, fields[1:]...)
		}
	}
	return servers, search, options
}

// hostGatewayAddr is where the host is, seen from a container of mode m:
// --add-host NAME:host-gateway.
func hostGatewayAddr(m Mode) string {
	switch m.Kind {
	case ModeSlirp:
		return gatewayAddr(m)
	case ModePasta, ModeBridge:
		if ip := hostAddr(); ip != "" {
			return ip
		}
	}
	return "127.0.0.1"
}

// ValidateHost checks an --add-host HOST:IP value.
func ValidateHost(h string) error {
	name, ip, ok := strings.Cut(h, ":")
	if !ok || name == "" || (net.ParseIP(ip) == nil && ip != "host-gateway") {
		return fmt.Errorf("--add-host %q: want HOST:IP", h)
	}
	return nil
}

// hostAddr is the host's first global unicast IPv4 address, which pasta
// gives the namespace too.
func hostAddr() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && ipn.IP.IsGlobalUnicast() {
			return ipn.IP.String()
		}
	}
	return ""
}

// errNoHelper is wrapped when slirp4netns or pasta is missing.
var errNoHelper = errors.New("not installed")

// Helper returns the path and version (first line of --version) of a
// network helper, slirp4netns or pasta; empty when it is not installed.
func Helper(ctx context.Context, name string) (path, version string) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", ""
	}
	out, _ := exec.CommandContext(ctx, path, "--version").Output()
	version, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	return path, version
}

// Addresses returns a container's address and gateway in mode m, as
// inspect shows them ("" where the mode has none of its own).
func Addresses(m Mode) (ip, gateway string) {
	switch m.Kind {
	case ModeSlirp:
		return guestAddr(m), gatewayAddr(m)
	case ModePasta:
		return hostAddr(), ""
	}
	return "", ""
}
