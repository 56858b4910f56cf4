package specgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
)

// HealthOptions are the --health-* flags of run and create.
type HealthOptions struct {
	// Cmd is the check: a command line for the shell, a JSON array run
	// as it is, or NONE (no check, not even the image's).
	Cmd string
	// Interval (or disable), Timeout and StartPeriod are durations;
	// "" keeps the image's, else the default.
	Interval, Timeout, StartPeriod string
	Retries                        *int
	// OnFailure is none, kill, restart or stop.
	OnFailure string
	// LogDestination is local: results are kept in the state.
	LogDestination          string
	MaxLogCount, MaxLogSize *int
	// Startup* are the startup check's: it runs until it passes.
	StartupCmd, StartupInterval, StartupTimeout string
	StartupRetries, StartupSuccess              int
	// Disable is --no-healthcheck.
	Disable bool
}

// Health defaults, as Podman's.
const (
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 30 * time.Second
	defaultHealthRetries  = 3
	defaultHealthLogCount = 5
	defaultHealthLogSize  = 500
)

// Healthcheck is the container's check: the flags', over the image's
// (nil: none); nil too when the flags or the image say NONE.
func (o HealthOptions) Healthcheck(image *dockerspec.HealthcheckConfig) (*record.Healthcheck, error) {
	bad := func(format string, a ...any) error {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	if o.Disable || strings.EqualFold(o.Cmd, "none") {
		if o.StartupCmd != "" {
			return nil, bad("--health-startup-cmd needs a healthcheck: --no-healthcheck and --health-cmd none have none")
		}
		return nil, nil
	}
	h := &record.Healthcheck{Interval: defaultHealthInterval, Timeout: defaultHealthTimeout, Retries: defaultHealthRetries,
		MaxLogCount: defaultHealthLogCount, MaxLogSize: defaultHealthLogSize, OnFailure: "none"}
	if image != nil && len(image.Test) > 0 && !strings.EqualFold(image.Test[0], "NONE") {
		h.Test = image.Test
		if image.Interval > 0 {
			h.Interval = image.Interval
		}
		if image.Timeout > 0 {
			h.Timeout = image.Timeout
		}
		if image.Retries > 0 {
			h.Retries = image.Retries
		}
		h.StartPeriod = image.StartPeriod
	}
	if o.Cmd != "" {
		test, err := healthTest(o.Cmd)
		if err != nil {
			return nil, bad("--health-cmd: %v", err)
		}
		h.Test = test
	}
	if h.Test == nil {
		if o.StartupCmd != "" {
			return nil, bad("--health-startup-cmd needs --health-cmd (or the image's HEALTHCHECK)")
		}
		return nil, nil
	}
	for _, d := range []struct {
		flag, value string
		to          *time.Duration
		disable     bool
	}{{"--health-interval", o.Interval, &h.Interval, true}, {"--health-timeout", o.Timeout, &h.Timeout, false}, {"--health-start-period", o.StartPeriod, &h.StartPeriod, false}} {
		if d.value == "" {
			continue
		}
		if d.disable && d.value == "disable" {
			*d.to = 0
			continue
		}
		v, err := time.ParseDuration(d.value)
		if err != nil || v < 0 || v == 0 && d.flag == "--health-timeout" {
			return nil, bad("%s %q: give a duration such as 30s", d.flag, d.value)
		}
		*d.to = v
	}
	if o.Retries != nil {
		if *o.Retries < 1 {
			return nil, bad("--health-retries %d: give 1 or more", *o.Retries)
		}
		h.Retries = *o.Retries
	}
	switch o.OnFailure {
	case "":
	case "none", "kill", "restart", "stop":
		h.OnFailure = o.OnFailure
	default:
		return nil, bad("--health-on-failure %q: use none, kill, restart or stop", o.OnFailure)
	}
	switch d := o.LogDestination; {
	case d == "", d == "local", d == "events_logger":
		h.LogDestination = d
	case filepath.IsAbs(d):
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return nil, bad("--health-log-destination %s: not a directory", d)
		}
		h.LogDestination = d
	default:
		return nil, bad("--health-log-destination %s: use local, events_logger or an absolute directory", d)
	}
	for _, n := range []struct {
		flag string
		v    *int
		to   *int
	}{{"--health-max-log-count", o.MaxLogCount, &h.MaxLogCount}, {"--health-max-log-size", o.MaxLogSize, &h.MaxLogSize}} {
		if n.v != nil {
			if *n.v < 0 {
				return nil, bad("%s %d: give 0 (no limit) or more", n.flag, *n.v)
			}
			*n.to = *n.v
		}
	}
	if o.StartupCmd != "" {
		test, err := healthTest(o.StartupCmd)
		if err != nil {
			return nil, bad("--health-startup-cmd: %v", err)
		}
		s := &record.StartupCheck{Test: test, Interval: defaultHealthInterval, Timeout: defaultHealthTimeout, Retries: o.StartupRetries, Success: o.StartupSuccess}
		for _, d := range []struct {
			flag, value string
			to          *time.Duration
		}{{"--health-startup-interval", o.StartupInterval, &s.Interval}, {"--health-startup-timeout", o.StartupTimeout, &s.Timeout}} {
			if d.value == "" {
				continue
			}
			v, err := time.ParseDuration(d.value)
			if err != nil || v <= 0 {
				return nil, bad("%s %q: give a duration such as 30s", d.flag, d.value)
			}
			*d.to = v
		}
		if s.Retries < 0 || s.Success < 0 {
			return nil, bad("--health-startup-retries and --health-startup-success: give 0 or more")
		}
		h.Startup = s
	}
	return h, nil
}

