package images

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
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

// TestDownloadStall: a server that stops sending fails the download
// once it has said nothing for downloadStall; a slow one does not.
func TestDownloadStall(t *testing.T) {
	old := downloadStall
	downloadStall = 200 * time.Millisecond
	defer func() { downloadStall = old }()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		for i := range 5 {
			w.Write([]byte("chunk"))
			w.(http.Flusher).Flush()
			if r.URL.Path == "/stalls" && i == 2 {
				time.Sleep(time.Second)
			} else {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}))
	defer srv.Close()
	e := New(&backend.Backend{Opts: backend.Options{TmpDir: t.TempDir()}})
	p, done, err := e.download(context.Background(), srv.URL+"/slow")
	if err != nil {
		t.Fatalf("a slow but steady download: %v", err)
	}
	if data, _ := os.ReadFile(p); string(data) != strings.Repeat("chunk", 5) {
		t.Errorf("downloaded %q", data)
	}
	done()
	if _, _, err := e.download(context.Background(), srv.URL+"/stalls"); err == nil || !strings.Contains(err.Error(), "sent nothing") {
		t.Errorf("a stalled download: %v", err)
	}
}
