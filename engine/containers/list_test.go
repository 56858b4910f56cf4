package containers

import (
	"testing"

	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
)

func TestParseFilters(t *testing.T) {
	web := Container{
		Config: &record.Config{
			ID: "abcdef0123", Name: "web", Image: "localhost/busybox", Labels: map[string]string{"app": "shop"},
			Networks: []netns.Attachment{{Network: "front"}, {Network: netns.DefaultNetwork}},
		},
		State: &record.State{Status: record.StatusExited, ExitCode: 3},
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
		{filters: []string{"exited=x"}, err: true},
		{filters: []string{"colour=red"}, err: true},
		{filters: []string{"name"}, err: true},
	} {
		pred, err := parseFilters(tc.filters)
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
