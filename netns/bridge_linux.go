package netns

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	nsh "github.com/vishvananda/netns"
	"go.podman.io/storage/pkg/ioutils"
	"golang.org/x/sys/unix"
)

// Bridges are where named networks live: as root, Linux bridges in the
// host's namespace; rootless, bridges in the user's infra namespace
// (infra_linux.go), which slirp4netns connects to the host.
type Bridges struct {
	// RunDir holds the namespace pins, the infra's among them.
	RunDir string
	// StateDir holds one directory per bridge in use: the network's
	// record and a file per member, named by its address. Root's
	// bridges are the host's, so its StateDir is the host's too.
	StateDir string
	Rootless bool
	// SlirpPath is the slirp4netns binary of a rootless user's bridges;
	// empty finds it in PATH.
	SlirpPath string
}

// Joiner is the container Attach puts on a network.
type Joiner struct {
	ID, Name, Hostname string
	// Hosts is its hosts file, "" with --no-hosts; Pin its namespace.
	Hosts, Pin string
	// MAC is the address its interface gets; empty, one that follows
	// from its IP address.
	MAC string
	// Primary gives it its default route through the network.
	Primary bool
}

// member is a container's place on a bridge while it runs.
type member struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Hostname string   `json:"hostname,omitempty"`
	Aliases  []string `json:"aliases,omitempty"`
	IP       string   `json:"ip"`
	IP6      string   `json:"ip6,omitempty"`
	// Interface is its name in the container, Veth the bridge's end.
	Interface string `json:"interface"`
	Veth      string `json:"veth"`
	MAC       string `json:"mac"`
	// Hosts is the container's /etc/hosts, which lists its peers.
	Hosts string `json:"hosts,omitempty"`
	// Pin is the container's namespace: once it is gone, so is the
	// member, whoever failed to say so.
	Pin string `json:"pin"`
}

// Endpoint is what a container got on a network.
type Endpoint struct {
	Network, IP, Gateway, MAC, Interface string
	PrefixLen                            int
	// IP6, Gateway6 and PrefixLen6 are its IPv6 address, on a network
	// with IPv6.
	IP6, Gateway6 string
	PrefixLen6    int
}

// used tells whether a bridge was ever made here.
func (b Bridges) used() bool {
	_, err := os.Stat(b.StateDir)
	return err == nil
}

// lock takes the lock every change of bridges and members holds.
func (b Bridges) lock() (func(), error) {
	if err := os.MkdirAll(b.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", b.StateDir, err)
	}
	return flock(b.StateDir, unix.LOCK_EX)
}

// flock locks path (a file, created if missing, or a directory).
func flock(path string, how int) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		if f, err = os.Open(path); err != nil {
			return nil, err
		}
	}
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

func (b Bridges) bridgeDir(c *NetConfig) string { return filepath.Join(b.StateDir, c.NetworkInterface) }

// infraPath is the namespace the bridges are in; "" is this process's.
func (b Bridges) infraPath() string {
	if b.Rootless {
		return filepath.Join(b.RunDir, infraName)
	}
	return ""
}

// handle opens netlink in the namespace at path ("" for this one). Its
// sockets are made on a thread that enters the namespace and then ends:
// netlink's own NewHandleAt moves its thread back, which a rootless
// process may not do (it lacks CAP_SYS_ADMIN over the host's namespace),
// and a thread left behind in the namespace would take this process's
// later sockets there.
func handle(path string) (*netlink.Handle, error) {
	if path == "" {
		return netlink.NewHandle(unix.NETLINK_ROUTE)
	}
	var h *netlink.Handle
	err := inNS(path, func() (err error) {
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
		return err
	})
	return h, err
}

