package pods

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
)

func TestPodStatus(t *testing.T) {
	running := &record.State{Status: record.StatusRunning}
	paused := &record.State{Status: record.StatusRunning, Paused: true}
	exited := &record.State{Status: record.StatusExited}
	created := &record.State{Status: record.StatusCreated}
	for _, tc := range []struct {
		states []*record.State
		want   string
	}{
		{nil, StatusCreated},
		{[]*record.State{created, created}, StatusCreated},
		{[]*record.State{running, running}, StatusRunning},
		{[]*record.State{running, exited}, StatusDegraded},
		{[]*record.State{running, created}, StatusDegraded},
		{[]*record.State{paused, paused}, StatusPaused},
		{[]*record.State{paused, running}, StatusDegraded},
		{[]*record.State{exited, exited}, StatusExited},
		{[]*record.State{exited, created}, StatusStopped},
		{[]*record.State{exited, paused}, StatusStopped},
		{[]*record.State{nil, created}, StatusError},
	} {
		if got := podStatus(tc.states); got != tc.want {
			t.Errorf("podStatus(%v) = %s, want %s", tc.states, got, tc.want)
		}
	}
}

func TestPodFilters(t *testing.T) {
	now := time.Now()
	p := &Pod{
		Pod:    &record.Pod{ID: "abc123", Name: "shop", Created: now.Add(-time.Hour), Labels: map[string]string{"tier": "front"}},
		Status: StatusDegraded,
		Containers: []containers.Container{
			{Config: &record.Config{ID: "infra9", Name: "abc123-infra", Infra: true, Networks: []netns.Attachment{{Network: "scow"}}}, State: &record.State{Status: record.StatusRunning}},
			{Config: &record.Config{ID: "web777", Name: "web"}, State: &record.State{Status: record.StatusExited}},
		},
	}
	for _, tc := range []struct {
		filters []string
		match   bool
		err     string
	}{
		{nil, true, ""},
		{[]string{"name=sh"}, true, ""},
		{[]string{"name=^cart$", "name=^shop$"}, true, ""},
		{[]string{"name=cart"}, false, ""},
		{[]string{"id=abc"}, true, ""},
		{[]string{"id=xyz"}, false, ""},
		{[]string{"label=tier=front"}, true, ""},
		{[]string{"label=tier=front", "label=app"}, false, ""},
		{[]string{"label!=app"}, true, ""},
		{[]string{"status=degraded"}, true, ""},
		{[]string{"status=running"}, false, ""},
		{[]string{"ctr-names=^web$"}, true, ""},
		{[]string{"ctr-ids=web7"}, true, ""},
		{[]string{"ctr-status=exited"}, true, ""},
		{[]string{"ctr-status=stopped"}, true, ""},
		{[]string{"ctr-status=paused"}, false, ""},
		{[]string{"ctr-number=2"}, true, ""},
		{[]string{"ctr-number=3"}, false, ""},
		{[]string{"network=bridge"}, true, ""},
		{[]string{"network=back"}, false, ""},
		{[]string{"until=30m"}, true, ""},
		{[]string{"until=2h"}, false, ""},
		{[]string{"status=sleepy"}, false, "status wants"},
		{[]string{"ctr-number=x"}, false, "a number"},
		{[]string{"name=("}, false, "regular expression"},
		{[]string{"colour=red"}, false, "unknown key colour"},
		{[]string{"name"}, false, "KEY=VALUE"},
	} {
		match, err := parseFilters(tc.filters, now)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.filters, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.filters, err)
			continue
		}
		if got := match(p); got != tc.match {
			t.Errorf("%v matched %t, want %t", tc.filters, got, tc.match)
		}
	}
	if got := p.Networks(); !slices.Equal(got, []string{"scow"}) || p.InfraID() != "infra9" {
		t.Errorf("Networks %v, InfraID %s", got, p.InfraID())
	}
}
