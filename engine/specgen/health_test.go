package specgen

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/scow-project/scow/engine/errdefs"
)

func TestHealthcheck(t *testing.T) {
	two, zero := 2, 0
	image := &dockerspec.HealthcheckConfig{Test: []string{"CMD", "check"}, Interval: 5 * time.Second, Retries: 4}
	tests := []struct {
		name  string
		o     HealthOptions
		image *dockerspec.HealthcheckConfig
		want  string // fmt of the check's fields; "nil" for none
		err   string
	}{
		{"no flags, no image", HealthOptions{}, nil, "nil", ""},
		{"the image's", HealthOptions{}, image, "[CMD check] 5s 30s 4 none", ""},
		{"a shell command", HealthOptions{Cmd: "curl -f localhost"}, nil, "[CMD-SHELL curl -f localhost] 30s 30s 3 none", ""},
		{"a JSON array", HealthOptions{Cmd: `["/bin/check", "-q"]`}, nil, "[CMD /bin/check -q] 30s 30s 3 none", ""},
		{"JSON with CMD-SHELL", HealthOptions{Cmd: `["CMD-SHELL", "x"]`}, nil, "[CMD-SHELL x] 30s 30s 3 none", ""},
		{"flags over the image's", HealthOptions{Interval: "1s", Retries: &two, OnFailure: "kill"}, image, "[CMD check] 1s 30s 2 kill", ""},
		{"interval disable", HealthOptions{Cmd: "x", Interval: "disable"}, nil, "[CMD-SHELL x] 0s 30s 3 none", ""},
		{"none", HealthOptions{Cmd: "NONE"}, image, "nil", ""},
		{"--no-healthcheck", HealthOptions{Disable: true}, image, "nil", ""},
		{"the image's NONE", HealthOptions{}, &dockerspec.HealthcheckConfig{Test: []string{"NONE"}}, "nil", ""},
		{"bad interval", HealthOptions{Cmd: "x", Interval: "soon"}, nil, "", "--health-interval"},
		{"zero timeout", HealthOptions{Cmd: "x", Timeout: "0s"}, nil, "", "--health-timeout"},
		{"zero retries", HealthOptions{Cmd: "x", Retries: &zero}, nil, "", "--health-retries"},
		{"bad action", HealthOptions{Cmd: "x", OnFailure: "explode"}, nil, "", "--health-on-failure"},
		{"bad JSON", HealthOptions{Cmd: "[x"}, nil, "", "--health-cmd"},
		{"bare CMD", HealthOptions{Cmd: `["CMD"]`}, nil, "", "--health-cmd"},
		{"log destination", HealthOptions{Cmd: "x", LogDestination: "somewhere"}, nil, "", "--health-log-destination"},
		{"log directory missing", HealthOptions{Cmd: "x", LogDestination: "/nonexistent/dir"}, nil, "", "not a directory"},
		{"startup without a check", HealthOptions{StartupCmd: "x"}, nil, "", "--health-startup-cmd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := tt.o.Healthcheck(tt.image)
			if tt.err != "" {
				if err == nil || !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one about %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := "nil"
			if h != nil {
				got = fmt.Sprintf("%v %v %v %d %s", h.Test, h.Interval, h.Timeout, h.Retries, h.OnFailure)
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestHealthArgs(t *testing.T) {
	tests := []struct {
		test, want []string
	}{
		{[]string{"CMD-SHELL", "a b"}, []string{"/bin/sh", "-c", "a b"}},
		{[]string{"CMD", "x", "y"}, []string{"x", "y"}},
	}
	for _, tt := range tests {
		if got := HealthArgs(tt.test); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("HealthArgs(%v) = %v, want %v", tt.test, got, tt.want)
		}
	}
}
