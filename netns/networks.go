package netns

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
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
}

// Subnet is a network's address range and its gateway, the bridge's
// own address.
type Subnet struct {
	Subnet  string `json:"subnet"`
	Gateway string `json:"gateway"`
}

// Default returns the record of DefaultNetwork, which is built in.
func Default() *NetConfig {
	sum := sha256.Sum256([]byte(DefaultNetwork))
	_, n, _ := net.ParseCIDR(defaultSubnet)
	return &NetConfig{
		Name: DefaultNetwork, ID: hex.EncodeToString(sum[:]), Driver: "bridge",
		NetworkInterface: DefaultNetwork + "0",
		Subnets:          []Subnet{{Subnet: defaultSubnet, Gateway: hostIn(n, 1).String()}},
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
	Name, Subnet, Gateway string
	Internal              bool
	Labels                map[string]string
	// InterfaceName names the bridge ("": scowN); DNS are the servers
	// the network's containers resolve with unless they name their own.
	InterfaceName string
	DNS           []string
}

// ifaceName is what a Linux interface may be called.
var ifaceName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,15}$`)

// NewNetConfig makes the record of a new network. others are the
// networks there are; taken are address ranges to keep clear of when
// picking a subnet (the host's, slirp4netns's).
func NewNetConfig(o CreateOptions, id string, others []*NetConfig, taken []*net.IPNet) (*NetConfig, error) {
	if err := ValidNetworkName(o.Name); err != nil {
		return nil, err
	}
	var subnet *net.IPNet
	if o.Subnet != "" {
		ip, n, err := net.ParseCIDR(o.Subnet)
		if err != nil || ip.To4() == nil {
			return nil, fmt.Errorf("%w: --subnet %q: give an IPv4 range such as 10.91.7.0/24", ErrNetworkInvalid, o.Subnet)
		}
		if ones, _ := n.Mask.Size(); ones > 30 {
			return nil, fmt.Errorf("%w: --subnet %s: too small for containers: use /30 or larger", ErrNetworkInvalid, o.Subnet)
		}
		for _, other := range others {
			for _, s := range other.Subnets {
				if _, on, err := net.ParseCIDR(s.Subnet); err == nil && overlaps(n, on) {
					return nil, fmt.Errorf("%w: --subnet %s overlaps network %s's %s", ErrNetworkInvalid, n, other.Name, s.Subnet)
				}
			}
		}
		for _, t := range taken {
			if overlaps(n, t) {
				return nil, fmt.Errorf("%w: --subnet %s overlaps %s, a range of the host's or slirp4netns's: choose another", ErrNetworkInvalid, n, t)
			}
		}
		subnet = n
	} else {
		if o.Gateway != "" {
			return nil, fmt.Errorf("%w: --gateway needs --subnet", ErrNetworkInvalid)
		}
		n, err := pickSubnet(others, taken)
		if err != nil {
			return nil, err
		}
		subnet = n
	}
	gw := hostIn(subnet, 1)
	if o.Gateway != "" {
		gw = net.ParseIP(o.Gateway).To4()
		if gw == nil || !usable(subnet, gw) {
			return nil, fmt.Errorf("%w: --gateway %q: give an address of %s other than its first and last", ErrNetworkInvalid, o.Gateway, subnet)
		}
	}
	used := map[string]bool{}
	for _, other := range others {
		used[other.NetworkInterface] = true
	}
	iface := o.InterfaceName
	switch {
	case iface != "" && !ifaceName.MatchString(iface):
		return nil, fmt.Errorf("%w: --interface-name %q: up to 15 letters, digits, '_', '.' or '-'", ErrNetworkInvalid, iface)
	case iface != "" && used[iface]:
		return nil, fmt.Errorf("%w: --interface-name %s is another network's bridge", ErrNetworkInvalid, iface)
	case iface != "":
		if _, err := net.InterfaceByName(iface); err == nil {
			return nil, fmt.Errorf("%w: --interface-name %s is an interface of the host already", ErrNetworkInvalid, iface)
		}
	default:
		for i := 1; ; i++ {
			if iface = DefaultNetwork + strconv.Itoa(i); !used[iface] {
				break
			}
		}
	}
	for _, d := range o.DNS {
		if net.ParseIP(d) == nil {
			return nil, fmt.Errorf("%w: --dns %q: give an IP address", ErrNetworkInvalid, d)
		}
	}
	labels := o.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return &NetConfig{
		Name: o.Name, ID: id, Driver: "bridge", NetworkInterface: iface,
		Created:  time.Now().UTC().Truncate(time.Second),
		Subnets:  []Subnet{{Subnet: subnet.String(), Gateway: gw.String()}},
		Internal: o.Internal, Labels: labels, NetworkDNSServers: o.DNS,
		IPAMOptions: map[string]string{"driver": "host-local"},
	}, nil
}

// pickSubnet finds the first 10.91.N.0/24 (then 10.92…) that no network
// and no taken range overlaps.
func pickSubnet(others []*NetConfig, taken []*net.IPNet) (*net.IPNet, error) {
	var used []*net.IPNet
	for _, other := range others {
		for _, s := range other.Subnets {
			if _, n, err := net.ParseCIDR(s.Subnet); err == nil {
				used = append(used, n)
			}
		}
	}
	used = append(used, taken...)
	for b := 91; b < 100; b++ {
		for c := 0; c < 256; c++ {
			n := &net.IPNet{IP: net.IPv4(10, byte(b), byte(c), 0).To4(), Mask: net.CIDRMask(24, 32)}
			if !slices.ContainsFunc(used, func(u *net.IPNet) bool { return overlaps(n, u) }) {
				return n, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: no free subnet in 10.91.0.0-10.99.255.0: give one with --subnet", ErrNetworkInvalid)
}

func overlaps(a, b *net.IPNet) bool { return a.Contains(b.IP) || b.Contains(a.IP) }

// hostIn is address i of subnet n.
func hostIn(n *net.IPNet, i uint32) net.IP {
	base := n.IP.To4()
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	v += i
	return net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)).To4()
}

// usable tells whether ip is a host address of n: not its network or
// broadcast address.
func usable(n *net.IPNet, ip net.IP) bool {
	ip = ip.To4()
	if ip == nil || !n.Contains(ip) {
		return false
	}
	ones, bits := n.Mask.Size()
	size := uint32(1) << (bits - ones)
	off := ipOffset(n, ip)
	return off != 0 && off != size-1
}

func ipOffset(n *net.IPNet, ip net.IP) uint32 {
	a, b := n.IP.To4(), ip.To4()
	return (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) -
		(uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]))
}

// subnet returns the network's first range, its gateway and prefix
// length.
func (c *NetConfig) subnet() (*net.IPNet, net.IP, error) {
	if len(c.Subnets) == 0 {
		return nil, nil, fmt.Errorf("network %s has no subnet", c.Name)
	}
	_, n, err := net.ParseCIDR(c.Subnets[0].Subnet)
	if err != nil {
		return nil, nil, fmt.Errorf("network %s: %w", c.Name, err)
	}
	gw := net.ParseIP(c.Subnets[0].Gateway).To4()
	if gw == nil {
		return nil, nil, fmt.Errorf("network %s: bad gateway %q", c.Name, c.Subnets[0].Gateway)
	}
	return n, gw, nil
}

// CheckIP checks a --ip address against the network's subnet.
func (c *NetConfig) CheckIP(ip string) error {
	n, gw, err := c.subnet()
	if err != nil {
		return err
	}
	addr := net.ParseIP(ip).To4()
	if addr == nil || !usable(n, addr) || addr.Equal(gw) {
		return fmt.Errorf("%w: --ip %q: give a free address of network %s's %s, not its gateway %s", ErrNetworkInvalid, ip, c.Name, n, gw)
	}
	return nil
}

// Attachment is a container's place on a named network.
type Attachment struct {
	Network string   `json:"network"`
	Aliases []string `json:"aliases,omitempty"`
	// IP is the --ip address asked for; empty takes the next free one.
	IP string `json:"ip,omitempty"`
	// MAC is the address asked for by network connect --mac-address;
	// empty follows from the IP.
	MAC string `json:"mac,omitempty"`
}

// HostRanges are the ranges of the host's own interfaces, which a new
// network's subnet keeps clear of.
func HostRanges() []*net.IPNet {
	var out []*net.IPNet
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() {
			_, n, _ := net.ParseCIDR(ipn.String())
			out = append(out, n)
		}
	}
	if _, slirp, err := net.ParseCIDR(SlirpGateway + "/24"); err == nil {
		out = append(out, slirp)
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
	return false, fmt.Errorf("%w: filter %q: use name=, id=, driver= or label=", ErrNetworkInvalid, key)
}
