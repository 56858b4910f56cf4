package record

import (
	"errors"
	"os"
	"path/filepath"
	"time"
)

// Health statuses, as Docker's State.Health.Status.
const (
	HealthStarting  = "starting"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// Healthcheck is a container's check: --health-* or its image's
// HEALTHCHECK.
type Healthcheck struct {
	// Test is Docker's form: ["CMD", ARGS...] or ["CMD-SHELL", COMMAND].
	Test []string `json:"test"`
	// Interval between checks (0: none but healthcheck run), Timeout of
	// one, StartPeriod in which failures do not count.
	Interval    time.Duration `json:"interval"`
	Timeout     time.Duration `json:"timeout"`
	StartPeriod time.Duration `json:"start_period,omitempty"`
	// Retries failures in a row make the container unhealthy.
	Retries int `json:"retries"`
	// OnFailure is what an unhealthy container gets: none, kill,
	// restart or stop.
	OnFailure string `json:"on_failure,omitempty"`
	// MaxLogCount results are kept, each MaxLogSize bytes of output at
	// most (0: no limit).
	MaxLogCount int `json:"max_log_count"`
	MaxLogSize  int `json:"max_log_size"`
	// LogDestination is where results go besides the state: "" or
	// local (nowhere else), events_logger (the health_status events),
	// or a directory (ID-healthcheck.log, the health as JSON).
	LogDestination string `json:"log_destination,omitempty"`
	// Startup, if set, runs first until it passes: then the checks above
	// start.
	Startup *StartupCheck `json:"startup,omitempty"`
}

// StartupCheck is --health-startup-*: checks run at Interval until
// Success of them passed in a row (0: one); Retries failures in a row
// (0: no limit) restart the container.
type StartupCheck struct {
	Test     []string      `json:"test"`
	Interval time.Duration `json:"interval"`
	Timeout  time.Duration `json:"timeout"`
	Retries  int           `json:"retries,omitempty"`
	Success  int           `json:"success,omitempty"`
}

// Health is a container's health, as Docker's State.Health shows it.
type Health struct {
	Status        string      `json:"Status"`
	FailingStreak int         `json:"FailingStreak"`
	Log           []HealthLog `json:"Log"`
	// StartupPassed: the startup check passed, the regular ones run;
	// StartupStreak counts its passes in a row.
	StartupPassed bool `json:"StartupPassed,omitempty"`
	StartupStreak int  `json:"StartupStreak,omitempty"`
}

// HealthLog is one check's result.
type HealthLog struct {
	Start    time.Time `json:"Start"`
	End      time.Time `json:"End"`
	ExitCode int       `json:"ExitCode"`
	Output   string    `json:"Output"`
}

// HealthResult is what one check found.
type HealthResult struct {
	// Status is the container's health after it; Passed says the check
	// itself passed.
	Status string
	Passed bool
	// Action is what the container gets for it: "" (nothing), kill,
	// restart or stop: its --health-on-failure when it turned
	// unhealthy, restart when its startup check failed too often.
	Action string
}

func (s Store) healthPath(id string) string { return filepath.Join(s.Dir(id), "health.json") }

// LoadHealth reads container id's health; nil when it has none yet.
func (s Store) LoadHealth(id string) (*Health, error) {
	var h Health
	if err := ReadJSON(s.healthPath(id), &h); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return &h, nil
}

// UpdateHealth changes container id's health with change, under its own
// lock (the checks must not wait for a stop holding the container's).
func (s Store) UpdateHealth(id string, change func(h *Health)) (*Health, error) {
	unlock, err := Lock(filepath.Join(s.Dir(id), "health.lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	h, err := s.LoadHealth(id)
	if err != nil {
		return nil, err
	}
	if h == nil {
		h = &Health{Status: HealthStarting}
	}
	change(h)
	return h, WriteJSON(s.healthPath(id), h, false)
}