// members lists a bridge's members, dropping those whose namespace is
// gone; the caller holds the lock.
func members(dir string) []member {
	entries, _ := os.ReadDir(dir)
	var out []member
	for _, e := range entries {
		if net.ParseIP(e.Name()) == nil {
			continue
		}
		p := filepath.Join(dir, e.Name())
		m, err := readMember(p)
		if err == nil {
			_, err = os.Stat(m.Pin)
		}
		if err != nil {
			// A create that was cut short, or a container that is gone.
			os.Remove(p)
			continue
		}
		out = append(out, m)
	}
	return out
}

// readMember reads a member's record.
func readMember(path string) (member, error) {
	var m member
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	return m, err
}

// endpoint is what member m has on network c.
func endpoint(c *NetConfig, m member) (Endpoint, error) {
	v4, v6, err := c.pools()
	if err != nil {
		return Endpoint{}, err
	}
	e := Endpoint{Network: c.Name, IP: m.IP, Gateway: v4.gw.String(), MAC: m.MAC, Interface: m.Interface, PrefixLen: v4.prefix.Bits()}
	if v6 != nil && m.IP6 != "" {
		e.IP6, e.Gateway6, e.PrefixLen6 = m.IP6, v6.gw.String(), v6.prefix.Bits()
	}
	return e, nil
}

// Attach puts container j on network c: an address (two with IPv6), a
// veth pair from c's bridge (made if need be), and the names of all
// there, its own too, in the hosts files of all there.
func (b Bridges) Attach(c *NetConfig, a Attachment, j Joiner) (_ Endpoint, err error) {
	v4, v6, err := c.pools()
	if err != nil {
		return Endpoint{}, err
	}
	unlock, err := b.lock()
	if err != nil {
		return Endpoint{}, err
	}
	defer unlock()
	dir := b.bridgeDir(c)
	if err := b.ensureBridge(c, dir); err != nil {
		return Endpoint{}, fmt.Errorf("network %s: %w", c.Name, err)
	}
	peers := members(dir)
	used, used6 := map[netip.Addr]string{}, map[netip.Addr]string{}
	for _, p := range peers {
		if p.ID == j.ID {
			return Endpoint{}, fmt.Errorf("%w: container %s is already on network %s", ErrNetworkExists, j.Name, c.Name)
		}
		if ip, err := netip.ParseAddr(p.IP); err == nil {
			used[ip] = p.Name
		}
		if ip, err := netip.ParseAddr(p.IP6); err == nil {
			used6[ip] = p.Name
		}
	}
	// Each family's last address given: the next pick starts after it.
	pick := func(p pool, last, flag, want string, used map[netip.Addr]string) (string, error) {
		prev, _ := os.ReadFile(filepath.Join(dir, last))
		prevIP, _ := netip.ParseAddr(string(prev))
		ip, err := p.pick(flag, c.Name, want, used, prevIP)
		if err != nil {
			return "", err
		}
		os.WriteFile(filepath.Join(dir, last), []byte(ip.String()), 0o600)
		return ip.String(), nil
	}
	m := member{ID: j.ID, Name: j.Name, Hostname: j.Hostname, Aliases: a.Aliases, Hosts: j.Hosts, Pin: j.Pin, Veth: "veth" + randomHex(5)}
	if m.IP, err = pick(v4, "last", "--ip", a.IP, used); err != nil {
		return Endpoint{}, err
	}
	if v6 != nil {
		if m.IP6, err = pick(*v6, "last6", "--ip6", a.IP6, used6); err != nil {
			return Endpoint{}, err
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, m.IP), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Endpoint{}, fmt.Errorf("reserve %s on network %s: %w", m.IP, c.Name, err)
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if m.Interface, m.MAC, err = b.plug(c, v4, v6, m, j.MAC, j.Primary); err != nil {
		f.Close()
		return Endpoint{}, fmt.Errorf("connect to network %s: %w", c.Name, err)
	}
	data, _ := json.Marshal(m)
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.unplug(m)
		return Endpoint{}, fmt.Errorf("record %s on network %s: %w", m.IP, c.Name, err)
	}
	syncHosts(c, append(peers, m))
	return endpoint(c, m)
}