// healthTest is Docker's test of a --health-cmd: a JSON array is run as
// it is (["CMD", ...] or ["CMD-SHELL", ...] as written), anything else
// by the shell.
func healthTest(cmd string) ([]string, error) {
	if !strings.HasPrefix(strings.TrimSpace(cmd), "[") {
		return []string{"CMD-SHELL", cmd}, nil
	}
	var args []string
	if err := json.Unmarshal([]byte(cmd), &args); err != nil || len(args) == 0 {
		return nil, errors.New("a JSON array of the command and its arguments, or a command line")
	}
	if args[0] == "CMD" || args[0] == "CMD-SHELL" {
		if len(args) < 2 {
			return nil, errors.New("no command after " + args[0])
		}
		return args, nil
	}
	return append([]string{"CMD"}, args...), nil
}

// HealthArgs is the command line a check's test runs.
func HealthArgs(test []string) []string {
	if len(test) > 1 && test[0] == "CMD-SHELL" {
		return []string{"/bin/sh", "-c", strings.Join(test[1:], " ")}
	}
	if len(test) > 0 && test[0] == "CMD" {
		return test[1:]
	}
	return test
}

// HealthOptionsOf are the flags that give a container check h again
// (a clone's); none for no check: --no-healthcheck.
func HealthOptionsOf(h *record.Healthcheck) HealthOptions {
	if h == nil {
		return HealthOptions{Disable: true}
	}
	test, _ := json.Marshal(h.Test)
	retries, count, size := h.Retries, h.MaxLogCount, h.MaxLogSize
	o := HealthOptions{Cmd: string(test), Interval: h.Interval.String(), Timeout: h.Timeout.String(), StartPeriod: h.StartPeriod.String(),
		Retries: &retries, OnFailure: h.OnFailure, LogDestination: h.LogDestination, MaxLogCount: &count, MaxLogSize: &size}
	if h.Interval == 0 {
		o.Interval = "disable"
	}
	if st := h.Startup; st != nil {
		stest, _ := json.Marshal(st.Test)
		o.StartupCmd, o.StartupInterval, o.StartupTimeout = string(stest), st.Interval.String(), st.Timeout.String()
		o.StartupRetries, o.StartupSuccess = st.Retries, st.Success
	}
	return o
}
