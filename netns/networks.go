package netns

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Named network errors.
var (
	ErrNetworkUnknown = errors.New("no such network")
	ErrNetworkExists  = errors.New("network already exists")
	ErrNetworkInvalid = errors.New("invalid network")
)

// DefaultNetwork is the bridge network root's containers join unless
// --network says otherwise; "bridge" names it too, as in Docker.
const DefaultNetwork = "scow"

// defaultSubnet is DefaultNetwork's. Podman's default network has
// 10.88.0.0/16 and its new ones 10.89.N.0/24: scow keeps clear of both,
// so that the two engines can run side by side.
const defaultSubnet = "10.90.0.0/16"

// NetConfig is a named network's record; the JSON names are those of
// podman network inspect.
type NetConfig struct {
	Name             string    `json:"name"`
	ID               string    `json:"id"`
	Driver           string    `json:"driver"`
	NetworkInterface string    `json:"network_interface"`
	Created          time.Time `json:"created"`
	Subnets          []Subnet  `json:"subnets"`
	IPv6Enabled      bool      `json:"ipv6_enabled"`
	Internal         bool      `json:"internal"`
	// DNSEnabled is false: names reach containers through the /etc/hosts
	// scow keeps, not through a DNS server.
	DNSEnabled  bool              `json:"dns_enabled"`
	Labels      map[string]string `json:"labels,omitempty"`
	IPAMOptions map[string]string `json:"ipam_options"`
	// NetworkDNSServers are the servers its containers resolve with
	// unless they give --dns.
	NetworkDNSServers []string `json:"network_dns_servers,omitempty"`
	// Routes are added in every container of the network.
	Routes []Route `json:"routes,omitempty"`
}

// Subnet is a network's address range and its gateway, the bridge's
// own address.
type Subnet struct {
	Subnet     string      `json:"subnet"`
	Gateway    string      `json:"gateway"`
	LeaseRange *LeaseRange `json:"lease_range,omitempty"`
}

// Default returns the record of DefaultNetwork, which is built in.
func Default() *NetConfig {
	sum := sha256.Sum256([]byte(DefaultNetwork))
	gw, _ := hostRange(netip.MustParsePrefix(defaultSubnet))
	return &NetConfig{
		Name: DefaultNetwork, ID: hex.EncodeToString(sum[:]), Driver: "bridge",
		NetworkInterface: DefaultNetwork + "0",
		Subnets:          []Subnet{{Subnet: defaultSubnet, Gateway: gw.String()}},
		IPAMOptions:      map[string]string{"driver": "host-local"},
	}
}

var networkName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// reservedNames are --network values with a meaning of their own.
var reservedNames = []string{"bridge", DefaultNetwork, "private", ModeNone, ModeHost, ModeSlirp, ModePasta, ModeContainer, ModeNS, "default"}

// ValidNetworkName checks a name for network create.
func ValidNetworkName(name string) error {
	if !networkName.MatchString(name) || len(name) > 200 {
		return fmt.Errorf("%w name %q: use letters, digits, '_', '.' and '-', starting with a letter or digit", ErrNetworkInvalid, name)
	}
	if slices.Contains(reservedNames, name) {
		return fmt.Errorf("%w name %q: it is a --network mode of its own: choose another", ErrNetworkInvalid, name)
	}
	return nil
}

// CreateOptions are network create's.
type CreateOptions struct {
	Name string
	// Subnets, Gateways and IPRanges go together in order: at most one
	// subnet per IP family, the i-th gateway and lease range the i-th
	// subnet's. IPv6 adds an IPv6 subnet when none is given.
	Subnets, Gateways, IPRanges []string
	IPv6                        bool
	Internal                    bool
	Labels                      map[string]string
	// InterfaceName names the bridge ("": scowN); DNS are the servers
	// the network's containers resolve with unless they name their own;
	// Routes are --route DESTINATION,GATEWAY[,METRIC] values.
	InterfaceName string
	DNS           []string
	Routes        []string
}