// ensureBridge makes c's bridge, up with the gateway address, and the
// firewall rules that go with it, unless they are there.
func (b Bridges) ensureBridge(c *NetConfig, dir string) error {
	if have, err := readBridge(dir); err == nil {
		switch {
		case have.ID == c.ID && b.hasLink(c.NetworkInterface):
			if b.hasTable() {
				return nil
			}
			// A firewall reload flushed the rules: they come back.
			return b.firewall()
		case have.ID == c.ID:
			// Deleted by hand: made anew below.
		case len(members(dir)) > 0:
			return fmt.Errorf("its interface %s is in use by network %s of another scow root: stop that network's containers first", c.NetworkInterface, have.Name)
		}
		// A removed network's, or another root's that nobody is on.
		b.removeBridge(have, dir)
	}
	v4, v6, err := c.pools()
	if err != nil {
		return err
	}
	if v6 != nil {
		if err := inNSOf(b.infraPath(), func() error { return enableForwarding6(b.Rootless) }); err != nil {
			return err
		}
	}
	h, err := handle(b.infraPath())
	if err != nil {
		return err
	}
	defer h.Close()
	// A bridge without a record was left by a crash before the record
	// was written: it is made anew, with nothing of the old on it.
	if old, err := h.LinkByName(c.NetworkInterface); err == nil {
		if _, ok := old.(*netlink.Bridge); !ok {
			return fmt.Errorf("the host has an interface %s that is not scow's: remove it", c.NetworkInterface)
		}
		h.LinkDel(old)
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: c.NetworkInterface}}
	if err := h.LinkAdd(br); err != nil {
		return fmt.Errorf("create bridge %s: %w", c.NetworkInterface, err)
	}
	link, err := h.LinkByName(c.NetworkInterface)
	if err != nil {
		return err
	}
	for _, p := range []*pool{&v4, v6} {
		if p == nil {
			continue
		}
		if err := h.AddrReplace(link, poolAddr(p.gw, *p)); err != nil {
			return fmt.Errorf("address bridge %s: %w", c.NetworkInterface, err)
		}
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("bring bridge %s up: %w", c.NetworkInterface, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	data, _ := json.Marshal(c)
	if err := os.WriteFile(filepath.Join(dir, "network.json"), data, 0o600); err != nil {
		return err
	}
	if err := b.firewall(); err != nil {
		os.RemoveAll(dir)
		h.LinkDel(link)
		return err
	}
	return nil
}

// hasLink tells whether the bridges' namespace has an interface name.
func (b Bridges) hasLink(name string) bool {
	h, err := handle(b.infraPath())
	if err != nil {
		return false
	}
	defer h.Close()
	_, err = h.LinkByName(name)
	return err == nil
}

// hasTable tells whether scow's nftables table is in the bridges'
// namespace: one netlink query, where running nft takes 5 to 20 ms.
func (b Bridges) hasTable() bool {
	query := func() error {
		req := nl.NewNetlinkRequest(unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_GETTABLE, unix.NLM_F_ACK)
		req.AddData(&nl.Nfgenmsg{NfgenFamily: unix.NFPROTO_INET})
		req.AddData(nl.NewRtAttr(unix.NFTA_TABLE_NAME, nl.ZeroTerminated("scow")))
		_, err := req.Execute(unix.NETLINK_NETFILTER, 0)
		return err
	}
	if p := b.infraPath(); p != "" {
		return inNS(p, query) == nil
	}
	return query() == nil
}

// plug makes the veth pair between c's bridge and the container's
// namespace, with the container's end addressed and up.
func (b Bridges) plug(c *NetConfig, v4 pool, v6 *pool, m member, mac string, primary bool) (iface, hwaddr string, err error) {
	h, err := handle(b.infraPath())
	if err != nil {
		return "", "", err
	}
	defer h.Close()
	ch, err := handle(m.Pin)
	if err != nil {
		return "", "", err
	}
	defer ch.Close()
	br, err := h.LinkByName(c.NetworkInterface)
	if err != nil {
		return "", "", fmt.Errorf("find bridge %s: %w", c.NetworkInterface, err)
	}
	for i := 0; ; i++ {
		iface = fmt.Sprintf("eth%d", i)
		if _, err := ch.LinkByName(iface); err != nil {
			break
		}
	}
	// Without --mac-address, the MAC follows from the address, as
	// Docker's does: a reused address keeps its MAC, so the neighbour
	// caches of the bridge and the peers stay right.
	hw, err := net.ParseMAC(mac)
	if mac == "" || err != nil {
		hw = append(net.HardwareAddr{0x02, 0x42}, net.ParseIP(m.IP).To4()...)
	}
	ns, err := nsh.GetFromPath(m.Pin)
	if err != nil {
		return "", "", err
	}
	defer ns.Close()
	veth := &netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: m.Veth, MasterIndex: br.Attrs().Index},
		PeerName:  iface, PeerNamespace: netlink.NsFd(int(ns)), PeerHardwareAddr: hw,
	}
	if err := h.LinkAdd(veth); err != nil {
		return "", "", fmt.Errorf("create veth %s: %w", m.Veth, err)
	}
	fail := func(err error) (string, string, error) {
		if l, lerr := h.LinkByName(m.Veth); lerr == nil {
			h.LinkDel(l)
		}
		return "", "", err
	}
	if err := h.LinkSetUp(veth); err != nil {
		return fail(err)
	}
	link, err := ch.LinkByName(iface)
	if err != nil {
		return fail(err)
	}
	addrs := []struct {
		ip string
		p  *pool
	}{{m.IP, &v4}, {m.IP6, v6}}
	for _, a := range addrs {
		if a.p == nil || a.ip == "" {
			continue
		}
		if err := ch.AddrAdd(link, poolAddr(netip.MustParseAddr(a.ip), *a.p)); err != nil {
			return fail(fmt.Errorf("address %s: %w", iface, err))
		}
	}
	if err := ch.LinkSetUp(link); err != nil {
		return fail(err)
	}
	var routes []*netlink.Route
	if primary && !c.Internal {
		for _, a := range addrs {
			if a.p != nil && a.ip != "" {
				routes = append(routes, &netlink.Route{LinkIndex: link.Attrs().Index, Gw: a.p.gw.AsSlice()})
			}
		}
	}
	for _, r := range c.Routes {
		_, dst, _ := net.ParseCIDR(r.Destination)
		routes = append(routes, &netlink.Route{LinkIndex: link.Attrs().Index, Dst: dst, Gw: net.ParseIP(r.Gateway), Priority: int(r.Metric)})
	}
	for _, r := range routes {
		if err := ch.RouteAdd(r); err != nil {
			to := "default"
			if r.Dst != nil {
				to = r.Dst.String()
			}
			return fail(fmt.Errorf("route to %s through %s: %w", to, r.Gw, err))
		}
	}
	return iface, hw.String(), nil
}

