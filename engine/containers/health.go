package containers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"golang.org/x/sys/unix"
)

// Healthcheck runs container ref's check once (its startup check until
// that passed), records the result in its health and returns it. A
// container without a check, or not running, is an error.
func (e *Service) Healthcheck(ctx context.Context, ref string) (record.HealthResult, error) {
	id, st, err := e.running(ctx, ref)
	if err != nil {
		return record.HealthResult{}, err
	}
	cfg, err := e.Rec.LoadConfig(id)
	if err != nil {
		return record.HealthResult{}, err
	}
	hc := cfg.Healthcheck
	if hc == nil {
		return record.HealthResult{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s has no healthcheck", ref))
	}
	if st.Paused {
		// Not checked, as not running: no result.
		return record.HealthResult{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s is paused: no check", ref))
	}
	before, err := e.Rec.LoadHealth(id)
	if err != nil {
		return record.HealthResult{}, err
	}
	startup := hc.Startup != nil && (before == nil || !before.StartupPassed)
	test, timeout := hc.Test, hc.Timeout
	if startup {
		test, timeout = hc.Startup.Test, hc.Startup.Timeout
	}
	start := time.Now()
	code, output := e.runCheck(ctx, id, specgen.HealthArgs(test), timeout)
	if err := ctx.Err(); err != nil {
		return record.HealthResult{}, err // it stops: no result
	}
	res := record.HealthResult{}
	h, err := e.Rec.UpdateHealth(id, func(h *record.Health) {
		was := h.Status
		if hc.MaxLogSize > 0 && len(output) > hc.MaxLogSize {
			output = output[:hc.MaxLogSize]
		}
		h.Log = append(h.Log, record.HealthLog{Start: start.UTC(), End: time.Now().UTC(), ExitCode: code, Output: output})
		if hc.MaxLogCount > 0 && len(h.Log) > hc.MaxLogCount {
			h.Log = h.Log[len(h.Log)-hc.MaxLogCount:]
		}
		switch {
		case startup && code == 0:
			h.FailingStreak = 0
			if h.StartupStreak++; h.StartupStreak >= max(1, hc.Startup.Success) {
				h.StartupPassed, h.StartupStreak = true, 0
			}
		case startup:
			h.StartupStreak = 0
			if h.FailingStreak++; hc.Startup.Retries > 0 && h.FailingStreak >= hc.Startup.Retries {
				res.Action, h.FailingStreak = "restart", 0
			}
		case code == 0:
			h.Status, h.FailingStreak = record.HealthHealthy, 0
		case hc.StartPeriod > 0 && time.Since(st.StartedAt) < hc.StartPeriod:
			// Failures while it starts do not count.
		default:
			if h.FailingStreak++; h.FailingStreak >= hc.Retries {
				h.Status = record.HealthUnhealthy
				if was != record.HealthUnhealthy && hc.OnFailure != "none" {
					res.Action = hc.OnFailure
				}
			}
		}
	})
	if err != nil {
		return record.HealthResult{}, err
	}
	res.Status, res.Passed = h.Status, code == 0
	attrs := map[string]string{"health_status": h.Status}
	switch d := hc.LogDestination; {
	case d == "events_logger":
		if last, err := json.Marshal(h.Log[len(h.Log)-1]); err == nil {
			attrs["health_log"] = string(last)
		}
	case filepath.IsAbs(d):
		if err := record.WriteJSON(filepath.Join(d, id+"-healthcheck.log"), h, false); err != nil {
			return res, fmt.Errorf("--health-log-destination: %w", err)
		}
	}
	e.Rec.EventByID(id, "health_status", attrs)
	return res, nil
}

// runCheck runs a check's command in container id, as exec does, and
// returns its exit code and output; past timeout it is killed and counts
// as failed.
func (e *Service) runCheck(ctx context.Context, id string, args []string, timeout time.Duration) (int, string) {
	var out lockedBuffer
	done := make(chan error, 1)
	kill := make(chan os.Signal, 1)
	go func() {
		done <- e.Exec(ctx, id, ExecOptions{Args: args, NoEvent: true}, attach.Streams{Out: &out, Err: &out, Signals: kill, SigProxy: true})
	}()
	select {
	case err := <-done:
		if err == nil {
			return 0, out.String()
		}
		var exit *errdefs.ExitError
		if !errors.As(err, &exit) {
			out.Write([]byte(err.Error())) // it could not run: why
		}
		return errdefs.ExitCode(err), out.String()
	case <-time.After(timeout):
		// Its process goes, as Docker's does with a check past its time.
		kill <- unix.SIGKILL
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return 1, fmt.Sprintf("healthcheck timed out after %s", timeout)
	case <-ctx.Done():
		return 1, ctx.Err().Error()
	}
}

// ApplyHealthAction does to container ref what its check asked: kill,
// restart or stop it.
func (e *Service) ApplyHealthAction(ctx context.Context, ref, action string) error {
	switch action {
	case "kill":
		return e.Kill(ctx, ref, unix.SIGKILL)
	case "restart":
		return e.Restart(ctx, ref, nil)
	case "stop":
		return e.Stop(ctx, ref, nil)
	}
	return nil
}

// lockedBuffer is an output the check's streams share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
