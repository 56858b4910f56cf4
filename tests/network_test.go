//go:build e2e

package tests

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// listenLoopback listens on a free port of the host's loopback until
// the test ends.
func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// freeHostPort asks the kernel for a port nothing uses now.
func freeHostPort(t *testing.T) int {
	t.Helper()
	l := listenLoopback(t)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// fetch GETs url, retrying while the server comes up.
func fetch(t *testing.T, url string) string {
	t.Helper()
	var last error
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		c := http.Client{Timeout: 3 * time.Second}
		resp, err := c.Get(url)
		if err != nil {
			last = err
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(body)
	}
	t.Errorf("GET %s: %v", url, last)
	return ""
}

// testBinary builds the static program testdata/NAME for containers.
func testBinary(t *testing.T, m *mode, name string) string {
	t.Helper()
	out := filepath.Join(m.userDir(t), name)
	cmd := exec.Command("go", "build", "-o", out, "./testdata/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, b)
	}
	os.Chmod(out, 0o755)
	return out
}

// webServer is the shell command of a busybox httpd serving text on port.
func webServer(text string, port int) string {
	return fmt.Sprintf("mkdir -p /www && echo %s > /www/index.html && exec httpd -f -p %d -h /www", text, port)
}

func TestPublishedPorts(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		echo := testBinary(t, m, "udpecho")
		// A named network forwards with rootlesskit's driver too, from
		// the infra namespace (rootless) or the host (root).
		s.must("network", "create", "pubnet")
		defer s.scow("network", "rm", "-f", "-t", "0", "pubnet")
		for _, network := range []string{"slirp4netns", "slirp4netns:port_handler=slirp4netns", "pasta", "pubnet"} {
			t.Run(strings.ReplaceAll(network, ":", "-"), func(t *testing.T) {
				tcp, udp := freeHostPort(t), freeHostPort(t)
				name := "web-" + strings.NewReplacer(":", "-", "=", "-").Replace(network)
				s.must("run", "-d", "--name", name, "--network", network, "-v", echo+":/udpecho:ro",
					"-p", strconv.Itoa(tcp)+":80", "-p", "127.0.0.1::80", "-p", strconv.Itoa(udp)+":9999/udp",
					"busybox", "sh", "-c", "/udpecho 9999 & "+webServer("hello-"+name, 80))
				defer s.must("rm", "-f", "-t", "0", name)
				if got := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", tcp)); got != "hello-"+name+"\n" {
					t.Errorf("through -p %d:80: %q", tcp, got)
				}
				// The random port, as port and ps tell it.
				random := strings.TrimSpace(s.must("port", name, "80/tcp"))
				lines := strings.Split(random, "\n")
				if len(lines) != 2 || !strings.HasPrefix(lines[1], "127.0.0.1:") {
					t.Fatalf("port %s 80/tcp: %q", name, random)
				}
				if got := fetch(t, "http://"+lines[1]+"/"); got != "hello-"+name+"\n" {
					t.Errorf("through the random port %s: %q", lines[1], got)
				}
				if ps := s.must("ps", "--format", "{{.Ports}}", "--filter", "name="+name); !strings.Contains(ps, fmt.Sprintf("0.0.0.0:%d->80/tcp", tcp)) || !strings.Contains(ps, fmt.Sprintf("%d->9999/udp", udp)) {
					t.Errorf("ps PORTS: %q", ps)
				}
				// UDP: datagrams arrive; through rootlesskit's driver the
				// answers come back too (slirp4netns's and this pasta's
				// forwarding do not carry them back).
				twoWay := network == "slirp4netns" || network == "pubnet"
				c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", udp))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				var reply string
				arrived := waitFor(15*time.Second, func() bool {
					c.Write([]byte("datagram"))
					c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
					buf := make([]byte, 100)
					n, _ := c.Read(buf)
					reply = string(buf[:n])
					return strings.Contains(s.scow("logs", name).stdout, "datagram") && (reply != "" || !twoWay)
				})
				if !arrived {
					t.Errorf("UDP through -p %d:9999/udp: nothing arrived (reply %q)", udp, reply)
				}
				if twoWay && reply != "echo:datagram" {
					t.Errorf("UDP through rootlesskit: reply %q", reply)
				}
			})
		}
		// A range, and -P for the image's EXPOSE.
		lo := freeHostPort(t)
		for i := 0; i < 20; i++ {
			if l, err := net.Listen("tcp", fmt.Sprintf(":%d", lo+1)); err == nil {
				l.Close()
				break
			}
			lo = freeHostPort(t)
		}
		s.must("run", "-d", "--name", "ranged", "-p", fmt.Sprintf("%d-%d:80-81", lo, lo+1), "busybox", "sh", "-c",
			"mkdir -p /a /b && echo a > /a/index.html && echo b > /b/index.html && httpd -p 80 -h /a && exec httpd -f -p 81 -h /b")
		if a, b := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", lo)), fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", lo+1)); a != "a\n" || b != "b\n" {
			t.Errorf("range: %q %q", a, b)
		}
		if ps := s.must("ps", "--format", "{{.Ports}}", "--filter", "name=ranged"); ps != fmt.Sprintf("0.0.0.0:%d-%d->80-81/tcp\n", lo, lo+1) {
			t.Errorf("ps PORTS of a range: %q", ps)
		}
		s.must("rm", "-f", "-t", "0", "ranged")
		// A host range for one container port: a free one of the range.
		s.must("run", "-d", "--name", "anyof", "-p", fmt.Sprintf("%d-%d:80", lo, lo+1), "busybox", "sh", "-c", webServer("anyof", 80))
		if got := strings.TrimSpace(s.must("port", "anyof", "80")); got != fmt.Sprintf("0.0.0.0:%d", lo) && got != fmt.Sprintf("0.0.0.0:%d", lo+1) {
			t.Errorf("-p %d-%d:80 published on %q", lo, lo+1, got)
		}
		s.must("rm", "-f", "-t", "0", "anyof")
		s.must("import", "--change", "EXPOSE 8080", "--change", "CMD /bin/sh", rootfsTar(t, m), "exposing")
		s.must("run", "-d", "--name", "all", "-P", "exposing", "sh", "-c", webServer("exposed", 8080))
		hostPort := strings.TrimSpace(s.must("port", "all", "8080"))
		if got := fetch(t, "http://"+hostPort+"/"); got != "exposed\n" {
			t.Errorf("-P: %q from %s", got, hostPort)
		}
		// Rootless, slirp4netns's network; as root, the default bridge.
		want := regexp.MustCompile(`^8080/tcp 10\.0\.2\.100 10\.0\.2\.2\n$`)
		if !m.rootless {
			want = regexp.MustCompile(`^8080/tcp 10\.90\.\d+\.\d+ 10\.90\.0\.1\n$`)
		}
		if got := s.must("inspect", "--format", "{{range $k, $v := .NetworkSettings.Ports}}{{$k}}{{end}} {{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}}", "all"); !want.MatchString(got) {
			t.Errorf("inspect NetworkSettings: %q", got)
		}
		s.must("rm", "-f", "-t", "0", "all")
		noHelpersLeft(t, s, m)
	})
}

