//go:build !scow_light

package images

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/scow-project/scow/engine/internal/backend"
)

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
