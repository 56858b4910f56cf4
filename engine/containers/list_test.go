package containers

import (
	"errors"
	"testing"
	"time"

	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
)

func TestParseFilters(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	web := Container{
		Config: &record.Config{
			ID: "abcdef0123", Name: "web", Image: "localhost/busybox", Labels: map[string]string{"app": "shop", "tier": "front"},
			Networks: []netns.Attachment{{Network: "front"}, {Network: netns.DefaultNetwork}},
			Created:  now.Add(-time.Hour), Entrypoint: []string{"httpd"}, Cmd: []string{"-f"},
			Volumes:       []record.Mount{{Type: record.MountVolume, Source: "data", Destination: "/srv"}},
			RestartPolicy: record.RestartPolicy{Name: "always"}, Pod: "pod1abc",
		},
		State: &record.State{Status: record.StatusExited, ExitCode: 3},
	}
	others := map[string]*record.Config{"old": {Created: now.Add(-2 * time.Hour)}, "new": {Created: now}}
	lookup := func(ref string) (*record.Config, error) {
		if c, ok := others[ref]; ok {
			return c, nil
		}
		return nil, errors.New("no such container " + ref)
	}
	for _, tc := range []struct {
		filters []string
		match   bool
		err     bool
	}{
		{filters: nil, match: true},
		{filters: []string{"name=we"}, match: true},
		{filters: []string{"name=db"}},
		{filters: []string{"name=db", "name=web"}, match: true},
		{filters: []string{"id=abc"}, match: true},
		{filters: []string{"status=stopped"}, match: true},
		{filters: []string{"status=running"}},
		{filters: []string{"label=app=shop", "ancestor=busybox"}, match: true},
		{filters: []string{"label=app=cart"}},
		{filters: []string{"exited=3"}, match: true},
		{filters: []string{"network=front"}, match: true},
		{filters: []string{"network=bridge"}, match: true},
		{filters: []string{"network=back"}},
		{filters: []string{"network=front", "name=db"}},
		{filters: []string{"label=app=shop", "label=tier=front"}, match: true},
		{filters: []string{"label=app=shop", "label=tier=back"}},
		{filters: []string{"label!=tier"}},
		{filters: []string{"label!=owner"}, match: true},
		{filters: []string{"name=^w.b$"}, match: true},
		{filters: []string{"since=old", "before=new"}, match: true},
		{filters: []string{"since=new"}},
		{filters: []string{"until=30m"}, match: true},
		{filters: []string{"until=2h"}},
		{filters: []string{"volume=data"}, match: true},
		{filters: []string{"volume=/srv/"}, match: true},
		{filters: []string{"volume=other"}},
		{filters: []string{"restart-policy=always"}, match: true},
		{filters: []string{"restart-policy=no"}},
		{filters: []string{"command=httpd"}, match: true},
		{filters: []string{"health=none"}, match: true},
		{filters: []string{"health=healthy"}},
		{filters: []string{"pod=p1"}},
		{filters: []string{"pod=pod1"}, match: true},
		{filters: []string{"pod=pod1abc"}, match: true},
		{filters: []string{"pod=shop"}, match: true},
		{filters: []string{"pod=web"}},
		{filters: []string{"health=green"}, err: true},
		{filters: []string{"since=nosuch"}, err: true},
		{filters: []string{"name=("}, err: true},
		{filters: []string{"exited=x"}, err: true},
		{filters: []string{"colour=red"}, err: true},
		{filters: []string{"name"}, err: true},
	} {
		pred, err := parseFilters(tc.filters, now, lookup, func(id string) string { return map[string]string{"pod1abc": "shop"}[id] })
		if tc.err {
			if err == nil {
				t.Errorf("%v: no error", tc.filters)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.filters, err)
			continue
		}
		if got := pred(web); got != tc.match {
			t.Errorf("%v matched %v, want %v", tc.filters, got, tc.match)
		}
	}
}
