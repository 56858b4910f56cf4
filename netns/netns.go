package netns

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrInvalidMode is wrapped for a --network value scow does not know.
var ErrInvalidMode = errors.New("unknown network mode")

// Modes.
const (
	ModeNone = "none"
	ModeHost = "host"
)

// ParseMode checks a --network value; empty means the default.
func ParseMode(mode string) (string, error) {
	switch mode {
	case "", "private", "slirp4netns", ModeNone:
		// Until slirp4netns networking lands, every private mode is a
		// namespace with loopback only.
		return ModeNone, nil
	case ModeHost:
		return ModeHost, nil
	}
	return "", fmt.Errorf("%q: %w: use none or host", mode, ErrInvalidMode)
}

// Options describe a container's network.
type Options struct {
	Mode     string
	Hostname string
	// Dir receives the generated files.
	Dir string
}

// Setup is a prepared network.
type Setup struct {
	// NetNS is "" for a new namespace, "host" for the host's.
	NetNS string
	// Mounts bind the generated files into the container.
	Mounts []specs.Mount
}

// Prepare writes hosts, resolv.conf and hostname into o.Dir and returns
// the namespace and mounts for the spec.
func Prepare(o Options) (*Setup, error) {
	mode, err := ParseMode(o.Mode)
	if err != nil {
		return nil, err
	}
	s := &Setup{}
	hosts := fmt.Appendf(nil, "127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n127.0.1.1\t%s\n", o.Hostname)
	resolv := []byte{}
	if mode == ModeHost {
		s.NetNS = "host"
		if h, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts = append(bytes.TrimRight(h, "\n"), '\n')
		}
		if r, err := os.ReadFile("/etc/resolv.conf"); err == nil {
			resolv = r
		}
	}
	files := []struct {
		name string
		data []byte
	}{
		{"hosts", hosts},
		{"resolv.conf", resolv},
		{"hostname", []byte(o.Hostname + "\n")},
	}
	for _, f := range files {
		p := filepath.Join(o.Dir, f.name)
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", p, err)
		}
		s.Mounts = append(s.Mounts, specs.Mount{
			Destination: "/etc/" + f.name, Type: "bind", Source: p,
			Options: []string{"rbind", "rprivate", "rw"},
		})
	}
	return s, nil
}