// noHelpersLeft checks that no network helper of uid runs and no
// namespace pin, bridge or record of a bridge's members is left once
// every container is gone. The infra namespace's lock files stay.
func noHelpersLeft(t *testing.T, s *store, m *mode) {
	t.Helper()
	ctrs := strings.Fields(s.must("ps", "-aq"))
	if len(ctrs) > 0 {
		return
	}
	for _, helper := range []string{"slirp4netns", "pasta", "passt", "__portchild", "__netinfra"} {
		if !waitFor(5*time.Second, func() bool { return !helperRuns(m.uid, helper) }) {
			t.Errorf("%s still runs with no container", helper)
		}
	}
	left := func() (out []string) {
		pins, _ := os.ReadDir(filepath.Join(s.run, "netns"))
		for _, p := range pins {
			if n := p.Name(); n != "nets" && !strings.HasPrefix(n, "infra.") {
				out = append(out, n)
			}
		}
		// A bridge's record stays until network rm; its members go.
		members, _ := filepath.Glob(filepath.Join(bridgeState(s, m), "*", "[0-9]*"))
		return append(out, members...)
	}
	if !waitFor(5*time.Second, func() bool { return len(left()) == 0 }) {
		t.Errorf("network state left: %v", left())
	}
	if !m.rootless && !waitFor(5*time.Second, func() bool {
		out, _ := exec.Command("ip", "-br", "link").Output()
		return !strings.Contains(string(out), "veth")
	}) {
		out, _ := exec.Command("ip", "-br", "link").Output()
		t.Errorf("veths left:\n%s", out)
	}
}

