//go:build e2e

package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPods runs a pod of two containers that talk over localhost and
// serve on the pod's published port, through the pod's lifecycle.
func TestPods(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		port := freeHostPort(t)
		podID := strings.TrimSpace(s.must("pod", "create", "--name", "shop", "-p", fmt.Sprintf("127.0.0.1:%d:8080", port), "--label", "tier=front"))
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(podID) {
			t.Fatalf("pod create printed %q, want the pod's ID", podID)
		}
		infraName := podID[:12] + "-infra"
		if got := s.must("pod", "ps", "--format", "{{.Name}} {{.Status}} {{.NumberOfContainers}} {{.Labels}}"); got != "shop Created 1 map[tier:front]\n" {
			t.Errorf("pod ps of a new pod: %q", got)
		}
		lines := strings.Split(strings.TrimSpace(s.must("pod", "ps")), "\n")
		if len(lines) != 2 || !regexp.MustCompile(`^POD ID +NAME +STATUS +CREATED +INFRA ID +# OF CONTAINERS$`).MatchString(lines[0]) ||
			!strings.HasPrefix(lines[1], podID[:12]+"  shop  Created") {
			t.Errorf("pod ps:\n%s", strings.Join(lines, "\n"))
		}
		// The web server and its client share the pod's network.
		s.must("run", "-d", "--pod", "shop", "--name", "web", "busybox", "sh", "-c", webServer("from-the-pod", 8080))
		if got := s.must("run", "--rm", "--pod", "shop", "busybox", "sh", "-c", "hostname; "+httpGet("127.0.0.1", 8080)); got != "shop\nfrom-the-pod\n" {
			t.Errorf("a member's host name and what it fetched on localhost: %q", got)
		}
		if got := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "from-the-pod\n" {
			t.Errorf("the pod's published port: %q", got)
		}
		if got := s.must("ps", "-a", "--pod", "--format", "{{.Names}} {{.Pod}} {{.PodName}}", "--sort", "names"); got != infraName+" "+podID[:12]+" shop\nweb "+podID[:12]+" shop\n" {
			t.Errorf("ps --pod: %q", got)
		}
		lines = strings.Split(strings.TrimSpace(s.must("ps", "--pod")), "\n")
		if !strings.HasSuffix(lines[0], "POD ID        PODNAME") {
			t.Errorf("ps --pod header: %q", lines[0])
		}
		if got := s.must("ps", "-a", "--filter", "pod=shop", "--format", "{{.Names}}", "--sort", "names"); got != infraName+"\nweb\n" {
			t.Errorf("ps --filter pod=shop: %q", got)
		}
		if got := s.must("ps", "-a", "--filter", "pod="+podID[:6], "-q"); len(strings.Fields(got)) != 2 {
			t.Errorf("ps --filter pod=ID-prefix: %q", got)
		}
		s.must("run", "-d", "--name", "loner", "busybox", "sleep", "60")
		if got := s.must("ps", "--filter", "pod=shop", "--format", "{{.Names}}", "--sort", "names"); strings.Contains(got, "loner") {
			t.Errorf("ps --filter pod= lists a container of no pod: %q", got)
		}
		if got := s.must("inspect", "--format", "{{.Pod}} {{.IsInfra}} {{len .Dependencies}}", "web", infraName); got != podID+" false 1\n"+podID+" true 0\n" {
			t.Errorf("inspect Pod, IsInfra, Dependencies: %q", got)
		}

		// pod inspect: a JSON array, with Podman's fields.
		var in []struct {
			ID               string `json:"Id"`
			Name, State      string
			Hostname         string
			InfraContainerID string
			SharedNamespaces []string
			NumContainers    int
			ExitPolicy       string
			Labels           map[string]string
			InfraConfig      struct {
				PortBindings map[string][]struct{ HostIp, HostPort string }
			}
			Containers []struct{ Id, Name, State string }
		}
		if err := json.Unmarshal([]byte(s.must("pod", "inspect", "shop")), &in); err != nil || len(in) != 1 {
			t.Fatalf("pod inspect: %v", err)
		}
		p := in[0]
		infraID := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", infraName))
		if p.ID != podID || p.Name != "shop" || p.State != "Running" || p.Hostname != "shop" || p.InfraContainerID != infraID ||
			strings.Join(p.SharedNamespaces, ",") != "ipc,net,uts" || p.NumContainers != 2 || p.ExitPolicy != "continue" || p.Labels["tier"] != "front" {
			t.Errorf("pod inspect: %+v", p)
		}
		if b := p.InfraConfig.PortBindings["8080/tcp"]; len(b) != 1 || b[0].HostPort != fmt.Sprint(port) || b[0].HostIp != "127.0.0.1" {
			t.Errorf("pod inspect PortBindings: %+v", p.InfraConfig.PortBindings)
		}
		if len(p.Containers) != 2 || p.Containers[0].Name != infraName || p.Containers[1].Name != "web" || p.Containers[1].State != "running" {
			t.Errorf("pod inspect Containers: %+v", p.Containers)
		}
		if got := s.must("pod", "inspect", "--format", "{{.Name}} {{.NumContainers}}", "shop"); got != "shop 2\n" {
			t.Errorf("pod inspect --format: %q", got)
		}

		// top, logs, stats of the pod.
		top := s.must("pod", "top", "shop")
		if !strings.Contains(top, "/catatonit -P") || !strings.Contains(top, "httpd -f -p 8080") {
			t.Errorf("pod top lists not the infra and the web server:\n%s", top)
		}
		s.must("run", "-d", "--pod", "shop", "--name", "talker", "busybox", "sh", "-c", "echo said-once; sleep 60")
		mustWaitFor(t, 10*time.Second, "talker's line", func() bool { return strings.Contains(s.must("logs", "talker"), "said-once") })
		talkerID := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", "talker"))
		if got := s.must("pod", "logs", "shop"); got != talkerID[:12]+" said-once\n" {
			t.Errorf("pod logs: %q", got)
		}
		if got := s.must("pod", "logs", "--names", "shop"); got != "talker said-once\n" {
			t.Errorf("pod logs --names: %q", got)
		}
		if got := s.must("pod", "logs", "-c", "talker", "shop"); got != "said-once\n" {
			t.Errorf("pod logs -c: %q", got)
		}
		wantError(t, s.scow("pod", "logs", "-c", "loner", "shop"), 125, "pod shop has no container loner")
		stats := s.must("pod", "stats", "--no-stream", "--format", "{{.Pod}} {{.Name}}", "shop")
		for _, want := range []string{podID[:12] + " " + infraName, podID[:12] + " web", podID[:12] + " talker"} {
			if !strings.Contains(stats, want+"\n") {
				t.Errorf("pod stats lacks %q:\n%s", want, stats)
			}
		}
		if r := s.scow("pod", "stats", "--no-stream", "shop"); r.code != 0 || !strings.HasPrefix(r.stdout, "POD ") || !strings.Contains(r.stdout, "MEM USAGE/ LIMIT") {
			t.Errorf("pod stats: %s", r)
		}

		// The lifecycle: pause, unpause (as root: rootless here has no
		// freezer), stop, start, restart, kill.
		if m.rootless {
			wantError(t, s.scow("pod", "pause", "shop"), 125, "freezer")
		} else {
			if got := s.must("pod", "pause", "shop"); got != podID+"\n" {
				t.Errorf("pod pause printed %q", got)
			}
			if got := s.must("pod", "ps", "--format", "{{.Status}}"); got != "Paused\n" {
				t.Errorf("a paused pod: %q", got)
			}
			s.must("pod", "unpause", "shop")
		}
		if got := s.must("pod", "ps", "--format", "{{.Status}}", "--ctr-status"); got != "Running\n" {
			t.Errorf("an unpaused pod: %q", got)
		}
		if got := s.must("pod", "stop", "-t", "1", "shop"); got != podID+"\n" {
			t.Errorf("pod stop printed %q", got)
		}
		if got := s.must("pod", "ps", "--format", "{{.Status}} {{.ContainerStatuses}}"); got != "Exited exited,exited,exited\n" {
			t.Errorf("a stopped pod: %q", got)
		}
		if got := s.must("pod", "ps", "--filter", "status=exited", "-q"); got != podID[:12]+"\n" {
			t.Errorf("pod ps --filter status=exited: %q", got)
		}
		if got := s.must("pod", "ps", "--filter", "status=running", "-q"); got != "" {
			t.Errorf("pod ps --filter status=running: %q", got)
		}
		// A member's start starts the infra container first.
		s.must("start", "web")
		if got := s.must("pod", "ps", "--format", "{{.Status}}"); got != "Degraded\n" {
			t.Errorf("a pod with one of its containers stopped: %q", got)
		}
		if got := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "from-the-pod\n" {
			t.Errorf("the published port after a member's start: %q", got)
		}
		s.must("pod", "start", "shop")
		if got := s.must("pod", "ps", "--format", "{{.Status}}"); got != "Running\n" {
			t.Errorf("a started pod: %q", got)
		}
		s.must("pod", "restart", "-t", "1", "shop")
		if got := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "from-the-pod\n" {
			t.Errorf("the published port after pod restart: %q", got)
		}
		s.must("pod", "kill", "shop")
		mustWaitFor(t, 10*time.Second, "the killed pod exits", func() bool {
			return s.must("pod", "ps", "--format", "{{.Status}}") == "Exited\n"
		})
		wantError(t, s.scow("pod", "kill", "shop"), 125, "no running container")

		// rm: the infra container goes with the pod only, a running
		// pod only with -f.
		s.must("pod", "start", "shop")
		wantError(t, s.scow("rm", "-f", infraName), 125, "infra container of pod shop", "pod rm")
		wantError(t, s.scow("pod", "rm", "shop"), 125, "running", "-f")
		r := s.scow("rm", "-a", "-f", "-t", "0")
		if r.code != 0 || strings.Contains(r.stdout, infraName) {
			t.Errorf("rm -a removed the infra container, or failed on it: %s", r)
		}
		if got := s.must("pod", "ps", "--format", "{{.Status}} {{.NumberOfContainers}}"); got != "Running 1\n" {
			t.Errorf("the pod after rm -a: %q", got)
		}
		if got := s.must("pod", "rm", "-f", "-t", "0", "shop"); got != podID+"\n" {
			t.Errorf("pod rm -f printed %q", got)
		}
		if got := s.must("ps", "-aq"); got != "" {
			t.Errorf("containers left after pod rm: %q", got)
		}
		if r := s.scow("pod", "exists", "shop"); r.code != 1 {
			t.Errorf("pod exists of a removed pod: %s", r)
		}
		wantError(t, s.scow("pod", "rm", "shop"), 125, "no such pod: shop")
		if r := s.scow("pod", "rm", "--ignore", "shop"); r.code != 0 {
			t.Errorf("pod rm --ignore of a missing pod: %s", r)
		}
		want := "create stop start stop start kill start remove"
		if !m.rootless {
			want = "create pause unpause stop start stop start kill start remove"
		}
		if got := s.must("events", "--stream=false", "--filter", "type=pod", "--filter", "pod=shop", "--format", "{{.Status}}"); strings.Join(strings.Fields(got), " ") != want {
			t.Errorf("the pod's events: %q, want %s", got, want)
		}
		noHelpersLeft(t, s, m)
	})
}

