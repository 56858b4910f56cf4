package images

import (
	"errors"
	"slices"
	"testing"

	"github.com/scow-project/scow/engine/errdefs"
)

func TestParseChanges(t *testing.T) {
	c, err := ParseChanges([]string{
		"CMD=echo hi", `ENTRYPOINT ["/bin/sh","-c"]`, "ENV=A=1", "ENV B 2", "WORKDIR=/w",
		"USER=nobody", "LABEL=k=v", "EXPOSE=80 53/udp", "VOLUME=/data", "STOPSIGNAL=SIGINT",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Cmd, []string{"/bin/sh", "-c", "echo hi"}) || !slices.Equal(c.Entrypoint, []string{"/bin/sh", "-c"}) {
		t.Errorf("cmd %q entrypoint %q", c.Cmd, c.Entrypoint)
	}
	if !slices.Equal(c.Env, []string{"A=1", "B=2"}) || c.WorkingDir != "/w" || c.User != "nobody" || c.StopSignal != "SIGINT" {
		t.Errorf("changes %+v", c)
	}
	if c.Labels["k"] != "v" || len(c.ExposedPorts) != 2 || len(c.Volumes) != 1 {
		t.Errorf("labels %v ports %v volumes %v", c.Labels, c.ExposedPorts, c.Volumes)
	}
	if _, ok := c.ExposedPorts["80/tcp"]; !ok {
		t.Errorf("EXPOSE 80 did not default to tcp: %v", c.ExposedPorts)
	}
	for _, bad := range []string{"BOGUS x", "WORKDIR=rel", "ENV", "CMD=[broken", "LABEL=novalue", "CMD="} {
		if _, err := ParseChanges([]string{bad}); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("ParseChanges(%q) = %v, want errdefs.ErrInvalid", bad, err)
		}
	}
}