// bridgeState is where scow keeps its bridges' members: the host's as
// root, the store's run root rootless.
func bridgeState(s *store, m *mode) string {
	if m.rootless {
		return filepath.Join(s.run, "netns", "nets")
	}
	return "/run/scow/nets"
}

func TestPortErrors(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		l := listenLoopback(t)
		used := l.Addr().(*net.TCPAddr).Port
		wantError(t, s.scow("run", "--rm", "--name", "clash", "-p", fmt.Sprintf("127.0.0.1:%d:80", used), "busybox", "true"), 125, "in use")
		if got := s.must("ps", "-a", "--format", "{{.Names}}"); got != "" {
			t.Errorf("a run whose port was in use left %q", got)
		}
		if m.rootless {
			wantError(t, s.scow("run", "--rm", "-p", "80:80", "busybox", "true"), 125, "ip_unprivileged_port_start")
		}
		for _, bad := range []string{"x:80", "8080:80/sctp", "8080-8082:80-81", "1:2:3:4"} {
			wantError(t, s.scow("run", "--rm", "-p", bad, "busybox", "true"), 125, bad)
		}
		// With the host's network, -p is dropped with a warning, as in
		// Docker; with none it is an error.
		if r := s.scow("run", "--rm", "--network", "host", "-p", "8080:80", "busybox", "true"); r.code != 0 || !strings.Contains(r.stderr, "discarded") {
			t.Errorf("-p with --network host: %s", r)
		}
		wantError(t, s.scow("run", "--rm", "--network", "none", "-p", "8080:80", "busybox", "true"), 125, "-p")
		wantError(t, s.scow("run", "--rm", "--network", "bogus", "busybox", "true"), 125, "bogus")
		wantError(t, s.scow("run", "--rm", "--network", "slirp4netns:mtu=1", "busybox", "true"), 125, "mtu")
		wantError(t, s.scow("run", "--rm", "--network", "container:nosuch", "busybox", "true"), 125, "nosuch")
		wantError(t, s.scow("run", "--rm", "--add-host", "nocolon", "busybox", "true"), 125, "nocolon")
		wantError(t, s.scow("run", "--rm", "--mac-address", "zz:zz", "busybox", "true"), 125, "--mac-address")
		wantError(t, s.scow("run", "--rm", "--network", "none", "--mac-address", "02:00:00:00:00:01", "busybox", "true"), 125, "--mac-address")
		if n := containerCount(t, s.root); n != 0 {
			t.Errorf("%d containers left by failed runs", n)
		}
	})
}

func TestHostLoopbackAndNames(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		// A server on the host's loopback.
		l := listenLoopback(t)
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				fmt.Fprintln(c, "from-the-host")
				c.Close()
			}
		}()
		port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		dial := "nc -w 5 host.containers.internal " + port + " </dev/null"
		if got := s.must("run", "--rm", "--network", "slirp4netns:allow_host_loopback=true", "busybox", "sh", "-c", dial); got != "from-the-host\n" {
			t.Errorf("with allow_host_loopback=true: %q", got)
		}
		if r := s.scow("run", "--rm", "busybox", "sh", "-c", dial); strings.Contains(r.stdout, "from-the-host") {
			t.Errorf("without allow_host_loopback the host's loopback was reached: %s", r)
		}
		// /etc/hosts and resolv.conf (of slirp4netns's network; those of
		// bridges are TestNamedNetworks').
		got := s.must("run", "--rm", "--network", "slirp4netns", "--name", "named", "--hostname", "box", "--add-host", "db:10.1.2.3",
			"--dns", "192.0.2.53", "--dns-search", "example.org", "--dns-option", "ndots:2",
			"busybox", "cat", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname")
		for _, want := range []string{"10.0.2.100\tbox named", "10.0.2.2\thost.containers.internal host.docker.internal", "10.1.2.3\tdb",
			"search example.org", "nameserver 192.0.2.53", "options ndots:2", "box\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("no %q in:\n%s", want, got)
			}
		}
		if r := s.scow("run", "--rm", "--no-hosts", "busybox", "cat", "/etc/hosts"); strings.Contains(r.stdout, "host.containers.internal") {
			t.Errorf("--no-hosts: %s", r)
		}
		backend, gateway := "slirp4netns", "10.0.2.2"
		if !m.rootless {
			backend, gateway = "bridge", "10.90.0.1"
		}
		if got := s.must("info", "--format", "{{.Host.NetworkBackend}} {{.Host.Slirp4NetNS.Executable}} {{.Host.Pasta.Executable}}"); got != backend+" /usr/bin/slirp4netns /usr/bin/pasta\n" {
			t.Errorf("info's network: %q", got)
		}
		// Outbound traffic goes through slirp4netns's gateway rootless,
		// the default bridge's as root.
		if r := s.scow("run", "--rm", "busybox", "sh", "-c", "ip route | grep default"); !strings.Contains(r.stdout, "via "+gateway+" ") {
			t.Errorf("default route: %s", r)
		}
		noHelpersLeft(t, s, m)
	})
}