// TestPodOptions covers pod create's other flags, --pod new: and
// --pod-id-file, the exit policy, prune, and the errors of each.
func TestPodOptions(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		dir := m.userDir(t)

		// --pod new: makes the pod with the container's network flags.
		port := freeHostPort(t)
		s.must("run", "-d", "--pod", "new:fresh", "--name", "srv", "-p", fmt.Sprintf("127.0.0.1:%d:8081", port), "busybox", "sh", "-c", webServer("fresh", 8081))
		if got := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "fresh\n" {
			t.Errorf("--pod new: with -p: %q", got)
		}
		if got := s.must("pod", "inspect", "--format", "{{.Name}} {{.NumContainers}} {{.Hostname}}", "fresh"); got != "fresh 2 fresh\n" {
			t.Errorf("the pod of --pod new: %q", got)
		}
		wantError(t, s.scow("run", "--pod", "new:fresh", "busybox", "true"), 125, "fresh", "already in use")
		// A container that cannot be made takes its new pod with it.
		wantError(t, s.scow("run", "--pod", "new:gone", "--name", "srv", "busybox", "true"), 125, "srv")
		if r := s.scow("pod", "exists", "gone"); r.code != 1 {
			t.Errorf("a failed run --pod new: left its pod: %s", r)
		}

		// --pod-id-file, --share pid, --hostname, --volume, --exit-policy stop.
		idFile := filepath.Join(dir, "pod.id")
		data := m.userDir(t)
		os.WriteFile(filepath.Join(data, "note"), []byte("shared\n"), 0o644)
		podID := strings.TrimSpace(s.must("pod", "create", "--pod-id-file", idFile, "--share", "+pid", "--hostname", "inside",
			"--exit-policy", "stop", "-v", data+":/data:ro", "--infra-name", "holder", "pidpod"))
		if b, _ := os.ReadFile(idFile); string(b) != podID {
			t.Errorf("--pod-id-file holds %q, want %q", b, podID)
		}
		wantError(t, s.scow("pod", "create", "--pod-id-file", filepath.Join(dir, "missing", "pod.id"), "other"), 125, "--pod-id-file")
		if r := s.scow("pod", "exists", "other"); r.code != 1 {
			t.Errorf("a pod create that could not write its --pod-id-file left the pod: %s", r)
		}
		if got := s.must("run", "--rm", "--pod-id-file", idFile, "busybox", "sh", "-c", "hostname; cat /data/note; cat /proc/1/cmdline | tr '\\0' ' '"); got != "inside\nshared\n/catatonit -P " {
			t.Errorf("a member of a pod sharing pid, with a host name and a volume: %q", got)
		}
		if got := s.must("pod", "inspect", "--format", "{{.SharedNamespaces}} {{.ExitPolicy}} {{.InfraContainerID}}", "pidpod"); !strings.HasPrefix(got, "[ipc net pid uts] stop ") {
			t.Errorf("pod inspect of pidpod: %q", got)
		}
		// Its last member gone, the exit policy stops the infra.
		mustWaitFor(t, 15*time.Second, "the exit policy stops the pod", func() bool {
			return s.must("pod", "ps", "--filter", "name=^pidpod$", "--format", "{{.Status}}") == "Exited\n"
		})
		if got := s.must("ps", "-a", "--filter", "name=holder", "--format", "{{.Names}} {{.State}}"); got != "holder exited\n" {
			t.Errorf("--infra-name, and the infra container after the exit policy: %q", got)
		}
		// container prune leaves a pod's infra container to the pod.
		s.must("container", "prune", "-f")
		if got := s.must("pod", "ps", "--filter", "name=^pidpod$", "--format", "{{.NumberOfContainers}}"); got != "1\n" {
			t.Errorf("container prune took the infra container of a stopped pod: %q", got)
		}
		// prune removes stopped and exited pods only.
		s.must("pod", "create", "--name", "idle")
		if got := s.must("pod", "prune", "-f"); got != podID+"\n" {
			t.Errorf("pod prune: %q", got)
		}
		if got := s.must("pod", "ps", "--format", "{{.Name}}", "--sort", "name"); got != "fresh\nidle\n" {
			t.Errorf("pods after prune: %q", got)
		}

		// A pod of a name no host name may have, or of none.
		anon := strings.TrimSpace(s.must("pod", "create"))
		if got := s.must("run", "--rm", "--pod", anon, "busybox", "hostname"); !regexp.MustCompile(`^[a-z0-9-]+\n$`).MatchString(got) {
			t.Errorf("the host name of a pod of a random name: %q", got)
		}
		s.must("pod", "create", "under_score")
		if got := s.must("run", "--rm", "--pod", "under_score", "busybox", "hostname"); got != "under-score\n" {
			t.Errorf("the host name of pod under_score: %q", got)
		}
		s.must("pod", "rm", "-f", "-t", "0", anon, "under_score")

		// Init containers: always runs at each pod start, once only at
		// the first and is gone after.
		s.must("pod", "create", "--name", "initpod")
		s.must("create", "--pod", "initpod", "--init-ctr", "always", "--name", "everytime", "-v", "initlog:/log", "busybox", "sh", "-c", "echo always >> /log/l")
		s.must("create", "--pod", "initpod", "--init-ctr", "once", "--name", "firsttime", "-v", "initlog:/log", "busybox", "sh", "-c", "echo once >> /log/l")
		s.must("create", "--pod", "initpod", "--name", "reader", "-v", "initlog:/log", "busybox", "sh", "-c", "cat /log/l; sleep 600")
		s.must("pod", "start", "initpod")
		mustWaitFor(t, 10*time.Second, "the reader's output", func() bool { return s.must("logs", "reader") == "always\nonce\n" })
		if r := s.scow("container", "exists", "firsttime"); r.code != 1 {
			t.Errorf("an init container run once is still there: %s", r)
		}
		s.must("pod", "stop", "-t", "0", "initpod")
		s.must("pod", "start", "initpod")
		mustWaitFor(t, 10*time.Second, "the reader's output after a restart", func() bool {
			return strings.HasSuffix(s.must("logs", "reader"), "always\nonce\nalways\n")
		})
		wantError(t, s.scow("create", "--init-ctr", "always", "busybox", "true"), 125, "--init-ctr", "--pod")
		wantError(t, s.scow("create", "--pod", "initpod", "--init-ctr", "sometimes", "busybox", "true"), 125, "--init-ctr", "always or once")
		s.must("pod", "rm", "-f", "-t", "0", "initpod")

		// --replace, --infra=false, --share none.
		oldID := strings.TrimSpace(s.must("pod", "ps", "-q", "--no-trunc", "--filter", "name=idle"))
		newID := strings.TrimSpace(s.must("pod", "create", "--replace", "--name", "idle", "--infra=false"))
		if newID == oldID || s.must("pod", "ps", "-q", "--no-trunc", "--filter", "name=idle") != newID+"\n" {
			t.Errorf("--replace kept the old pod")
		}
		if got := s.must("run", "--rm", "--pod", "idle", "busybox", "hostname"); got == "idle\n" {
			t.Errorf("a pod without an infra container shares its host name: %q", got)
		}
		if got := s.must("pod", "inspect", "--format", "{{.CreateInfra}} {{.NumContainers}} {{.InfraContainerID}}", "idle"); got != "false 0 \n" {
			t.Errorf("a pod without infra: %q", got)
		}
		s.must("pod", "create", "--share", "none", "solo")
		if got := s.must("run", "--rm", "--pod", "solo", "busybox", "hostname"); got == "solo\n" {
			t.Errorf("a pod sharing nothing gave its host name: %q", got)
		}

		// Errors: each a clear line, nothing half-made.
		for _, tc := range []struct {
			args  []string
			code  int
			words []string
		}{
			{[]string{"pod", "create", "--name", "fresh"}, 125, []string{"fresh", "already in use"}},
			{[]string{"pod", "create", "--name", "bad/name"}, 125, []string{"bad/name"}},
			{[]string{"pod", "create", "--share", "mnt"}, 125, []string{"mnt", "not a namespace"}},
			{[]string{"pod", "create", "--infra=false", "--share", "net"}, 125, []string{"--share", "infra"}},
			{[]string{"pod", "create", "--infra=false", "-p", "8080"}, 125, []string{"-p", "infra"}},
			{[]string{"pod", "create", "--exit-policy", "later"}, 125, []string{"--exit-policy", "continue or stop"}},
			{[]string{"pod", "create", "--replace"}, 125, []string{"--replace", "--name"}},
			{[]string{"pod", "create", "--userns", "auto"}, 125, []string{"--userns=auto", "--infra-image"}},
			{[]string{"pod", "create", "--infra=false", "--infra-name", "holder2"}, 125, []string{"--infra-name", "--infra=false"}},
			{[]string{"pod", "stop", "--pod-id-file", "/nonexistent/pod.id"}, 125, []string{"--pod-id-file"}},
			{[]string{"pod", "create", "--name", "a", "b"}, 125, []string{"not both"}},
			{[]string{"run", "--pod", "nosuch", "busybox", "true"}, 125, []string{"no such pod: nosuch"}},
			{[]string{"run", "--pod", "fresh", "-p", "9999:80", "busybox", "true"}, 125, []string{"-p", "pod create"}},
			{[]string{"run", "--pod", "fresh", "--network", "none", "busybox", "true"}, 125, []string{"--network", "share its network"}},
			{[]string{"run", "--pod", "fresh", "--hostname", "h", "busybox", "true"}, 125, []string{"--hostname", "pod create"}},
			{[]string{"run", "--pod", "fresh", "--dns", "1.1.1.1", "busybox", "true"}, 125, []string{"--dns", "pod create"}},
			{[]string{"run", "--pod", "fresh", "--ipc", "host", "busybox", "true"}, 125, []string{"--ipc", "IPC"}},
			{[]string{"run", "--pod", "fresh", "--sysctl", "kernel.shmmax=1048576", "busybox", "true"}, 125, []string{"--sysctl", "kernel.shmmax"}},
			{[]string{"run", "--pod", "fresh", "-P", "busybox", "true"}, 125, []string{"-P", "pod create -p"}},
			{[]string{"run", "--pod", "new:", "busybox", "true"}, 125, []string{"new:NAME"}},
			{[]string{"pod", "start"}, 125, []string{"give at least one pod"}},
			{[]string{"pod", "stop", "-a", "fresh"}, 125, []string{"one of them"}},
			{[]string{"pod", "inspect", "nosuch"}, 125, []string{"no such pod"}},
			{[]string{"pod", "ps", "--filter", "colour=red"}, 125, []string{"unknown key colour"}},
			{[]string{"pod", "ps", "--filter", "status=sleepy"}, 125, []string{"status wants"}},
			{[]string{"pod", "ps", "--sort", "size"}, 125, []string{"--sort"}},
			{[]string{"pod", "rm", "-t", "1", "fresh"}, 125, []string{"--force"}},
		} {
			t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
				before := s.must("pod", "ps", "-q")
				ctrs := s.must("ps", "-aq")
				wantError(t, s.scow(tc.args...), tc.code, tc.words...)
				if s.must("pod", "ps", "-q") != before || s.must("ps", "-aq") != ctrs {
					t.Errorf("a failed %v left a pod or container", tc.args)
				}
			})
		}
		if r := s.scow("pod", "exists", "fresh"); r.code != 0 {
			t.Errorf("pod exists: %s", r)
		}

		// A pod create killed before its infra container leaves a pod
		// that lists with no containers, that members refuse, and that
		// pod rm removes.
		paused := filepath.Join(m.userDir(t), "paused")
		c := m.cmdEnv(context.Background(), s.root, s.run, []string{"SCOW_TEST_PAUSE=pod-record", "SCOW_TEST_PAUSED=" + paused}, "pod", "create", "--name", "cut")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		mustWaitFor(t, 20*time.Second, "pod create pauses", func() bool {
			b, _ := os.ReadFile(paused)
			return strings.HasSuffix(string(b), " pod-record\n")
		})
		killPaused(t, m.uid)
		c.Wait()
		if got := s.must("pod", "ps", "--filter", "name=cut", "--format", "{{.Name}} {{.NumberOfContainers}}"); got != "cut 0\n" {
			t.Errorf("a pod cut short: %q", got)
		}
		wantError(t, s.scow("run", "--pod", "cut", "busybox", "true"), 125, "lost its infra container", "pod rm")
		s.must("pod", "rm", "cut")
		if r := s.scow("pod", "create", "--name", "cut"); r.code != 0 {
			t.Errorf("the name of a pod cut short is not free after pod rm: %s", r)
		}
		s.must("pod", "rm", "-a", "-f", "-t", "0")
		if got := s.must("ps", "-aq"); got != "" {
			t.Errorf("containers left after pod rm -a -f: %q", got)
		}
		noHelpersLeft(t, s, m)
	})
}

