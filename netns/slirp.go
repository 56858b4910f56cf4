package netns

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// subnetAddr is address host (2 gateway, 3 DNS, 100 guest) of the
// slirp4netns network of m (10.0.2.0/24 unless cidr= says otherwise).
func subnetAddr(m Mode, host byte) string {
	_, n, err := net.ParseCIDR(m.Option("cidr", "10.0.2.0/24"))
	if err != nil || n.IP.To4() == nil {
		n = &net.IPNet{IP: net.IPv4(10, 0, 2, 0).To4()}
	}
	ip := append(net.IP(nil), n.IP.To4()...)
	ip[3] = host
	return ip.String()
}

// slirpTap is the interface slirp4netns makes in the namespace.
const slirpTap = "tap0"

func gatewayAddr(m Mode) string { return subnetAddr(m, 2) }
func dnsAddr(m Mode) string     { return subnetAddr(m, 3) }
func guestAddr(m Mode) string   { return subnetAddr(m, 100) }

// startSlirp runs slirp4netns on the container's namespace, with the
// options of its mode, and publishes the ports.
func (n *Network) startSlirp(o Options) error {
	m := o.Mode
	args := []string{"--mtu=" + m.Option("mtu", "65520")}
	if m.Option("allow_host_loopback", "false") != "true" {
		args = append(args, "--disable-host-loopback")
	}
	if m.Option("enable_ipv6", "false") == "true" {
		args = append(args, "--enable-ipv6")
	}
	if c := m.Option("cidr", ""); c != "" {
		args = append(args, "--cidr="+c)
	}
	if a := m.Option("outbound_addr", ""); a != "" {
		args = append(args, "--outbound-addr="+a)
	}
	if o.MacAddress != "" {
		args = append(args, "--macaddress="+o.MacAddress)
	}
	api := ""
	if m.Option("port_handler", "rootlesskit") == "slirp4netns" && len(o.Ports) > 0 {
		api = n.NSPath + ".api"
	}
	if err := n.runSlirp(o.SlirpPath, args, api); err != nil {
		return err
	}
	if api != "" {
		return n.slirpForward(api, o)
	}
	return n.forward(o, n.NSPath, guestAddr(m))
}

// runSlirp runs slirp4netns on the namespace n.NSPath, with an API
// socket at api unless it is empty: it quits when the pipe it watches
// closes, with this process or at Stop.
func (n *Network) runSlirp(path string, opts []string, api string) error {
	bin, err := exec.LookPath(cmp.Or(path, "slirp4netns"))
	if err != nil && path != "" {
		return fmt.Errorf("--network slirp4netns: --network-cmd-path %s: %w", path, err)
	}
	if err != nil {
		return fmt.Errorf("--network slirp4netns: slirp4netns is %w: install it (hack/install-deps.sh)", errNoHelper)
	}
	args := append([]string{"--configure", "--enable-sandbox", "--enable-seccomp",
		"--netns-type=path", "--ready-fd=3", "--exit-fd=4"}, opts...)
	if api != "" {
		os.Remove(api)
		args = append(args, "--api-socket="+api)
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	exitR, exitW, err := os.Pipe()
	if err != nil {
		readyR.Close()
		readyW.Close()
		return err
	}
	cmd := exec.Command(bin, append(args, n.NSPath, slirpTap)...)
	cmd.ExtraFiles = []*os.File{readyW, exitR}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	err = cmd.Start()
	readyW.Close()
	exitR.Close()
	if err != nil {
		readyR.Close()
		exitW.Close()
		return fmt.Errorf("start slirp4netns: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	n.onStop(func() {
		exitW.Close()
		if api != "" {
			os.Remove(api)
		}
		n.onReap(func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		})
	})
	// It writes "1" once the namespace's tap0 is up.
	readyR.SetReadDeadline(time.Now().Add(30 * time.Second))
	b := make([]byte, 1)
	_, err = io.ReadFull(readyR, b)
	readyR.Close()
	if err != nil {
		return fmt.Errorf("slirp4netns did not get ready: %s", firstLine(stderr.String(), err))
	}
	return nil
}

// slirpForward publishes the ports through slirp4netns's API.
func (n *Network) slirpForward(api string, o Options) error {
	ports, err := choosePorts(o.Ports, o.Rootless)
	if err != nil {
		return err
	}
	for _, p := range ports {
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		req := map[string]any{"execute": "add_hostfwd", "arguments": map[string]any{
			"proto": p.Protocol, "host_addr": ip, "host_port": p.HostPort,
			"guest_addr": guestAddr(o.Mode), "guest_port": p.ContainerPort,
		}}
		if err := slirpAPI(api, req); err != nil {
			return publishError(p, err)
		}
	}
	n.Ports = ports
	return nil
}

// slirpAPI sends one request to slirp4netns's API socket.
func slirpAPI(path string, req any) error {
	c, err := net.Dial("unix", path)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return err
	}
	c.(*net.UnixConn).CloseWrite()
	var rep struct {
		Error *struct {
			Desc string `json:"desc"`
		} `json:"error"`
	}
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return err
	}
	if err := json.Unmarshal(line, &rep); err != nil {
		return err
	}
	if rep.Error != nil {
		return fmt.Errorf("%s", rep.Error.Desc)
	}
	return nil
}

// choosePorts picks free host ports for mappings without one, and
// refuses ports an unprivileged user cannot bind.
func choosePorts(ports []PortMapping, rootless bool) ([]PortMapping, error) {
	out := make([]PortMapping, len(ports))
	start := unprivilegedPortStart()
	for i, p := range ports {
		switch {
		case p.HostPortEnd != 0:
			port, err := freePortIn(p.Protocol, p.HostIP, p.HostPort, p.HostPortEnd)
			if err != nil {
				return nil, err
			}
			p.HostPort, p.HostPortEnd = port, 0
		case p.HostPort == 0:
			port, err := freePort(p.Protocol, p.HostIP)
			if err != nil {
				return nil, publishError(p, err)
			}
			p.HostPort = port
		}
		if rootless {
			if int(p.HostPort) < start {
				return nil, fmt.Errorf("%w: -p %d: ports below %d need root: add net.ipv4.ip_unprivileged_port_start=%d to /etc/sysctl.conf, or publish on a port from %d up", ErrInvalidPort, p.HostPort, start, p.HostPort, start)
			}
		}
		out[i] = p
	}
	return out, nil
}

// publishError says which port could not be published.
func publishError(p PortMapping, err error) error {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	msg := err.Error()
	if strings.Contains(msg, "address already in use") {
		return fmt.Errorf("publish %s:%d/%s: the port is in use on the host: stop what uses it, or choose another", ip, p.HostPort, p.Protocol)
	}
	return fmt.Errorf("publish %s:%d/%s: %w", ip, p.HostPort, p.Protocol, err)
}

// lockedBuffer collects a helper's stderr while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func firstLine(s string, err error) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return err.Error()
	}
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// portsDir holds the port forwarder's sockets of a pinned namespace.
func portsDir(nsPath string) string { return nsPath + ".p" }
