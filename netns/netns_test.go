package netns

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mode
		err  bool
	}{
		{in: "", want: Mode{Kind: ModeSlirp}},
		{in: "private", want: Mode{Kind: ModeSlirp}},
		{in: "slirp4netns:allow_host_loopback=true,mtu=1500,port_handler=slirp4netns", want: Mode{Kind: ModeSlirp, Options: []string{"allow_host_loopback=true", "mtu=1500", "port_handler=slirp4netns"}}},
		{in: "pasta:--ipv4-only,-a,10.0.2.0", want: Mode{Kind: ModePasta, Options: []string{"--ipv4-only", "-a", "10.0.2.0"}}},
		{in: "none", want: Mode{Kind: ModeNone}},
		{in: "host", want: Mode{Kind: ModeHost}},
		{in: "container:web", want: Mode{Kind: ModeContainer, Target: "web"}},
		{in: "ns:/run/netns/x", want: Mode{Kind: ModeNS, Target: "/run/netns/x"}},
		{in: "slirp4netns:mtu=10", err: true},
		{in: "slirp4netns:port_handler=magic", err: true},
		{in: "slirp4netns:colour=red", err: true},
		{in: "host:x", err: true},
		{in: "container:", err: true},
		{in: "ns:relative", err: true},
		{in: "bridge0", want: Mode{Kind: ModeBridge, Target: "bridge0"}},
		{in: "bridge", want: Mode{Kind: ModeBridge, Target: DefaultNetwork}},
		{in: "scow", want: Mode{Kind: ModeBridge, Target: DefaultNetwork}},
		{in: "bridge:web-net", want: Mode{Kind: ModeBridge, Target: "web-net"}},
		{in: "my.net_1", want: Mode{Kind: ModeBridge, Target: "my.net_1"}},
		{in: "-net", err: true},
		{in: "net/x", err: true},
		{in: "nope:x", err: true},
	} {
		got, err := ParseMode(tc.in)
		if tc.err {
			if !errors.Is(err, ErrInvalidMode) {
				t.Errorf("ParseMode(%q): %v, want ErrInvalidMode", tc.in, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseMode(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if again, err := ParseMode(got.String()); err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("ParseMode(%q.String()) = %+v, %v", tc.in, again, err)
		}
	}
	if m, _ := ParseMode("slirp4netns:mtu=1500"); m.Option("mtu", "65520") != "1500" || m.Option("cidr", "x") != "x" {
		t.Errorf("Option: %+v", m)
	}
}

func TestParsePublish(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []PortMapping
		err  bool
	}{
		{in: "80", want: []PortMapping{{ContainerPort: 80, Protocol: "tcp"}}},
		{in: "8080:80", want: []PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}},
		{in: "127.0.0.1:8080:80", want: []PortMapping{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}},
		{in: "127.0.0.1::80", want: []PortMapping{{HostIP: "127.0.0.1", ContainerPort: 80, Protocol: "tcp"}}},
		{in: "8080:80/udp", want: []PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "udp"}}},
		{in: "[::1]:8080:80", want: []PortMapping{{HostIP: "::1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}},
		{in: "8080-8081:80-81", want: []PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, {HostPort: 8081, ContainerPort: 81, Protocol: "tcp"}}},
		{in: "80-81", want: []PortMapping{{ContainerPort: 80, Protocol: "tcp"}, {ContainerPort: 81, Protocol: "tcp"}}},
		{in: "8080-8082:80-81", err: true},
		{in: "8000-8010:80/UDP", want: []PortMapping{{HostPort: 8000, HostPortEnd: 8010, ContainerPort: 80, Protocol: "udp"}}},
		{in: "8080:80/sctp", err: true},
		{in: "x:80", err: true},
		{in: "8080:0", err: true},
		{in: "70000:80", err: true},
		{in: "300.1.1.1:8080:80", err: true},
		{in: "1:2:3:4", err: true},
		{in: "81-80", err: true},
	} {
		got, err := ParsePublish(tc.in)
		if tc.err {
			if !errors.Is(err, ErrInvalidPort) {
				t.Errorf("ParsePublish(%q): %v, want ErrInvalidPort", tc.in, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePublish(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	got := FormatPorts([]PortMapping{{HostPort: 8081, ContainerPort: 81, Protocol: "udp"}, {HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, {HostIP: "::1", HostPort: 9, ContainerPort: 90, Protocol: "tcp"}})
	if want := "127.0.0.1:8080->80/tcp, 0.0.0.0:8081->81/udp, [::1]:9->90/tcp"; got != want {
		t.Errorf("FormatPorts = %q, want %q", got, want)
	}
	ranged, _ := ParsePublish("8000-8002:80-82")
	if got, want := FormatPorts(append(ranged, PortMapping{HostPort: 9000, ContainerPort: 83, Protocol: "tcp"})), "0.0.0.0:8000-8002->80-82/tcp, 0.0.0.0:9000->83/tcp"; got != want {
		t.Errorf("FormatPorts of a range = %q, want %q", got, want)
	}
}

func TestFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     Options
		hosts []string
		dns   string
	}{
		{"slirp", Options{Mode: Mode{Kind: ModeSlirp}, Name: "web", Hostname: "abc", AddHosts: []string{"db:10.1.2.3"}},
			[]string{"localhost", "10.0.2.100\tabc web", "10.0.2.2\thost.containers.internal host.docker.internal", "10.1.2.3\tdb"}, ""},
		{"slirp cidr", Options{Mode: Mode{Kind: ModeSlirp, Options: []string{"cidr=10.9.0.0/24"}}, Hostname: "abc"},
			[]string{"10.9.0.100\tabc", "10.9.0.2\thost.containers.internal"}, ""},
		{"none", Options{Mode: Mode{Kind: ModeNone}, Hostname: "abc"}, []string{"127.0.1.1\tabc"}, ""},
		{"dns flags", Options{Mode: Mode{Kind: ModeSlirp}, Hostname: "abc", DNS: []string{"192.0.2.53"}, DNSSearch: []string{"example.org"}, DNSOptions: []string{"ndots:2"}},
			nil, "search example.org\nnameserver 192.0.2.53\noptions ndots:2\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.o.Dir = dir
			if err := writeFiles(tc.o); err != nil {
				t.Fatal(err)
			}
			mounts := tc.o.Mounts()
			if len(mounts) != 3 {
				t.Fatalf("mounts %v", mounts)
			}
			for _, m := range mounts {
				if !strings.HasPrefix(m.Destination, "/etc/") || filepath.Dir(m.Source) != dir {
					t.Errorf("mount %+v", m)
				}
				if _, err := os.Stat(m.Source); err != nil {
					t.Errorf("mount %+v: %v", m, err)
				}
			}
			hosts, _ := os.ReadFile(filepath.Join(dir, "hosts"))
			for _, want := range tc.hosts {
				if !strings.Contains(string(hosts), want) {
					t.Errorf("hosts lacks %q:\n%s", want, hosts)
				}
			}
			resolv, _ := os.ReadFile(filepath.Join(dir, "resolv.conf"))
			if tc.dns != "" && string(resolv) != tc.dns {
				t.Errorf("resolv.conf %q, want %q", resolv, tc.dns)
			}
			if strings.Contains(string(resolv), "127.0.0.") {
				t.Errorf("resolv.conf names a loopback resolver the container cannot reach: %q", resolv)
			}
		})
	}
	noHosts := Options{Mode: Mode{Kind: ModeSlirp}, Hostname: "x", Dir: t.TempDir(), NoHosts: true}
	if err := writeFiles(noHosts); err != nil || len(noHosts.Mounts()) != 2 {
		t.Errorf("--no-hosts: %v %v", noHosts.Mounts(), err)
	}
	if _, err := os.Stat(filepath.Join(noHosts.Dir, "hosts")); err == nil {
		t.Error("--no-hosts wrote a hosts file")
	}
	for h, ok := range map[string]bool{"db:10.0.0.1": true, "db:::1": true, "db": false, ":1.2.3.4": false, "db:notanip": false} {
		if err := ValidateHost(h); (err == nil) != ok {
			t.Errorf("ValidateHost(%q): %v", h, err)
		}
	}
}

func TestNSPath(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Mode: Mode{Kind: ModeHost}}, "host"},
		{Options{Mode: Mode{Kind: ModeContainer}, JoinPath: "/run/x/netns/abc"}, "/run/x/netns/abc"},
		{Options{Mode: Mode{Kind: ModeNS}, JoinPath: "/proc/1/ns/net"}, "/proc/1/ns/net"},
		{Options{Mode: Mode{Kind: ModeSlirp}, RunDir: "/run/x", ID: "0123456789abcdef0123"}, "/run/x/0123456789abcdef"},
		{Options{Mode: Mode{Kind: ModeNone}, RunDir: "/run/x", ID: "0123456789abcdef0123", OwnUserNS: true}, ""},
	} {
		if got := tc.o.NSPath(); got != tc.want {
			t.Errorf("%+v: NSPath %q, want %q", tc.o, got, tc.want)
		}
	}
	if got := (Options{NoHosts: true, NoHostname: true, Dir: "/d"}).Mounts(); len(got) != 1 || got[0].Source != "/d/resolv.conf" {
		t.Errorf("mounts with --no-hosts --no-hostname: %+v", got)
	}
}