// TestPodUserNamespace: a pod's user namespace is its infra container's,
// and its containers join it, with the same maps.
func TestPodUserNamespace(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		args := []string{"pod", "create", "--name", "mapped", "--uidmap", "0:200000:65536", "--gidmap", "0:200000:65536"}
		wantUser, wantMap := "0\n", "0 200000 65536"
		if m.rootless {
			args = []string{"pod", "create", "--name", "mapped", "--userns", "keep-id"}
			wantUser, wantMap = fmt.Sprintf("%d\n", m.uid), fmt.Sprintf("%d 0 1", m.uid) // the user is 0 in scow's namespace
		}
		s.must(args...)
		s.must("run", "-d", "--pod", "mapped", "--name", "member", "busybox", "sleep", "600")
		if got := s.must("exec", "member", "id", "-u"); got != wantUser {
			t.Errorf("a member's user: %q, want %q", got, wantUser)
		}
		if got := strings.Join(strings.Fields(s.must("exec", "member", "cat", "/proc/self/uid_map")), " "); !strings.Contains(got, wantMap) {
			t.Errorf("a member's uid_map: %q, want it to hold %q", got, wantMap)
		}
		nsOf := func(name string) string {
			pid := strings.TrimSpace(s.must("inspect", "--format", "{{.State.Pid}}", name))
			link, err := os.Readlink("/proc/" + pid + "/ns/user")
			if err != nil {
				t.Fatal(err)
			}
			return link
		}
		infra := strings.TrimSpace(s.must("pod", "inspect", "--format", "{{.InfraContainerID}}", "mapped"))
		if a, b := nsOf("member"), nsOf(infra); a != b {
			t.Errorf("the member's user namespace %s is not the infra container's %s", a, b)
		}
		wantError(t, s.scow("run", "--pod", "mapped", "--userns", "auto", "busybox", "true"), 125, "--userns", "pod create")
		s.must("pod", "rm", "-f", "-t", "0", "mapped")
	})
}

