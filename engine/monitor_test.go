package engine

import (
	"github.com/scow-project/scow/engine/record"
	"testing"
	"time"
)

func TestRestartDelay(t *testing.T) {
	tests := []struct {
		policy  record.RestartPolicy
		st      record.State
		code    int
		restart bool
		delay   time.Duration
	}{
		{record.RestartPolicy{Name: "no"}, record.State{}, 1, false, 0},
		{record.RestartPolicy{}, record.State{}, 1, false, 0},
		{record.RestartPolicy{Name: "always"}, record.State{}, 0, true, 100 * time.Millisecond},
		{record.RestartPolicy{Name: "always"}, record.State{RestartCount: 3}, 0, true, 800 * time.Millisecond},
		{record.RestartPolicy{Name: "always"}, record.State{RestartCount: 20}, 0, true, time.Minute},
		{record.RestartPolicy{Name: "always"}, record.State{StoppedByUser: true}, 0, false, 0},
		{record.RestartPolicy{Name: "unless-stopped"}, record.State{}, 3, true, 100 * time.Millisecond},
		{record.RestartPolicy{Name: "on-failure"}, record.State{}, 0, false, 0},
		{record.RestartPolicy{Name: "on-failure"}, record.State{RestartCount: 7}, 2, true, 12800 * time.Millisecond},
		{record.RestartPolicy{Name: "on-failure", MaxRetries: 3}, record.State{RestartCount: 2}, 2, true, 400 * time.Millisecond},
		{record.RestartPolicy{Name: "on-failure", MaxRetries: 3}, record.State{RestartCount: 3}, 2, false, 0},
	}
	for _, tc := range tests {
		delay, ok := restartDelay(tc.policy, &tc.st, tc.code)
		if ok != tc.restart || ok && delay != tc.delay {
			t.Errorf("%+v after %+v, code %d: got %v %v, want %v %v", tc.policy, tc.st, tc.code, ok, delay, tc.restart, tc.delay)
		}
	}
}

func TestParseRestartPolicy(t *testing.T) {
	good := map[string]record.RestartPolicy{
		"": {Name: "no"}, "no": {Name: "no"}, "always": {Name: "always"}, "unless-stopped": {Name: "unless-stopped"},
		"on-failure": {Name: "on-failure"}, "on-failure:5": {Name: "on-failure", MaxRetries: 5},
	}
	for in, want := range good {
		if got, err := ParseRestartPolicy(in); err != nil || got != want {
			t.Errorf("ParseRestartPolicy(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"sometimes", "always:3", "on-failure:x", "on-failure:-1"} {
		if _, err := ParseRestartPolicy(bad); err == nil {
			t.Errorf("ParseRestartPolicy(%q) accepted", bad)
		}
	}
}

func TestParseLogOptsAndSignals(t *testing.T) {
	size, files, err := parseLogOpts([]string{"max-size=10k", "max-file=3"})
	if err != nil || size != 10*1024 || files != 3 {
		t.Errorf("parseLogOpts = %d %d %v", size, files, err)
	}
	for _, bad := range [][]string{{"max-size=huge"}, {"max-file=0"}, {"color=red"}} {
		if _, _, err := parseLogOpts(bad); err == nil {
			t.Errorf("parseLogOpts(%v) accepted", bad)
		}
	}
	for in, want := range map[string]int{"KILL": 9, "sigterm": 15, "SIGUSR1": 10, "2": 2} {
		if got, err := ParseSignal(in); err != nil || int(got) != want {
			t.Errorf("ParseSignal(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"NOPE", "0", "99", ""} {
		if _, err := ParseSignal(bad); err == nil {
			t.Errorf("ParseSignal(%q) accepted", bad)
		}
	}
}