func TestContainerNetworkMode(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "-d", "--name", "owner", "--hostname", "ownerhost", "--add-host", "shared:10.9.9.9", "busybox", "sh", "-c", webServer("from-owner", 8080))
		var got string
		waitFor(15*time.Second, func() bool {
			got = s.scow("run", "--rm", "--network", "container:owner", "busybox", "sh", "-c",
				httpGet("127.0.0.1", 8080)+"; grep shared /etc/hosts; hostname").stdout
			return strings.Contains(got, "from-owner")
		})
		if !strings.Contains(got, "from-owner") || !strings.Contains(got, "10.9.9.9") || !strings.HasSuffix(got, "ownerhost\n") {
			t.Errorf("--network container:owner: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--network", "container:owner", "--hostname", "mine", "busybox", "true"), 125, "conflicting options")
		s.must("stop", "-t", "0", "owner")
		wantError(t, s.scow("run", "--rm", "--network", "container:owner", "busybox", "true"), 125, "not running")
		s.must("rm", "owner")
		// none: loopback only.
		out := s.must("run", "--rm", "--network", "none", "busybox", "sh", "-c", "ls /sys/class/net; ip addr show lo | grep -c UP")
		if strings.Fields(out)[0] != "lo" || len(strings.Fields(out)) != 2 {
			t.Errorf("--network none: %q", out)
		}
		noHelpersLeft(t, s, m)
	})
}

func TestNetworkAfterMonitorCrash(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		port := freeHostPort(t)
		s.must("run", "-d", "--name", "crashy", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "busybox", "sh", "-c", webServer("up", 80))
		fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", port))
		killWhere(m.uid, "cmdline", "__monitor")
		// The next command finds the monitor dead and releases the rest:
		// slirp4netns and the forwarder followed their monitor.
		if got := s.must("ps", "-a", "--format", "{{.Status}}"); !strings.HasPrefix(got, "Exited (-1)") {
			t.Errorf("after the monitor was killed: %q", got)
		}
		for _, helper := range []string{"slirp4netns", "__portchild"} {
			if !waitFor(10*time.Second, func() bool { return !helperRuns(m.uid, helper) }) {
				t.Errorf("%s outlived its monitor", helper)
			}
		}
		if !waitFor(10*time.Second, func() bool {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err == nil {
				l.Close()
			}
			return err == nil
		}) {
			t.Errorf("port %d still held after the crash", port)
		}
		s.must("rm", "crashy")
		noHelpersLeft(t, s, m)
	})
}

// helperRuns tells whether a live process of uid runs program name
// (argv[0]'s base name) or scow's helper name (argv[1]).
func helperRuns(uid int, name string) bool {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmd, err := os.ReadFile(p + "/cmdline")
		if err != nil {
			continue
		}
		argv := strings.Split(string(cmd), "\x00")
		if filepath.Base(argv[0]) != name && (len(argv) < 2 || argv[1] != name) {
			continue
		}
		if stat, _ := os.ReadFile(p + "/stat"); strings.Contains(string(stat), ") Z ") {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(p, &st) == nil && int(st.Uid) == uid {
			return true
		}
	}
	return false
}