// ifaceName is what a Linux interface may be called.
var ifaceName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,15}$`)

// NewNetConfig makes the record of a new network. others are the
// networks there are; taken are address ranges to keep clear of when
// picking a subnet (the host's, slirp4netns's). A network always has an
// IPv4 subnet, picked when only an IPv6 one is given.
func NewNetConfig(o CreateOptions, id string, others []*NetConfig, taken []*net.IPNet) (*NetConfig, error) {
	if err := ValidNetworkName(o.Name); err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) (*NetConfig, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrNetworkInvalid}, a...)...)
	}
	if len(o.Gateways) > len(o.Subnets) {
		return bad("--gateway needs a --subnet of its own")
	}
	if len(o.IPRanges) > len(o.Subnets) {
		return bad("--ip-range needs a --subnet of its own")
	}
	used := slices.Clone(taken)
	for _, other := range others {
		for _, s := range other.Subnets {
			if _, n, err := net.ParseCIDR(s.Subnet); err == nil {
				used = append(used, n)
			}
		}
	}
	var v4, v6 *Subnet
	for i, v := range o.Subnets {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return bad("--subnet %q: give a range such as 10.91.7.0/24 or fd91:5c07::/64", v)
		}
		p = p.Masked()
		if p.Bits() > p.Addr().BitLen()-2 {
			return bad("--subnet %s: too small for containers: use /%d or larger", v, p.Addr().BitLen()-2)
		}
		for _, other := range others {
			for _, s := range other.Subnets {
				if on, err := netip.ParsePrefix(s.Subnet); err == nil && p.Overlaps(on) {
					return bad("--subnet %s overlaps network %s's %s", p, other.Name, s.Subnet)
				}
			}
		}
		for _, t := range taken {
			if p.Overlaps(prefixOf(t)) {
				return bad("--subnet %s overlaps %s, a range of the host's or slirp4netns's: choose another", p, t)
			}
		}
		first, last := hostRange(p)
		gw := first
		if i < len(o.Gateways) {
			if gw, err = netip.ParseAddr(o.Gateways[i]); err != nil || !between(gw.Unmap(), first, last) {
				return bad("--gateway %q: give an address of %s other than its first and last", o.Gateways[i], p)
			}
			gw = gw.Unmap()
		}
		sub := &Subnet{Subnet: p.String(), Gateway: gw.String()}
		if i < len(o.IPRanges) {
			if sub.LeaseRange, err = parseLeaseRange(o.IPRanges[i], p); err != nil {
				return nil, err
			}
		}
		family := &v4
		if p.Addr().Is6() {
			family = &v6
		}
		if *family != nil {
			return bad("--subnet %s: one subnet per IP family", v)
		}
		*family = sub
	}
	if v4 == nil {
		n, err := pickSubnet(used, false)
		if err != nil {
			return nil, err
		}
		gw, _ := hostRange(n)
		v4 = &Subnet{Subnet: n.String(), Gateway: gw.String()}
	}
	subnets := []Subnet{*v4}
	if v6 == nil && o.IPv6 {
		n, err := pickSubnet(used, true)
		if err != nil {
			return nil, err
		}
		gw, _ := hostRange(n)
		v6 = &Subnet{Subnet: n.String(), Gateway: gw.String()}
	}
	if v6 != nil {
		subnets = append(subnets, *v6)
	}
	var routes []Route
	for _, v := range o.Routes {
		r, err := parseRoute(v)
		if err != nil {
			return nil, err
		}
		if netip.MustParseAddr(r.Gateway).Is6() && v6 == nil {
			return bad("--route %q: an IPv6 route needs an IPv6 subnet (--ipv6)", v)
		}
		routes = append(routes, r)
	}
	usedIfaces := map[string]bool{}
	for _, other := range others {
		usedIfaces[other.NetworkInterface] = true
	}
	iface := o.InterfaceName
	switch {
	case iface != "" && !ifaceName.MatchString(iface):
		return bad("--interface-name %q: up to 15 letters, digits, '_', '.' or '-'", iface)
	case iface != "" && usedIfaces[iface]:
		return bad("--interface-name %s is another network's bridge", iface)
	case iface != "":
		if _, err := net.InterfaceByName(iface); err == nil {
			return bad("--interface-name %s is an interface of the host already", iface)
		}
	default:
		for i := 1; ; i++ {
			if iface = DefaultNetwork + strconv.Itoa(i); !usedIfaces[iface] {
				break
			}
		}
	}
	for _, d := range o.DNS {
		if net.ParseIP(d) == nil {
			return bad("--dns %q: give an IP address", d)
		}
	}
	labels := o.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return &NetConfig{
		Name: o.Name, ID: id, Driver: "bridge", NetworkInterface: iface,
		Created:  time.Now().UTC().Truncate(time.Second),
		Subnets:  subnets,
		Internal: o.Internal, Labels: labels, NetworkDNSServers: o.DNS, Routes: routes,
		IPv6Enabled: v6 != nil,
		IPAMOptions: map[string]string{"driver": "host-local"},
	}, nil
}

// pickSubnet finds the first 10.91.N.0/24 (then 10.92…), or with v6 the
// first fd91:5c07:0:N::/64, that no used range overlaps.
func pickSubnet(used []*net.IPNet, v6 bool) (netip.Prefix, error) {
	free := func(p netip.Prefix) bool {
		return !slices.ContainsFunc(used, func(u *net.IPNet) bool { return p.Overlaps(prefixOf(u)) })
	}
	if v6 {
		for n := range 1 << 16 {
			p := netip.PrefixFrom(netip.AddrFrom16([16]byte{0xfd, 0x91, 0x5c, 0x07, 0, 0, byte(n >> 8), byte(n)}), 64)
			if free(p) {
				return p, nil
			}
		}
		return netip.Prefix{}, fmt.Errorf("%w: no free subnet in fd91:5c07::/48: give one with --subnet", ErrNetworkInvalid)
	}
	for b := 91; b < 100; b++ {
		for c := range 256 {
			if p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(b), byte(c), 0}), 24); free(p) {
				return p, nil
			}
		}
	}
	return netip.Prefix{}, fmt.Errorf("%w: no free subnet in 10.91.0.0-10.99.255.0: give one with --subnet", ErrNetworkInvalid)
}

// CheckIP checks a --ip or --ip6 address against the network's subnet
// of its family and returns it in its canonical form.
func (c *NetConfig) CheckIP(flag, ip string) (string, error) {
	v4, v6, err := c.pools()
	if err != nil {
		return "", err
	}
	p := v4
	if flag == "--ip6" {
		if v6 == nil {
			return "", fmt.Errorf("%w: --ip6: network %s has no IPv6 subnet (network create --ipv6)", ErrNetworkInvalid, c.Name)
		}
		p = *v6
	}
	a, err := p.check(flag, c.Name, ip)
	if err != nil {
		return "", err
	}
	return a.String(), nil
}

// Attachment is a container's place on a named network.
type Attachment struct {
	Network string   `json:"network"`
	Aliases []string `json:"aliases,omitempty"`
	// IP and IP6 are the --ip and --ip6 addresses asked for; empty takes
	// the next free one.
	IP  string `json:"ip,omitempty"`
	IP6 string `json:"ip6,omitempty"`
	// MAC is the address asked for by network connect --mac-address;
	// empty follows from the IP.
	MAC string `json:"mac,omitempty"`
}

// HostRanges are the ranges of the host's own interfaces, which a new
// network's subnet keeps clear of, with slirp4netns's.
func HostRanges() []*net.IPNet {
	var out []*net.IPNet
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			_, n, _ := net.ParseCIDR(ipn.String())
			out = append(out, n)
		}
	}
	for _, r := range []string{SlirpGateway + "/24", slirpIPv6} {
		if _, n, err := net.ParseCIDR(r); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// Match tells whether the network matches a ls/prune filter:
// name=, id=, driver=, label=KEY[=VALUE].
func (c *NetConfig) Match(key, value string) (bool, error) {
	switch key {
	case "name":
		return strings.Contains(c.Name, value), nil
	case "id":
		return strings.HasPrefix(c.ID, value), nil
	case "driver":
		return c.Driver == value, nil
	case "label", "label!":
		k, v, hasV := strings.Cut(value, "=")
		have, ok := c.Labels[k]
		return (ok && (!hasV || have == v)) == (key == "label"), nil
	}
	return false, fmt.Errorf("%w: filter %q: use name=, id=, driver=, label=, dangling= or until=", ErrNetworkInvalid, key)
}
