package netns

import (
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// startPasta runs pasta on the namespace: it configures it like the
// host's network and forwards the published ports itself. It quits when
// the namespace's pin goes.
func (n *Network) startPasta(o Options) error {
	bin, err := exec.LookPath("pasta")
	if err != nil {
		return fmt.Errorf("--network pasta: pasta is %w: install the passt package (hack/install-deps.sh)", errNoHelper)
	}
	ports, err := choosePorts(o.Ports, o.Rootless)
	if err != nil {
		return err
	}
	args := append([]string{"--config-net", "--foreground", "--quiet"}, pastaPorts(ports)...)
	if o.MacAddress != "" {
		args = append(args, "--ns-mac-addr", o.MacAddress)
	}
	// Podman's defaults: the host's loopback stays out of reach (-T/-U
	// auto would forward its ports into the namespace, and the gateway
	// would lead to it), unless the user's own options say otherwise.
	user := strings.Join(o.Mode.Options, " ")
	for _, d := range [][2]string{{"-T", "none"}, {"-U", "none"}} {
		if !strings.Contains(" "+user, " "+d[0]) {
			args = append(args, d[0], d[1])
		}
	}
	if !strings.Contains(user, "map-gw") {
		args = append(args, "--no-map-gw")
	}
	if len(o.DNS) == 0 && len(reachableServers()) == 0 {
		// The host resolves on loopback: pasta forwards to it.
		args = append(args, "--dns-forward", pastaDNS)
	}
	args = append(args, o.Mode.Options...)
	if !o.Rootless {
		// pasta drops root for nobody, who cannot reach the run root.
		args = append(args, "--runas", "0:0")
	}
	// pasta stays in scow's user namespace, which owns the namespace or
	// the container's user namespace that does.
	args = append(args, "--netns-only", "--netns", n.NSPath)
	cmd := exec.Command(bin, args...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start pasta: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	n.onStop(func() {
		cmd.Process.Kill()
		<-done
	})
	// pasta has no ready signal: its forwarded ports are listening, or
	// the namespace's interface is configured, once it is up.
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("pasta: %s", firstLine(stderr.String(), fmt.Errorf("exited: %v", err)))
		default:
		}
		if pastaReady(n.NSPath) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pasta did not get ready in 10 s: %s", firstLine(stderr.String(), fmt.Errorf("no error printed")))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// This pasta only warns when a port is taken: check that it holds
	// each one.
	for _, p := range ports {
		if err := CheckPorts([]PortMapping{p}, false); err == nil {
			return publishError(p, fmt.Errorf("pasta did not bind it (address already in use?)"))
		}
	}
	n.Ports = ports
	return nil
}

// pastaDNS is the address pasta forwards DNS queries from when the host
// resolves on loopback.
const pastaDNS = "169.254.1.1"

// pastaPorts renders mappings as pasta's options, one -t or -u each
// (pasta takes no list that mixes addresses); "none" for a protocol
// without any, or pasta would forward every port it finds.
func pastaPorts(ports []PortMapping) []string {
	args := map[string][]string{}
	for _, p := range ports {
		s := fmt.Sprintf("%d:%d", p.HostPort, p.ContainerPort)
		if p.HostIP != "" {
			s = p.HostIP + "/" + s
		}
		flag := map[string]string{"tcp": "-t", "udp": "-u"}[p.Protocol]
		args[flag] = append(args[flag], flag, s)
	}
	var out []string
	for _, flag := range []string{"-t", "-u"} {
		if len(args[flag]) == 0 {
			args[flag] = []string{flag, "none"}
		}
		out = append(out, args[flag]...)
	}
	return out
}