// TestPodClone: a copy of a pod has its settings and copies of its
// containers; --destroy removes the pod, --start starts the copy.
func TestPodClone(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("pod", "create", "--name", "orig", "--label", "a=1", "--hostname", "orighost", "--share", "+pid", "-v", "podvol:/shared")
		s.must("create", "--pod", "orig", "--name", "orig-app", "-e", "K=v", "-v", "own:/own", "--health-cmd", "true", "--health-interval", "9s",
			"busybox", "sh", "-c", "echo $K $(hostname) $(cat /proc/1/cmdline | tr '\\0' ' ')> /shared/out; ls -d /own; sleep 600")
		id := strings.TrimSpace(s.must("pod", "clone", "--start", "--label", "b=2", "orig"))
		if got := s.must("pod", "inspect", "--format", "{{.Name}} {{.State}} {{.Hostname}} {{.SharedNamespaces}} {{.Labels}} {{.NumContainers}}", id); got != "orig-clone Running orighost [ipc net pid uts] map[a:1 b:2] 2\n" {
			t.Errorf("the copy: %q", got)
		}
		mustWaitFor(t, 10*time.Second, "the copy's container writes", func() bool {
			return s.scow("run", "--rm", "-v", "podvol:/shared", "busybox", "cat", "/shared/out").stdout == "v orighost /catatonit -P\n"
		})
		if got := s.must("inspect", "--format", "{{.Config.Healthcheck.Interval}} {{.Pod}}", "orig-clone-app"); got != "9000000000 "+id+"\n" {
			t.Errorf("the copy's container: %q", got)
		}
		if got := s.must("pod", "ps", "--format", "{{.Name}}", "--sort", "name"); got != "orig\norig-clone\n" {
			t.Errorf("pods after clone: %q", got)
		}
		// --destroy: the copy takes the pod's place.
		s.must("pod", "clone", "--destroy", "orig", "again")
		if got := s.must("pod", "ps", "--format", "{{.Name}} {{.NumberOfContainers}}", "--sort", "name"); got != "again 2\norig-clone 2\n" {
			t.Errorf("pods after clone --destroy: %q", got)
		}
		if got := s.must("ps", "-a", "--format", "{{.Names}}", "--filter", "pod=again", "--sort", "names"); !strings.Contains(got, "again-app\n") {
			t.Errorf("the containers of the copy named again: %q", got)
		}
		// A second copy's containers get names of their own.
		s.must("pod", "clone", "again", "third")
		if got := s.must("ps", "-a", "--format", "{{.Names}}", "--filter", "pod=third"); !strings.Contains(got, "third-app\n") {
			t.Errorf("the containers of a second copy: %q", got)
		}
		// A played pod's files are the copy's own: the copy outlives it.
		played := m.userFile(t, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {greeting: hello-copy}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: kp}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - {name: c, image: busybox, command: [sh, -c, \"cat /cm/greeting; echo; sleep 600\"], volumeMounts: [{name: v, mountPath: /cm}]}\n  volumes:\n  - {name: v, configMap: {name: cm}}\n")
		s.must("kube", "play", played)
		s.must("pod", "clone", "--destroy", "--start", "kp", "kp2")
		mustWaitFor(t, 10*time.Second, "the copy of a played pod reads its file", func() bool { return s.must("logs", "kp2-c") == "hello-copy\n" })
		if r := s.scow("pod", "exists", "kp"); r.code != 1 {
			t.Errorf("clone --destroy left the pod: %s", r)
		}
		wantError(t, s.scow("pod", "clone", "nosuch"), 125, "no such pod: nosuch")
		wantError(t, s.scow("generate", "systemd", "--new", "third"), 125, "no create command", "without --new")
		wantError(t, s.scow("pod", "clone", "again", "orig-clone"), 125, "orig-clone", "already in use")
		wantError(t, s.scow("pod", "clone", "--name", "x", "again", "y"), 125, "not both")
		s.must("pod", "rm", "-a", "-f", "-t", "0")
	})
}
