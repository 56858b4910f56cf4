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
	tcp, udp := pastaPorts(ports, "tcp"), pastaPorts(ports, "udp")
	args := []string{"--config-net", "--foreground", "--quiet", "-t", tcp, "-u", udp}
	if o.MacAddress != "" {
		args = append(args, "--ns-mac-addr", o.MacAddress)
	}
	args = append(args, o.Mode.Options...)
	// Already in the namespace's user namespace: pasta must not join it.
	args = append(args, "--netns-only", "--netns", n.NSPath)
	cmd := exec.Command(bin, args...)
	var stderr strings.Builder
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
	n.Ports = ports
	return nil
}

// pastaPorts renders mappings of proto as pasta's -t/-u spec, "none"
// for no ports.
func pastaPorts(ports []PortMapping, proto string) string {
	var specs []string
	for _, p := range ports {
		if p.Protocol != proto {
			continue
		}
		s := fmt.Sprintf("%d:%d", p.HostPort, p.ContainerPort)
		if p.HostIP != "" {
			s = p.HostIP + "/" + s
		}
		specs = append(specs, s)
	}
	if len(specs) == 0 {
		return "none"
	}
	return strings.Join(specs, ",")
}
