package netns

import (
	"errors"
	"net"
	"os"
	"path/filepath"
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
	n3 := &NetConfig{Name: "n3", NetworkInterface: "scow3", Subnets: []Subnet{{Subnet: "10.91.2.0/24", Gateway: "10.91.2.1"}}}
	others := []*NetConfig{Default(), n1, n3}
	for _, tc := range []struct {
		name       string
		o          CreateOptions
		taken      []*net.IPNet
		subnet, gw string
		iface      string
		err        bool
	}{
		{name: "first free /24", o: CreateOptions{Name: "a"}, subnet: "10.91.1.0/24", gw: "10.91.1.1", iface: "scow2"},
		{name: "skips the host's ranges", o: CreateOptions{Name: "a"}, taken: []*net.IPNet{cidr("10.91.0.0/16")}, subnet: "10.92.0.0/24", gw: "10.92.0.1", iface: "scow2"},
		{name: "given subnet and gateway", o: CreateOptions{Name: "a", Subnet: "192.168.77.0/24", Gateway: "192.168.77.254"}, subnet: "192.168.77.0/24", gw: "192.168.77.254", iface: "scow2"},
		{name: "host bits dropped", o: CreateOptions{Name: "a", Subnet: "172.30.1.7/16"}, subnet: "172.30.0.0/16", gw: "172.30.0.1", iface: "scow2"},
		{name: "overlaps another network", o: CreateOptions{Name: "a", Subnet: "10.91.0.128/25"}, err: true},
		{name: "overlaps the default", o: CreateOptions{Name: "a", Subnet: "10.90.3.0/24"}, err: true},
		{name: "too small", o: CreateOptions{Name: "a", Subnet: "10.1.1.0/31"}, err: true},
		{name: "IPv6", o: CreateOptions{Name: "a", Subnet: "fd00::/64"}, err: true},
		{name: "gateway outside", o: CreateOptions{Name: "a", Subnet: "10.1.1.0/24", Gateway: "10.1.2.1"}, err: true},
		{name: "gateway is the broadcast", o: CreateOptions{Name: "a", Subnet: "10.1.1.0/24", Gateway: "10.1.1.255"}, err: true},
		{name: "gateway without subnet", o: CreateOptions{Name: "a", Gateway: "10.1.1.1"}, err: true},
		{name: "reserved name", o: CreateOptions{Name: "host"}, err: true},
		{name: "default's name", o: CreateOptions{Name: "scow"}, err: true},
		{name: "bad name", o: CreateOptions{Name: "a/b"}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewNetConfig(tc.o, "id", others, tc.taken)
			if tc.err {
				if !errors.Is(err, ErrNetworkInvalid) {
					t.Fatalf("err = %v, want ErrNetworkInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Subnets[0].Subnet != tc.subnet || c.Subnets[0].Gateway != tc.gw || c.NetworkInterface != tc.iface || c.Driver != "bridge" {
				t.Errorf("got %+v", c)
			}
		})
	}
}

func TestPickAddress(t *testing.T) {
	c := &NetConfig{Name: "n", Subnets: []Subnet{{Subnet: "10.9.9.0/29", Gateway: "10.9.9.1"}}}
	subnet, gw, err := c.subnet()
	if err != nil {
		t.Fatal(err)
	}
	peers := []member{{Name: "a", IP: "10.9.9.2"}, {Name: "b", IP: "10.9.9.4"}}
	for _, tc := range []struct {
		want, prev, got string
		peers           []member
		err             bool
	}{
		{got: "10.9.9.3", peers: peers},
		{prev: "10.9.9.3", got: "10.9.9.5", peers: peers},
		{prev: "10.9.9.6", got: "10.9.9.3", peers: peers}, // round the subnet, past the gateway
		{prev: "10.9.9.5", got: "10.9.9.6", peers: nil},   // not the freed 10.9.9.2 again
		{prev: "10.1.1.1", got: "10.9.9.3", peers: peers}, // a prev of another subnet
		{want: "10.9.9.5", got: "10.9.9.5", peers: peers},
		{want: "::ffff:10.9.9.5", got: "10.9.9.5", peers: peers},
		{want: "10.9.9.2", peers: peers, err: true},
		{want: "::ffff:10.9.9.2", peers: peers, err: true},
		{want: "10.9.9.1", peers: peers, err: true},
		{want: "10.9.9.7", peers: peers, err: true},
		{want: "10.9.10.2", peers: peers, err: true},
		{peers: []member{{IP: "10.9.9.2"}, {IP: "10.9.9.3"}, {IP: "10.9.9.4"}, {IP: "10.9.9.5"}, {IP: "10.9.9.6"}}, err: true},
	} {
		ip, err := pickAddress(c, subnet, gw, tc.want, tc.peers, net.ParseIP(tc.prev))
		if tc.err {
			if err == nil {
				t.Errorf("pickAddress(%q) = %v, want an error", tc.want, ip)
			}
			continue
		}
		if err != nil || ip.String() != tc.got {
			t.Errorf("pickAddress(%q, after %q) = %v, %v; want %s", tc.want, tc.prev, ip, err, tc.got)
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
