package netns

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrInvalidMode is wrapped for a --network value scow does not know.
var ErrInvalidMode = errors.New("unknown network mode")

// Kinds of network.
const (
	ModeNone      = "none"
	ModeHost      = "host"
	ModeSlirp     = "slirp4netns"
	ModePasta     = "pasta"
	ModeContainer = "container"
	ModeNS        = "ns"
	// ModeBridge is a named network, Target its name.
	ModeBridge = "bridge"
)

// Mode is a parsed --network value.
type Mode struct {
	Kind string `json:"kind"`
	// Options of slirp4netns (allow_host_loopback, mtu, port_handler,
	// enable_ipv6, cidr, outbound_addr), or pasta's own arguments.
	Options []string `json:"options,omitempty"`
	// Target is the container of container:NAME, the path of ns:PATH,
	// the network of a named one.
	Target string `json:"target,omitempty"`
}

// slirpOptions are the options slirp4netns mode takes, as Podman spells
// them.
var slirpOptions = map[string]func(string) error{
	"allow_host_loopback": isBool,
	"enable_ipv6":         isBool,
	"mtu": func(v string) error {
		if n, err := strconv.Atoi(v); err != nil || n < 68 || n > 65521 {
			return errors.New("want a number from 68 to 65521")
		}
		return nil
	},
	"port_handler": func(v string) error {
		if v != "rootlesskit" && v != "slirp4netns" {
			return errors.New("want rootlesskit or slirp4netns")
		}
		return nil
	},
	"cidr":          func(string) error { return nil },
	"outbound_addr": func(string) error { return nil },
}

func isBool(v string) error {
	if v != "true" && v != "false" {
		return errors.New("want true or false")
	}
	return nil
}

// ParseMode reads a --network value; empty is the default, slirp4netns.
func ParseMode(s string) (Mode, error) {
	kind, rest, hasRest := strings.Cut(s, ":")
	bad := func(why string) (Mode, error) {
		return Mode{}, fmt.Errorf("--network %q: %w: %s", s, ErrInvalidMode, why)
	}
	switch kind {
	case "", "private", ModeSlirp:
		m := Mode{Kind: ModeSlirp}
		if hasRest {
			for _, o := range strings.Split(rest, ",") {
				k, v, _ := strings.Cut(o, "=")
				check, ok := slirpOptions[k]
				if !ok {
					return bad("unknown slirp4netns option " + k)
				}
				if err := check(v); err != nil {
					return bad(k + ": " + err.Error())
				}
				m.Options = append(m.Options, o)
			}
		}
		return m, nil
	case ModePasta:
		m := Mode{Kind: ModePasta}
		if hasRest && rest != "" {
			m.Options = strings.Split(rest, ",")
		}
		return m, nil
	case ModeNone, ModeHost:
		if hasRest {
			return bad(kind + " takes no options")
		}
		return Mode{Kind: kind}, nil
	case ModeContainer:
		if rest == "" {
			return bad("give container:NAME or container:ID")
		}
		return Mode{Kind: kind, Target: rest}, nil
	case ModeNS:
		if !filepath.IsAbs(rest) {
			return bad("give ns:/absolute/path of a network namespace")
		}
		return Mode{Kind: kind, Target: rest}, nil
	case ModeBridge, DefaultNetwork:
		// bridge:NAME is how a record keeps a named network.
		if rest == "" {
			rest = DefaultNetwork
		}
		return Mode{Kind: ModeBridge, Target: rest}, nil
	}
	if !hasRest && networkName.MatchString(s) {
		return Mode{Kind: ModeBridge, Target: s}, nil
	}
	return bad("use slirp4netns[:OPTIONS], pasta[:OPTIONS], none, host, container:NAME, ns:PATH or the name of a network")
}

// Option returns the value of a slirp4netns option, or def.
func (m Mode) Option(key, def string) string {
	for _, o := range m.Options {
		if k, v, _ := strings.Cut(o, "="); k == key {
			return v
		}
	}
	return def
}

// Private tells whether the container gets a network namespace of its
// own (pinned by scow, so that others can join it).
func (m Mode) Private() bool {
	return m.Kind == ModeNone || m.Kind == ModeSlirp || m.Kind == ModePasta || m.Kind == ModeBridge
}

// String is the mode as --network takes it.
func (m Mode) String() string {
	switch {
	case m.Target != "":
		return m.Kind + ":" + m.Target
	case len(m.Options) > 0:
		return m.Kind + ":" + strings.Join(m.Options, ",")
	}
	return m.Kind
}