// Detach takes container id off network c, or, with c nil, off every
// network it is on: its interface goes and its name leaves its peers'
// hosts files. The bridge stays for the network's next container, until
// network rm.
func (b Bridges) Detach(c *NetConfig, id string) error {
	gone, err := b.detach(c, id)
	for _, m := range gone {
		b.unplug(m)
	}
	return err
}

// detach does Detach's work but for the veths, which it returns: a
// monitor deletes them once it has reported the exit. It waits for the
// kernel, and a container joined to this one's namespace would keep
// them, and its address, alive.
func (b Bridges) detach(c *NetConfig, id string) (gone []member, err error) {
	if !b.used() {
		return nil, nil
	}
	unlock, err := b.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	found := false
	for _, br := range b.bridges() {
		dir, nc := br.dir, br.net
		if c != nil && nc.ID != c.ID {
			continue
		}
		all := members(dir)
		rest := slices.DeleteFunc(slices.Clone(all), func(m member) bool { return m.ID == id })
		for _, m := range all {
			if m.ID != id {
				continue
			}
			found = true
			os.Remove(filepath.Join(dir, m.IP))
			gone = append(gone, m)
			if m.Hosts != "" {
				rewriteHosts(m.Hosts, hostsTag(nc), nil)
			}
		}
		syncHosts(nc, rest)
	}
	if c != nil && !found {
		return nil, fmt.Errorf("%w: the container is not on network %s", ErrNetworkUnknown, c.Name)
	}
	return gone, nil
}

