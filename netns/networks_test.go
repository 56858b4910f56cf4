package netns

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func cidr(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}

func TestNewNetConfig(t *testing.T) {
	n1 := &NetConfig{Name: "n1", NetworkInterface: "scow1", Subnets: []Subnet{{Subnet: "10.91.0.0/24", Gateway: "10.91.0.1"}}}
	n3 := &NetConfig{Name: "n3", NetworkInterface: "scow3", Subnets: []Subnet{{Subnet: "10.91.2.0/24", Gateway: "10.91.2.1"}, {Subnet: "fd91:5c07::/64", Gateway: "fd91:5c07::1"}}}
	others := []*NetConfig{Default(), n1, n3}
	sub := func(s ...string) []string { return s }
	for _, tc := range []struct {
		name     string
		o        CreateOptions
		taken    []*net.IPNet
		subnets  []Subnet
		routes   []Route
		iface    string
		err      bool
		inErrors string
	}{
		{name: "first free /24", o: CreateOptions{Name: "a"}, subnets: []Subnet{{Subnet: "10.91.1.0/24", Gateway: "10.91.1.1"}}, iface: "scow2"},
		{name: "skips the host's ranges", o: CreateOptions{Name: "a"}, taken: []*net.IPNet{cidr("10.91.0.0/16")}, subnets: []Subnet{{Subnet: "10.92.0.0/24", Gateway: "10.92.0.1"}}, iface: "scow2"},
		{name: "given subnet and gateway", o: CreateOptions{Name: "a", Subnets: sub("192.168.77.0/24"), Gateways: sub("192.168.77.254")}, subnets: []Subnet{{Subnet: "192.168.77.0/24", Gateway: "192.168.77.254"}}, iface: "scow2"},
		{name: "host bits dropped", o: CreateOptions{Name: "a", Subnets: sub("172.30.1.7/16")}, subnets: []Subnet{{Subnet: "172.30.0.0/16", Gateway: "172.30.0.1"}}, iface: "scow2"},
		{name: "IPv6 picked", o: CreateOptions{Name: "a", IPv6: true}, subnets: []Subnet{{Subnet: "10.91.1.0/24", Gateway: "10.91.1.1"}, {Subnet: "fd91:5c07:0:1::/64", Gateway: "fd91:5c07:0:1::1"}}, iface: "scow2"},
		{name: "IPv6 given, IPv4 picked", o: CreateOptions{Name: "a", Subnets: sub("fd00:1:2:3::/64")}, subnets: []Subnet{{Subnet: "10.91.1.0/24", Gateway: "10.91.1.1"}, {Subnet: "fd00:1:2:3::/64", Gateway: "fd00:1:2:3::1"}}, iface: "scow2"},
		{name: "both given, in either order, with gateways and ranges", o: CreateOptions{Name: "a", Subnets: sub("fd00:9::/64", "10.5.0.0/16"), Gateways: sub("fd00:9::fe", "10.5.0.254"), IPRanges: sub("fd00:9::100-fd00:9::1ff", "10.5.1.0/24")},
			subnets: []Subnet{{Subnet: "10.5.0.0/16", Gateway: "10.5.0.254", LeaseRange: &LeaseRange{StartIP: "10.5.1.1", EndIP: "10.5.1.254"}}, {Subnet: "fd00:9::/64", Gateway: "fd00:9::fe", LeaseRange: &LeaseRange{StartIP: "fd00:9::100", EndIP: "fd00:9::1ff"}}}, iface: "scow2"},
		{name: "routes", o: CreateOptions{Name: "a", Routes: sub("10.99.0.0/16,10.91.1.254", "192.168.5.0/24,10.91.1.253,7")},
			subnets: []Subnet{{Subnet: "10.91.1.0/24", Gateway: "10.91.1.1"}}, routes: []Route{{Destination: "10.99.0.0/16", Gateway: "10.91.1.254"}, {Destination: "192.168.5.0/24", Gateway: "10.91.1.253", Metric: 7}}, iface: "scow2"},
		{name: "overlaps another network", o: CreateOptions{Name: "a", Subnets: sub("10.91.0.128/25")}, err: true, inErrors: "n1"},
		{name: "overlaps another network's IPv6", o: CreateOptions{Name: "a", Subnets: sub("fd91:5c07::/48")}, err: true, inErrors: "n3"},
		{name: "overlaps the default", o: CreateOptions{Name: "a", Subnets: sub("10.90.3.0/24")}, err: true},
		{name: "too small", o: CreateOptions{Name: "a", Subnets: sub("10.1.1.0/31")}, err: true},
		{name: "too small for IPv6", o: CreateOptions{Name: "a", Subnets: sub("fd00::/127")}, err: true},
		{name: "two IPv4 subnets", o: CreateOptions{Name: "a", Subnets: sub("10.1.0.0/24", "10.2.0.0/24")}, err: true, inErrors: "per IP family"},
		{name: "gateway outside", o: CreateOptions{Name: "a", Subnets: sub("10.1.1.0/24"), Gateways: sub("10.1.2.1")}, err: true},
		{name: "gateway of the other family", o: CreateOptions{Name: "a", Subnets: sub("10.1.1.0/24"), Gateways: sub("fd00::1")}, err: true},
		{name: "gateway is the broadcast", o: CreateOptions{Name: "a", Subnets: sub("10.1.1.0/24"), Gateways: sub("10.1.1.255")}, err: true},
		{name: "gateway without subnet", o: CreateOptions{Name: "a", Gateways: sub("10.1.1.1")}, err: true},
		{name: "range without subnet", o: CreateOptions{Name: "a", IPRanges: sub("10.1.1.0/28")}, err: true},
		{name: "range outside", o: CreateOptions{Name: "a", Subnets: sub("10.1.1.0/24"), IPRanges: sub("10.1.2.0/28")}, err: true},
		{name: "range backwards", o: CreateOptions{Name: "a", Subnets: sub("10.1.1.0/24"), IPRanges: sub("10.1.1.9-10.1.1.5")}, err: true},
		{name: "route without gateway", o: CreateOptions{Name: "a", Routes: sub("10.99.0.0/16")}, err: true},
		{name: "route of mixed families", o: CreateOptions{Name: "a", Routes: sub("10.99.0.0/16,fd00::1")}, err: true},
		{name: "IPv6 route without IPv6", o: CreateOptions{Name: "a", Routes: sub("fd00:5::/64,fd00::1")}, err: true, inErrors: "--ipv6"},
		{name: "bad metric", o: CreateOptions{Name: "a", Routes: sub("10.99.0.0/16,10.91.1.254,x")}, err: true},
		{name: "reserved name", o: CreateOptions{Name: "host"}, err: true},
		{name: "default's name", o: CreateOptions{Name: "scow"}, err: true},
		{name: "bad name", o: CreateOptions{Name: "a/b"}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewNetConfig(tc.o, "id", others, tc.taken)
			if tc.err {
				if !errors.Is(err, ErrNetworkInvalid) || !strings.Contains(err.Error(), tc.inErrors) {
					t.Fatalf("err = %v, want ErrNetworkInvalid saying %q", err, tc.inErrors)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Subnets, tc.subnets) || !reflect.DeepEqual(c.Routes, tc.routes) || c.IPv6Enabled != (len(tc.subnets) == 2) || c.NetworkInterface != tc.iface || c.Driver != "bridge" {
				t.Errorf("got %+v", c)
			}
		})
	}
}

