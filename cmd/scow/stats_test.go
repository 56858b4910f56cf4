package main

import (
	"testing"
	"time"

	"github.com/scow-project/scow/engine/containers"
)

func TestStatsLineCPU(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(started time.Time, after time.Duration, cpu time.Duration) *containers.Stats {
		return &containers.Stats{ID: "0123456789abcdef", Name: "c", Time: started.Add(after), StartedAt: started, CPU: cpu, HasCPU: true}
	}
	restarted := start.Add(time.Hour)
	for _, tc := range []struct {
		name      string
		s, prev   *containers.Stats
		perc, avg string
	}{
		{"a first reading: the average", at(start, 10*time.Second, 5*time.Second), nil, "50.00%", "50.00%"},
		{"since the last reading", at(start, 20*time.Second, 15*time.Second), at(start, 10*time.Second, 5*time.Second), "100.00%", "75.00%"},
		{"a restart in between: the average", at(restarted, 10*time.Second, time.Second), at(start, 10*time.Second, 5*time.Second), "10.00%", "10.00%"},
	} {
		r := statsLine(tc.s, tc.prev, false)
		if r.CPUPerc != tc.perc || r.AVGCPU != tc.avg {
			t.Errorf("%s: CPU %% %s, average %s; want %s, %s", tc.name, r.CPUPerc, r.AVGCPU, tc.perc, tc.avg)
		}
	}
}