// Rename gives container id's members a new name, in their records and
// in the hosts files of all on their networks.
func (b Bridges) Rename(id, name string) error {
	if !b.used() {
		return nil
	}
	unlock, err := b.lock()
	if err != nil {
		return err
	}
	defer unlock()
	for _, br := range b.bridges() {
		dir, nc := br.dir, br.net
		all := members(dir)
		i := slices.IndexFunc(all, func(m member) bool { return m.ID == id })
		if i < 0 {
			continue
		}
		all[i].Name = name
		// Replaced whole: a torn record would pass for a stale one and
		// free an address still in use.
		data, _ := json.Marshal(all[i])
		if err := ioutils.AtomicWriteFileWithOpts(filepath.Join(dir, all[i].IP), data, 0o600, &ioutils.AtomicFileWriterOptions{NoSync: true}); err != nil {
			return err
		}
		syncHosts(nc, all)
	}
	return nil
}

// Remove takes down network c's bridge and its rules, for network rm.
// Rootless, with the infra namespace down, there is nothing to take.
func (b Bridges) Remove(c *NetConfig) error {
	if !b.used() {
		return nil
	}
	dir := b.bridgeDir(c)
	unlock, alive, err := b.lockInfra()
	if err != nil || !alive {
		return err
	}
	defer unlock()
	if nc, err := readBridge(dir); err != nil || nc.ID != c.ID {
		// Another root's network of the same interface, or a bridge
		// already gone; its rules go if a removal failed before.
		return b.firewall()
	}
	if len(members(dir)) > 0 {
		return fmt.Errorf("%w: network %s has containers on it", ErrNetworkExists, c.Name)
	}
	b.removeBridge(c, dir)
	return b.firewall()
}

// lockInfra takes the bridges' lock, and rootless first infra.lock, so
// that the holder cannot take the namespace down meanwhile; alive says
// whether there is a namespace, which rootless there may not be.
func (b Bridges) lockInfra() (unlock func(), alive bool, err error) {
	unlockInfra := func() {}
	if b.Rootless {
		if unlockInfra, err = flock(b.infraFile(".lock"), unix.LOCK_EX); err != nil {
			return nil, false, err
		}
		// A killed holder's namespace stays pinned, bridges and all, for
		// the next holder to adopt: it is there to act on.
		var fs unix.Statfs_t
		if !b.holderAlive() && (unix.Statfs(b.infraPath(), &fs) != nil || fs.Type != unix.NSFS_MAGIC) {
			unlockInfra()
			return nil, false, nil
		}
	}
	unlockBridges, err := b.lock()
	if err != nil {
		unlockInfra()
		return nil, false, err
	}
	return func() { unlockBridges(); unlockInfra() }, true, nil
}

// Reload writes the rules of every bridge again, after a firewall reload
// flushed them.
func (b Bridges) Reload() error {
	if !b.used() {
		return nil
	}
	unlock, alive, err := b.lockInfra()
	if err != nil || !alive {
		return err
	}
	defer unlock()
	return b.firewall()
}

