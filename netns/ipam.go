package netns

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// LeaseRange is the part of a subnet whose addresses containers get
// unless they ask for one (--ip-range).
type LeaseRange struct {
	StartIP string `json:"start_ip"`
	EndIP   string `json:"end_ip"`
}

// Route is a static route a network gives all its containers (--route).
type Route struct {
	Destination string `json:"destination"`
	Gateway     string `json:"gateway"`
	Metric      uint32 `json:"metric,omitempty"`
}

// pool is what a network hands out in one of its subnets.
type pool struct {
	prefix netip.Prefix
	gw     netip.Addr
	// first and last bound what is handed out unasked: the subnet's
	// hosts, or its lease range.
	first, last netip.Addr
}

// pool reads a subnet of a network's record.
func (s Subnet) pool() (pool, error) {
	prefix, err := netip.ParsePrefix(s.Subnet)
	if err != nil {
		return pool{}, fmt.Errorf("bad subnet %q", s.Subnet)
	}
	p := pool{prefix: prefix.Masked()}
	if p.gw, err = netip.ParseAddr(s.Gateway); err != nil {
		return pool{}, fmt.Errorf("bad gateway %q", s.Gateway)
	}
	p.first, p.last = hostRange(p.prefix)
	if r := s.LeaseRange; r != nil {
		first, err1 := netip.ParseAddr(r.StartIP)
		last, err2 := netip.ParseAddr(r.EndIP)
		if err1 != nil || err2 != nil {
			return pool{}, fmt.Errorf("bad lease range %s-%s", r.StartIP, r.EndIP)
		}
		p.first, p.last = first, last
	}
	return p, nil
}

// pools are a network's IPv4 pool and, when it has IPv6, its IPv6 one.
func (c *NetConfig) pools() (v4 pool, v6 *pool, err error) {
	for _, s := range c.Subnets {
		p, err := s.pool()
		if err != nil {
			return pool{}, nil, fmt.Errorf("network %s: %w", c.Name, err)
		}
		switch {
		case p.prefix.Addr().Is4() && !v4.prefix.IsValid():
			v4 = p
		case p.prefix.Addr().Is6() && v6 == nil:
			v6 = &p
		}
	}
	if !v4.prefix.IsValid() {
		return pool{}, nil, fmt.Errorf("network %s has no IPv4 subnet", c.Name)
	}
	return v4, v6, nil
}

// hostRange is the first and the last address of p a host may have:
// IPv4 keeps the network and broadcast addresses out, IPv6 the
// subnet-router anycast address.
func hostRange(p netip.Prefix) (first, last netip.Addr) {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	last, _ = netip.AddrFromSlice(b)
	if p.Addr().Is4() {
		last = last.Prev()
	}
	return p.Addr().Next(), last
}

// between tells whether first <= a <= last.
func between(a, first, last netip.Addr) bool {
	return a.BitLen() == first.BitLen() && a.Compare(first) >= 0 && a.Compare(last) <= 0
}

// check says whether a may be asked for (--ip, --ip6): a host address
// of the subnet, the lease range or not, but not the gateway.
func (p pool) check(flag, network, want string) (netip.Addr, error) {
	a, err := netip.ParseAddr(want)
	first, last := hostRange(p.prefix)
	if err == nil {
		a = a.Unmap()
	}
	if err != nil || !between(a, first, last) || a == p.gw {
		return netip.Addr{}, fmt.Errorf("%w: %s %q: give a free address of network %s's %s, not its gateway %s", ErrNetworkInvalid, flag, want, network, p.prefix, p.gw)
	}
	return a, nil
}

// maxScan bounds the addresses a pick looks at: an IPv6 subnet has
// more than could be walked.
const maxScan = 1 << 24

// pick returns want, if free, or the first free address of the pool
// after prev (round it): an address just freed is not handed out again
// while the interface that had it may still be going. used maps the
// addresses taken to their holders.
func (p pool) pick(flag, network, want string, used map[netip.Addr]string, prev netip.Addr) (netip.Addr, error) {
	if want != "" {
		a, err := p.check(flag, network, want)
		if err != nil {
			return netip.Addr{}, err
		}
		if who, ok := used[a]; ok {
			return netip.Addr{}, fmt.Errorf("%w: %s %s: container %s has it on network %s", ErrNetworkExists, flag, a, who, network)
		}
		return a, nil
	}
	start := p.first
	if prev.IsValid() && between(prev, p.first, p.last) && prev != p.last {
		start = prev.Next()
	}
	a := start
	for range maxScan {
		if _, taken := used[a]; !taken && a != p.gw {
			return a, nil
		}
		if a = a.Next(); !a.IsValid() || a.Compare(p.last) > 0 {
			a = p.first
		}
		if a == start {
			break
		}
	}
	return netip.Addr{}, fmt.Errorf("network %s: no free address left in %s-%s", network, p.first, p.last)
}

// parseLeaseRange reads --ip-range for subnet p: a CIDR within it, or
// START-END.
func parseLeaseRange(v string, p netip.Prefix) (*LeaseRange, error) {
	first, last := hostRange(p)
	var a, b netip.Addr
	var err error
	if s, e, ok := strings.Cut(v, "-"); ok {
		a, err = netip.ParseAddr(strings.TrimSpace(s))
		if err == nil {
			b, err = netip.ParseAddr(strings.TrimSpace(e))
		}
	} else {
		var r netip.Prefix
		if r, err = netip.ParsePrefix(v); err == nil {
			a, b = hostRange(r.Masked())
			if r.Bits() == r.Addr().BitLen() {
				a, b = r.Addr(), r.Addr()
			}
		}
	}
	if err != nil || !between(a, first, last) || !between(b, a, last) {
		return nil, fmt.Errorf("%w: --ip-range %q: give START-END or a CIDR within --subnet %s", ErrNetworkInvalid, v, p)
	}
	return &LeaseRange{StartIP: a.String(), EndIP: b.String()}, nil
}

// parseRoute reads --route DESTINATION,GATEWAY[,METRIC].
func parseRoute(v string) (Route, error) {
	bad := fmt.Errorf("%w: --route %q: give DESTINATION-CIDR,GATEWAY[,METRIC]", ErrNetworkInvalid, v)
	f := strings.Split(v, ",")
	if len(f) < 2 || len(f) > 3 {
		return Route{}, bad
	}
	dest, err := netip.ParsePrefix(strings.TrimSpace(f[0]))
	if err != nil {
		return Route{}, bad
	}
	gw, err := netip.ParseAddr(strings.TrimSpace(f[1]))
	if err != nil || gw.Is4() != dest.Addr().Is4() {
		return Route{}, bad
	}
	r := Route{Destination: dest.Masked().String(), Gateway: gw.String()}
	if len(f) == 3 {
		m, err := strconv.ParseUint(strings.TrimSpace(f[2]), 10, 32)
		if err != nil {
			return Route{}, bad
		}
		r.Metric = uint32(m)
	}
	return r, nil
}

// prefixOf is n as a netip.Prefix.
func prefixOf(n *net.IPNet) netip.Prefix {
	a, _ := netip.AddrFromSlice(n.IP)
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones).Masked()
}
