//go:build e2e

package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// httpGet is a shell command that fetches / from host:port with busybox
// nc and prints the body's last line.
func httpGet(host string, port int) string {
	return fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 %s %d | tail -n 1`, host, port)
}

func TestNamedNetworks(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		defer func() {
			// Networks of a failed run must not stay on the host.
			s.scow("rm", "-af", "-t", "0")
			s.scow("network", "prune", "-f")
		}()

		// Records: create, ls, inspect, exists.
		s.must("network", "create", "--label", "app=web", "front")
		s.must("network", "create", "--subnet", "10.97.3.0/24", "--gateway", "10.97.3.254", "back")
		s.must("network", "create", "--internal", "iso")
		ls := s.must("network", "ls")
		for _, want := range []string{"NETWORK ID", "NAME", "DRIVER", "front", "back", "iso", "scow"} {
			if !strings.Contains(ls, want) {
				t.Errorf("network ls has no %q:\n%s", want, ls)
			}
		}
		if got := s.must("network", "ls", "-q", "--filter", "dangling=false"); got != "" {
			t.Errorf("ls --filter dangling=false before any container: %q", got)
		}
		if got := s.must("network", "ls", "-q", "--filter", "until=1h"); strings.Contains(got, "front") {
			t.Errorf("ls --filter until=1h lists a network made now: %q", got)
		}
		if got := s.must("network", "ls", "-q", "--filter", "label=app=web"); got != "front\n" {
			t.Errorf("ls --filter label: %q", got)
		}
		var recs []map[string]any
		if err := json.Unmarshal([]byte(s.must("network", "inspect", "back", "iso")), &recs); err != nil || len(recs) != 2 {
			t.Fatalf("network inspect: %v %v", recs, err)
		}
		for _, key := range []string{"name", "id", "driver", "network_interface", "subnets", "internal", "dns_enabled", "ipv6_enabled", "created"} {
			if _, ok := recs[0][key]; !ok {
				t.Errorf("network inspect has no %q: %v", key, recs[0])
			}
		}
		if sub := fmt.Sprint(recs[0]["subnets"]); sub != "[map[gateway:10.97.3.254 subnet:10.97.3.0/24]]" || recs[0]["driver"] != "bridge" || recs[1]["internal"] != true {
			t.Errorf("network inspect: %v", recs)
		}
		if r := s.scow("network", "exists", "nosuch"); r.code != 1 {
			t.Errorf("network exists nosuch: %s", r)
		}
		s.must("network", "exists", "front")

		// The errors: nothing is left by any.
		wantError(t, s.scow("network", "create", "front"), 125, "already exists")
		wantError(t, s.scow("network", "create", "--subnet", "10.97.3.128/25", "clash"), 125, "overlaps network back")
		wantError(t, s.scow("network", "create", "--subnet", "nonsense", "bad"), 125, "--subnet")
		wantError(t, s.scow("network", "create", "--subnet", "10.0.2.0/25", "onslirp"), 125, "slirp4netns")
		wantError(t, s.scow("run", "--rm", "--network", "front", "--hostname", "a\n10.1.1.1 evil", "busybox", "true"), 125, "--hostname")
		wantError(t, s.scow("network", "create", "host"), 125, "host")
		wantError(t, s.scow("network", "create", "-d", "macvlan", "mv"), 125, "bridge driver only")
		wantError(t, s.scow("network", "inspect", "nosuch"), 125, "no such network")
		wantError(t, s.scow("network", "rm", "scow"), 125, "default network")
		wantError(t, s.scow("run", "--rm", "--network", "nosuch", "busybox", "true"), 125, "no such network")
		wantError(t, s.scow("run", "--rm", "--network", "back", "--ip", "10.97.4.2", "busybox", "true"), 125, "--ip")
		wantError(t, s.scow("run", "--rm", "--network", "back", "--ip", "10.97.3.254", "busybox", "true"), 125, "gateway")
		wantError(t, s.scow("run", "--rm", "--network", "slirp4netns", "--network-alias", "x", "busybox", "true"), 125, "named network")
		if got := s.must("ps", "-aq"); got != "" {
			t.Errorf("failed runs left containers: %q", got)
		}
		s.must("create", "--name", "onslirp", "--network", "slirp4netns", "busybox", "true")
		wantError(t, s.scow("network", "connect", "front", "onslirp"), 125, "only containers on named networks")
		wantError(t, s.scow("network", "connect", "front", "nosuch"), 125, "nosuch")
		wantError(t, s.scow("network", "connect", "nosuch", "onslirp"), 125, "no such network")
		wantError(t, s.scow("network", "reload", "nosuch"), 125, "nosuch")
		s.must("rm", "onslirp")

		// A web server on front, published on the host; a client on front
		// reaches it by name and by alias, one on back cannot.
		port := freeHostPort(t)
		s.must("run", "-d", "--name", "web", "--network", "front", "--network-alias", "www", "-p", fmt.Sprintf("127.0.0.1:%d:80", port),
			"busybox", "sh", "-c", webServer("front-page", 80))
		if got := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "front-page\n" {
			t.Errorf("published port of a named network: %q", got)
		}
		// The monitor entered other namespaces to make the bridge and the
		// veth: none of its threads may stay there, or its sockets follow.
		if nss := threadNetns(t, m.uid, "__monitor"); len(nss) != 1 {
			t.Errorf("the monitor's threads are in %d network namespaces: %v", len(nss), nss)
		}
		if got := s.must("network", "ls", "-q", "--filter", "dangling=false"); got != "front\n" {
			t.Errorf("ls --filter dangling=false with web on front: %q", got)
		}
		if got := s.must("ps", "-q", "--filter", "pod=anything"); got != "" {
			t.Errorf("ps --filter pod= with no pods: %q", got)
		}
		if got := s.must("ps", "--filter", "health=none", "--format", "{{.Names}}"); got != "web\n" {
			t.Errorf("ps --filter health=none: %q", got)
		}
		for _, name := range []string{"web", "www"} {
			if got := s.must("run", "--rm", "--network", "front", "busybox", "sh", "-c", httpGet(name, 80)); got != "front-page\n" {
				t.Errorf("by %s on the same network: %q", name, got)
			}
		}
		// A rename reaches the peers' hosts files at once.
		s.must("rename", "web", "web2")
		if got := s.must("run", "--rm", "--network", "front", "busybox", "sh", "-c", httpGet("web2", 80)+"; grep -cw web /etc/hosts || true"); got != "front-page\n0\n" {
			t.Errorf("by its new name after rename: %q", got)
		}
		s.must("rename", "web2", "web")
		webIP := strings.TrimSpace(s.must("inspect", "--format", "{{.NetworkSettings.Networks.front.IPAddress}}", "web"))
		if !strings.HasPrefix(webIP, "10.") {
			t.Fatalf("web's address on front: %q", webIP)
		}
		if got := s.must("run", "--rm", "--network", "back", "--ip", "10.97.3.50", "busybox", "sh", "-c",
			"ip -4 addr show eth0 | grep -o 'inet [0-9./]*'; ip route | grep default; "+httpGet(webIP, 80)+"; grep -c web /etc/hosts || true"); got != "inet 10.97.3.50/24\ndefault via 10.97.3.254 dev eth0 \n0\n" {
			t.Errorf("a container on back (--ip, --gateway), reaching web at %s:\n%s", webIP, got)
		}
		if got := s.must("run", "--rm", "--network", "iso", "busybox", "sh", "-c", "ip route | grep -c default; "+httpGet(webIP, 80)); got != "0\n" {
			t.Errorf("a container on an internal network: %q", got)
		}

		// Two containers on one network get two addresses; a second
		// --ip of one address is refused.
		s.must("run", "-d", "--name", "pinned", "--network", "back", "--ip", "10.97.3.60", "busybox", "sleep", "600")
		wantError(t, s.scow("run", "--rm", "--network", "back", "--ip", "10.97.3.60", "busybox", "true"), 125, "10.97.3.60")
		if got := s.must("ps", "-a", "--format", "{{.Names}}"); strings.Count(got, "\n") != 2 {
			t.Errorf("a run refused its address left a container: %q", got)
		}

		if got := s.must("ps", "--filter", "network=back", "--format", "{{.Names}}"); got != "pinned\n" {
			t.Errorf("ps --filter network=back: %q", got)
		}

		// connect and disconnect a running container: web sees it by its
		// alias, then no longer.
		s.must("network", "connect", "--alias", "pin", "front", "pinned")
		if got := s.must("exec", "pinned", "sh", "-c", httpGet("www", 80)); got != "front-page\n" {
			t.Errorf("after network connect: %q", got)
		}
		if hosts := s.must("exec", "web", "cat", "/etc/hosts"); !strings.Contains(hosts, " pin") {
			t.Errorf("web's hosts after connect:\n%s", hosts)
		}
		nets := s.must("inspect", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}", "pinned")
		if !strings.Contains(nets, "back=10.97.3.60") || !strings.Contains(nets, "front=10.") {
			t.Errorf("inspect after connect: %q", nets)
		}
		wantError(t, s.scow("network", "connect", "front", "pinned"), 125, "already")
		s.must("network", "disconnect", "front", "pinned")
		if hosts := s.must("exec", "web", "cat", "/etc/hosts"); strings.Contains(hosts, " pin") {
			t.Errorf("web's hosts after disconnect:\n%s", hosts)
		}
		if got := s.must("exec", "pinned", "sh", "-c", httpGet(webIP, 80)); got != "" {
			t.Errorf("after network disconnect web still answers: %q", got)
		}
		wantError(t, s.scow("network", "disconnect", "back", "pinned"), 125, "only")
		wantError(t, s.scow("network", "disconnect", "front", "pinned"), 125, "not on network")
		wantError(t, s.scow("network", "disconnect", "nosuch", "pinned"), 125, "no such network")

		// Rootless, a holder killed under running containers: the next
		// one adopts their namespace instead of making a new one.
		if m.rootless {
			killWhere(m.uid, "cmdline", "__netinfra")
			if !waitFor(10*time.Second, func() bool { return !helperRuns(m.uid, "__netinfra") }) {
				t.Fatalf("the infra holder did not die")
			}
			if got := s.must("run", "--rm", "--network", "front", "busybox", "sh", "-c", httpGet("web", 80)); got != "front-page\n" {
				t.Errorf("after the infra holder was killed: %q", got)
			}
		}

		// A network in use stays; -f takes its containers with it.
		wantError(t, s.scow("network", "rm", "front"), 125, "used by container web")
		if got := s.must("network", "rm", "-f", "-t", "0", "front"); got != "front\n" {
			t.Errorf("network rm -f: %q", got)
		}
		if got := s.must("ps", "-a", "--format", "{{.Names}}"); got != "pinned\n" {
			t.Errorf("network rm -f left: %q", got)
		}

		// A killed monitor: its address is free again, and rootless, the
		// infra namespace's holder goes with the last user.
		s.must("rm", "-f", "-t", "0", "pinned")
		s.must("run", "-d", "--name", "crashy", "--network", "back", "--ip", "10.97.3.70", "busybox", "sleep", "600")
		if m.rootless && !helperRuns(m.uid, "__netinfra") {
			t.Errorf("no infra namespace holder while a container is on a network")
		}
		killWhere(m.uid, "cmdline", "__monitor")
		if m.rootless && !waitFor(10*time.Second, func() bool { return !helperRuns(m.uid, "__netinfra") }) {
			t.Errorf("the infra namespace holder outlived the last monitor")
		}
		s.must("ps", "-a")
		s.must("run", "--rm", "--network", "back", "--ip", "10.97.3.70", "busybox", "true")
		s.must("rm", "-f", "-t", "0", "crashy")

		// As root the rules live in the host's nftables: a flush (a
		// firewall reload) is mended by network reload.
		if !m.rootless {
			exec.Command("nft", "delete", "table", "inet", "scow").Run()
			s.must("network", "reload", "--all")
			if out, err := exec.Command("nft", "list", "table", "inet", "scow").CombinedOutput(); err != nil || !strings.Contains(string(out), "masquerade") {
				t.Errorf("after network reload: %v\n%s", err, out)
			}
			// The next container on a network mends a flush by itself.
			exec.Command("nft", "delete", "table", "inet", "scow").Run()
			s.must("run", "--rm", "--network", "back", "busybox", "true")
			if out, err := exec.Command("nft", "list", "table", "inet", "scow").CombinedOutput(); err != nil || !strings.Contains(string(out), "masquerade") {
				t.Errorf("after a run on a flushed firewall: %v\n%s", err, out)
			}
		} else {
			s.must("network", "reload")
		}

		ifaces := strings.Fields(s.must("network", "inspect", "--format", "{{.NetworkInterface}}", "back", "iso"))
		if got := s.must("network", "prune", "-f"); got != "back\niso\n" {
			t.Errorf("network prune: %q", got)
		}
		if got := s.must("network", "ls", "-q"); got != "scow\n" {
			t.Errorf("after prune: %q", got)
		}
		if !m.rootless {
			out, _ := exec.Command("ip", "-br", "link").Output()
			for _, i := range ifaces {
				if strings.Contains(string(out), i+" ") {
					t.Errorf("bridge %s of a pruned network left:\n%s", i, out)
				}
			}
		}
		noHelpersLeft(t, s, m)
	})
}

// threadNetns returns the network namespaces the threads of uid's
// process with helper name (argv[1]) are in.
func threadNetns(t *testing.T, uid int, name string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmd, err := os.ReadFile(p + "/cmdline")
		if argv := strings.Split(string(cmd), "\x00"); err != nil || len(argv) < 2 || argv[1] != name {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(p, &st) != nil || int(st.Uid) != uid {
			continue
		}
		tasks, _ := filepath.Glob(p + "/task/*/ns/net")
		for _, task := range tasks {
			if ns, err := os.Readlink(task); err == nil {
				out[ns] = true
			}
		}
	}
	return out
}

// TestIPv6Networks: dual-stack named networks, with --ip-range, --route,
// --ip6 and network connect --ip6.
func TestIPv6Networks(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		defer func() {
			s.scow("rm", "-af", "-t", "0")
			s.scow("network", "prune", "-f")
		}()
		s.must("network", "create", "--subnet", "10.97.9.0/24", "--subnet", "fd91:aaaa::/64", "--ip-range", "10.97.9.100-10.97.9.110",
			"--route", "10.98.0.0/16,10.97.9.254,5", "six")
		var recs []map[string]any
		if err := json.Unmarshal([]byte(s.must("network", "inspect", "six")), &recs); err != nil || len(recs) != 1 {
			t.Fatalf("network inspect: %v %v", recs, err)
		}
		subnets, routes := fmt.Sprint(recs[0]["subnets"]), fmt.Sprint(recs[0]["routes"])
		if recs[0]["ipv6_enabled"] != true || !strings.Contains(subnets, "subnet:fd91:aaaa::/64") || !strings.Contains(subnets, "start_ip:10.97.9.100") || !strings.Contains(routes, "10.98.0.0/16") {
			t.Errorf("network inspect of a dual-stack network: %v", recs[0])
		}
		s.must("run", "-d", "--name", "web6", "--network", "six", "--ip6", "fd91:aaaa::80", "busybox", "sh", "-c", webServer("six-page", 80))
		got := s.must("run", "--rm", "--network", "six", "busybox", "sh", "-c",
			"ip -4 addr show eth0 | grep -o 'inet [0-9./]*'; ip -6 route | grep -c default; ip route | grep -c '10.98.0.0/16 via 10.97.9.254'; "+
				"for i in $(seq 50); do wget -q -O - 'http://[fd91:aaaa::80]/' && break; sleep 0.1; done; grep -c 'fd91:aaaa::80.*web6' /etc/hosts")
		if want := "inet 10.97.9.101/24\n1\n1\nsix-page\n1\n"; got != want {
			t.Errorf("a client on the dual-stack network:\n%s\nwant:\n%s", got, want)
		}
		if got := s.must("inspect", "--format", "{{.NetworkSettings.GlobalIPv6Address}}/{{.NetworkSettings.GlobalIPv6PrefixLen}} {{.NetworkSettings.IPv6Gateway}}", "web6"); got != "fd91:aaaa::80/64 fd91:aaaa::1\n" {
			t.Errorf("inspect's IPv6 settings: %q", got)
		}
		// network connect --ip6 gives a running container a second one.
		s.must("network", "create", "--subnet", "fd91:bbbb::/64", "other6")
		s.must("network", "connect", "--ip6", "fd91:bbbb::7", "other6", "web6")
		if got := s.must("exec", "web6", "sh", "-c", "ip -6 addr | grep -c 'fd91:bbbb::7/64'"); got != "1\n" {
			t.Errorf("network connect --ip6: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--network", "six", "--ip6", "fd91:cccc::1", "busybox", "true"), 125, "--ip6")
		wantError(t, s.scow("run", "--rm", "--network", "six", "--ip6", "fd91:aaaa::80", "busybox", "true"), 125, "web6")
		s.must("network", "create", "--subnet", "10.97.10.0/24", "four")
		wantError(t, s.scow("run", "--rm", "--network", "four", "--ip6", "fd91:aaaa::9", "busybox", "true"), 125, "no IPv6 subnet")
		wantError(t, s.scow("run", "--rm", "--network", "slirp4netns", "--ip6", "fd91:aaaa::9", "busybox", "true"), 125, "named network")
		wantError(t, s.scow("network", "create", "--subnet", "10.97.11.0/24", "--ip-range", "10.97.12.0/28", "bad"), 125, "--ip-range")
		wantError(t, s.scow("network", "create", "--route", "10.98.0.0/16", "bad"), 125, "--route")
		if got := s.must("ps", "-a", "--format", "{{.Names}}"); got != "web6\n" {
			t.Errorf("failed runs left containers: %q", got)
		}
	})
}