func TestPoolPick(t *testing.T) {
	a := netip.MustParseAddr
	p, err := Subnet{Subnet: "10.9.9.0/29", Gateway: "10.9.9.1"}.pool()
	if err != nil {
		t.Fatal(err)
	}
	leased, _ := Subnet{Subnet: "10.9.9.0/24", Gateway: "10.9.9.1", LeaseRange: &LeaseRange{StartIP: "10.9.9.10", EndIP: "10.9.9.12"}}.pool()
	v6, _ := Subnet{Subnet: "fd00:1::/64", Gateway: "fd00:1::1"}.pool()
	peers := map[netip.Addr]string{a("10.9.9.2"): "a", a("10.9.9.4"): "b"}
	full := map[netip.Addr]string{a("10.9.9.2"): "", a("10.9.9.3"): "", a("10.9.9.4"): "", a("10.9.9.5"): "", a("10.9.9.6"): ""}
	for _, tc := range []struct {
		p               pool
		want, prev, got string
		used            map[netip.Addr]string
		err             bool
	}{
		{p: p, got: "10.9.9.3", used: peers},
		{p: p, prev: "10.9.9.3", got: "10.9.9.5", used: peers},
		{p: p, prev: "10.9.9.6", got: "10.9.9.3", used: peers}, // round the subnet, past the gateway
		{p: p, prev: "10.9.9.5", got: "10.9.9.6", used: nil},   // not the freed 10.9.9.2 again
		{p: p, prev: "10.1.1.1", got: "10.9.9.3", used: peers}, // a prev of another subnet
		{p: p, want: "10.9.9.5", got: "10.9.9.5", used: peers},
		{p: p, want: "::ffff:10.9.9.5", got: "10.9.9.5", used: peers},
		{p: p, want: "10.9.9.2", used: peers, err: true},
		{p: p, want: "::ffff:10.9.9.2", used: peers, err: true},
		{p: p, want: "10.9.9.1", used: peers, err: true},
		{p: p, want: "10.9.9.7", used: peers, err: true},
		{p: p, want: "10.9.10.2", used: peers, err: true},
		{p: p, want: "fd00::5", used: peers, err: true},
		{p: p, used: full, err: true},
		{p: leased, got: "10.9.9.10"},
		{p: leased, prev: "10.9.9.12", got: "10.9.9.10"},
		{p: leased, want: "10.9.9.200", got: "10.9.9.200"}, // asked for: the subnet, not only the range
		{p: v6, got: "fd00:1::2"},
		{p: v6, prev: "fd00:1::2", got: "fd00:1::3"},
		{p: v6, want: "fd00:1::abcd", got: "fd00:1::abcd"},
		{p: v6, want: "fd00:1::1", err: true},
		{p: v6, want: "fd00:2::5", err: true},
		{p: v6, want: "10.9.9.5", err: true},
	} {
		var prev netip.Addr
		if tc.prev != "" {
			prev = a(tc.prev)
		}
		ip, err := tc.p.pick("--ip", "n", tc.want, tc.used, prev)
		if tc.err {
			if err == nil {
				t.Errorf("pick(%q) in %s = %v, want an error", tc.want, tc.p.prefix, ip)
			}
			continue
		}
		if err != nil || ip.String() != tc.got {
			t.Errorf("pick(%q, after %q) in %s = %v, %v; want %s", tc.want, tc.prev, tc.p.prefix, ip, err, tc.got)
		}
	}
}