// inUse is a bridge of StateDir: its directory and its network.
type inUse struct {
	dir string
	net *NetConfig
}

// bridges lists the bridges in StateDir that have a readable record.
func (b Bridges) bridges() []inUse {
	entries, _ := os.ReadDir(b.StateDir)
	var out []inUse
	for _, e := range entries {
		dir := filepath.Join(b.StateDir, e.Name())
		if c, err := readBridge(dir); err == nil {
			out = append(out, inUse{dir, c})
		}
	}
	return out
}

// readBridge reads the record of the network whose bridge dir is about.
func readBridge(dir string) (*NetConfig, error) {
	var c NetConfig
	data, err := os.ReadFile(filepath.Join(dir, "network.json"))
	if err == nil {
		err = json.Unmarshal(data, &c)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// unplug removes a member's veth pair, if its namespace still has it.
func (b Bridges) unplug(m member) {
	h, err := handle(b.infraPath())
	if err != nil {
		return
	}
	defer h.Close()
	if l, err := h.LinkByName(m.Veth); err == nil {
		h.LinkDel(l)
	}
}

// removeBridge deletes a bridge nobody is on.
func (b Bridges) removeBridge(c *NetConfig, dir string) {
	if h, err := handle(b.infraPath()); err == nil {
		if l, err := h.LinkByName(c.NetworkInterface); err == nil {
			h.LinkDel(l)
		}
		h.Close()
	}
	os.RemoveAll(dir)
}

// Endpoints lists what container id has on the networks it is on now.
func (b Bridges) Endpoints(id string) map[string]Endpoint {
	out := map[string]Endpoint{}
	for _, br := range b.bridges() {
		files, _ := os.ReadDir(br.dir)
		for _, f := range files {
			if m, err := readMember(filepath.Join(br.dir, f.Name())); err == nil && m.ID == id {
				if ep, err := endpoint(br.net, m); err == nil {
					out[br.net.Name] = ep
				}
			}
		}
	}
	return out
}

// hostsTag ends the hosts lines scow keeps for network c.
func hostsTag(c *NetConfig) string { return "# scow network " + c.Name }

// syncHosts writes, into each member's hosts file, every member's names
// at its address: name, aliases, hostname and short ID.
func syncHosts(c *NetConfig, ms []member) {
	var lines []string
	for _, p := range ms {
		names := append([]string{p.Hostname}, p.Aliases...)
		if p.Name != "" {
			names = append(names, p.Name)
		}
		if len(p.ID) >= 12 {
			names = append(names, p.ID[:12])
		}
		seen, uniq := map[string]bool{"": true}, []string{}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				uniq = append(uniq, n)
			}
		}
		for _, ip := range []string{p.IP, p.IP6} {
			if ip != "" {
				lines = append(lines, fmt.Sprintf("%s\t%s\t%s", ip, strings.Join(uniq, " "), hostsTag(c)))
			}
		}
	}
	for _, m := range ms {
		if m.Hosts != "" {
			rewriteHosts(m.Hosts, hostsTag(c), lines)
		}
	}
}

// maxHosts bounds the hosts file scow reads: the container may write it.
const maxHosts = 1 << 20

// rewriteHosts replaces the lines ending in tag with lines. The file is
// bind-mounted into a container: it is rewritten in place, not replaced,
// and cut to its new length only once that is written.
func rewriteHosts(path, tag string, lines []string) {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOFOLLOW, 0)
	if err != nil {
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxHosts+1))
	if err != nil || len(data) > maxHosts {
		return
	}
	var b bytes.Buffer
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l != "" && !strings.HasSuffix(strings.TrimRight(l, "\n"), tag) {
			b.WriteString(l)
		}
	}
	if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if _, err := f.WriteAt(b.Bytes(), 0); err == nil {
		f.Truncate(int64(b.Len()))
	}
}

