package netns

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// PortMapping publishes a container port on the host. HostPort 0 is
// picked when the container starts.
type PortMapping struct {
	HostIP   string `json:"host_ip,omitempty"`
	HostPort uint16 `json:"host_port"`
	// HostPortEnd, when set, makes HostPort..HostPortEnd a range to pick
	// a free port from (-p 8000-8010:80), as Docker does.
	HostPortEnd   uint16 `json:"host_port_end,omitempty"`
	ContainerPort uint16 `json:"container_port"`
	Protocol      string `json:"protocol"`
}

// ErrInvalidPort is wrapped for a bad -p value.
var ErrInvalidPort = errors.New("invalid port mapping")

// ParsePublish reads a -p value in any of Docker's forms:
// [[HOST-IP:][HOST-PORT[-END]]:]CONTAINER-PORT[-END][/PROTOCOL]; IPv6
// host addresses go in brackets. A range maps port by port.
func ParsePublish(spec string) ([]PortMapping, error) {
	bad := func(why string) ([]PortMapping, error) {
		return nil, fmt.Errorf("-p %q: %w: %s", spec, ErrInvalidPort, why)
	}
	rest, proto, _ := strings.Cut(spec, "/")
	proto = strings.ToLower(proto)
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return bad("the protocol must be tcp or udp")
	}
	var hostIP string
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 || len(rest) == end+1 || rest[end+1] != ':' {
			return bad("want [IPv6]:HOST-PORT:CONTAINER-PORT")
		}
		hostIP, rest = rest[1:end], rest[end+2:]
	}
	parts := strings.Split(rest, ":")
	var hostPart, ctrPart string
	switch len(parts) {
	case 1:
		ctrPart = parts[0]
	case 2:
		hostPart, ctrPart = parts[0], parts[1]
	case 3:
		if hostIP != "" {
			return bad("too many ':'")
		}
		hostIP, hostPart, ctrPart = parts[0], parts[1], parts[2]
	default:
		return bad("too many ':'")
	}
	if hostIP != "" && net.ParseIP(hostIP) == nil {
		return bad("host address " + hostIP + " is not an IP address")
	}
	cLo, cHi, err := portRange(ctrPart)
	if err != nil || cLo == 0 {
		return bad("container port: want a port or a range such as 80 or 80-90")
	}
	var hLo, hHi uint16
	if hostPart != "" {
		if hLo, hHi, err = portRange(hostPart); err != nil || hLo == 0 {
			return bad("host port: want a port or a range such as 8080 or 8080-8090")
		}
		if hHi-hLo != cHi-cLo && cLo != cHi {
			return bad("the host and container port ranges differ in size")
		}
		if cLo == cHi && hLo != hHi {
			return []PortMapping{{HostIP: hostIP, HostPort: hLo, HostPortEnd: hHi, ContainerPort: cLo, Protocol: proto}}, nil
		}
	}
	var out []PortMapping
	for p := cLo; ; p++ {
		m := PortMapping{HostIP: hostIP, ContainerPort: p, Protocol: proto}
		if hostPart != "" {
			m.HostPort = hLo + (p - cLo)
		}
		out = append(out, m)
		if p == cHi {
			break
		}
	}
	return out, nil
}

func portRange(s string) (lo, hi uint16, err error) {
	a, b, isRange := strings.Cut(s, "-")
	x, err := strconv.ParseUint(a, 10, 16)
	if err != nil {
		return 0, 0, err
	}
	y := x
	if isRange {
		if y, err = strconv.ParseUint(b, 10, 16); err != nil {
			return 0, 0, err
		}
	}
	if y < x {
		return 0, 0, errors.New("empty range")
	}
	return uint16(x), uint16(y), nil
}

// FormatPorts renders mappings as ps's PORTS column does:
// 0.0.0.0:8080->80/tcp, 127.0.0.1:8081->81/udp.
func FormatPorts(ports []PortMapping) string {
	sorted := SortPorts(ports)
	var out []string
	for i := 0; i < len(sorted); {
		p := sorted[i]
		// A run of consecutive ports shows as a range, as in Docker.
		n := 1
		for i+n < len(sorted) {
			q := sorted[i+n]
			if q.HostIP != p.HostIP || q.Protocol != p.Protocol || q.HostPort != p.HostPort+uint16(n) || q.ContainerPort != p.ContainerPort+uint16(n) {
				break
			}
			n++
		}
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		host, ctr := strconv.Itoa(int(p.HostPort)), strconv.Itoa(int(p.ContainerPort))
		if n > 1 {
			host += "-" + strconv.Itoa(int(p.HostPort)+n-1)
			ctr += "-" + strconv.Itoa(int(p.ContainerPort)+n-1)
		}
		out = append(out, fmt.Sprintf("%s->%s/%s", net.JoinHostPort(ip, host), ctr, p.Protocol))
		i += n
	}
	return strings.Join(out, ", ")
}

// SortPorts orders mappings by container port, then protocol.
func SortPorts(ports []PortMapping) []PortMapping {
	out := append([]PortMapping(nil), ports...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].ContainerPort != out[j].ContainerPort {
			return out[i].ContainerPort < out[j].ContainerPort
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}

// CheckPorts fails early, before anything is made, for a fixed host port
// that is in use or that an unprivileged user may not bind.
func CheckPorts(ports []PortMapping, rootless bool) error {
	for _, p := range ports {
		if p.HostPort == 0 || p.HostPortEnd != 0 {
			continue
		}
		if _, err := choosePorts([]PortMapping{p}, rootless); err != nil {
			return err
		}
		addr := net.JoinHostPort(p.HostIP, strconv.Itoa(int(p.HostPort)))
		var err error
		if p.Protocol == "udp" {
			var c net.PacketConn
			if c, err = net.ListenPacket("udp", addr); err == nil {
				c.Close()
			}
		} else {
			var l net.Listener
			if l, err = net.Listen("tcp", addr); err == nil {
				l.Close()
			}
		}
		if err != nil {
			return publishError(p, err)
		}
	}
	return nil
}