func TestSyncHosts(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	base := "127.0.0.1\tlocalhost\n10.0.0.9\tuser-added\n"
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte(base), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := &NetConfig{Name: "n"}
	ma := member{ID: "aaaaaaaaaaaaaaaa", Name: "web", Hostname: "aaaaaaaaaaaa", Aliases: []string{"www"}, IP: "10.1.0.2", Hosts: a}
	mb := member{ID: "bbbbbbbbbbbbbbbb", Name: "db", Hostname: "dbhost", IP: "10.1.0.3", Hosts: b}
	syncHosts(c, []member{ma, mb})
	want := base + "10.1.0.2\taaaaaaaaaaaa www web\t# scow network n\n10.1.0.3\tdbhost db bbbbbbbbbbbb\t# scow network n\n"
	for _, p := range []string{a, b} {
		if got, _ := os.ReadFile(p); string(got) != want {
			t.Errorf("%s:\n%s\nwant:\n%s", p, got, want)
		}
	}
	// b leaves: a keeps its own line and the user's, b keeps no line of n.
	syncHosts(c, []member{ma})
	rewriteHosts(b, hostsTag(c), nil)
	if got, _ := os.ReadFile(a); string(got) != base+"10.1.0.2\taaaaaaaaaaaa www web\t# scow network n\n" {
		t.Errorf("a after b left:\n%s", got)
	}
	if got, _ := os.ReadFile(b); string(got) != base {
		t.Errorf("b after it left:\n%s", got)
	}
}