// firewall writes the nftables rules of every bridge in use: masquerade
// for what leaves a network that is not internal, and a drop for what
// passes from one network to another, out of an internal one, or into
// any from outside.
func (b Bridges) firewall() error {
	var script strings.Builder
	// One inet table for both families; the ip table of older scows
	// goes too.
	script.WriteString("table ip scow\ndelete table ip scow\ntable inet scow\ndelete table inet scow\n")
	var fwd, nat []string
	for _, inuse := range b.bridges() {
		c := inuse.net
		if len(c.Subnets) == 0 {
			continue
		}
		br := c.NetworkInterface
		fwd = append(fwd, fmt.Sprintf("iifname %q oifname %q oifname != %q drop", br, DefaultNetwork+"*", br))
		if c.Internal {
			fwd = append(fwd, fmt.Sprintf("iifname %q oifname != %q drop", br, br),
				fmt.Sprintf("oifname %q iifname != %q drop", br, br))
			continue
		}
		// Nothing from outside starts a connection to a container:
		// published ports arrive through the port forwarder, from the
		// host itself.
		fwd = append(fwd, fmt.Sprintf("iifname %q accept", br),
			fmt.Sprintf("oifname %q ct state related,established accept", br),
			fmt.Sprintf("oifname %q iifname != %q drop", br, br))
		for _, s := range c.Subnets {
			family := "ip"
			if strings.Contains(s.Subnet, ":") {
				family = "ip6"
			}
			nat = append(nat, fmt.Sprintf("%s saddr %s oifname != %q masquerade", family, s.Subnet, br))
		}
	}
	if len(fwd) > 0 {
		fmt.Fprintf(&script, "table inet scow {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\t%s\n\t}\n", strings.Join(fwd, "\n\t\t"))
		fmt.Fprintf(&script, "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\t%s\n\t}\n}\n", strings.Join(nat, "\n\t\t"))
	}
	return runIn(b.infraPath(), script.String(), "nft", "-f", "-")
}

// runIn runs a command with stdin in the namespace at path ("" for this
// one): started from a thread that has entered it, the child is born
// there.
func runIn(path, stdin, name string, args ...string) error {
	bin, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s is %w: install it (hack/install-deps.sh)", name, errNoHelper)
	}
	run := func() error {
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %s", name, firstLine(string(out), err))
		}
		return nil
	}
	return inNSOf(path, run)
}

// poolAddr is address a of pool p's subnet, as an interface has it; an
// IPv6 one skips duplicate address detection, which would keep it
// unusable for a second while scow hands out addresses itself.
func poolAddr(a netip.Addr, p pool) *netlink.Addr {
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(p.prefix.Bits(), a.BitLen())}}
	if a.Is6() {
		addr.Flags = unix.IFA_F_NODAD
	}
	return addr
}

// enableForwarding6 turns on IPv6 forwarding in this thread's namespace,
// for networks with IPv6 only: forwarding makes interfaces ignore router
// advertisements unless their accept_ra is 2, which the slirp4netns
// interface of the rootless infra gets (on the host, that stays the
// admin's).
func enableForwarding6(infra bool) error {
	if err := setSysctl("net/ipv6/conf/all/forwarding", "1", "enable IPv6 forwarding"); err != nil {
		return err
	}
	if _, err := os.Stat("/proc/sys/net/ipv6/conf/" + slirpTap); err == nil && infra {
		return setSysctl("net/ipv6/conf/"+slirpTap+"/accept_ra", "2", "accept router advertisements on "+slirpTap)
	}
	return nil
}

// enableForwarding turns on IPv4 forwarding in this thread's namespace.
func enableForwarding() error {
	return setSysctl("net/ipv4/ip_forward", "1", "enable IPv4 forwarding")
}

// setSysctl sets /proc/sys/key to value unless it is; what says what
// for an error.
func setSysctl(key, value, what string) error {
	path := "/proc/sys/" + key
	if data, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(data)) == value {
		return nil
	}
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
