//go:build !scow_light

package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/storage"
)

// spool copies r to a temporary file and returns its path and a cleanup.
func (e *Service) spool(r io.Reader) (string, func(), error) {
	dir, cleanup, err := e.TempDir("stdin-")
	if err != nil {
		return "", nil, err
	}
	f, err := os.Create(filepath.Join(dir, "input"))
	if err != nil {
		cleanup()
		return "", nil, err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		cleanup()
		return "", nil, fmt.Errorf("read the input: %w", err)
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("read the input: %w", err)
	}
	return f.Name(), cleanup, nil
}

// input returns a path for a file argument: "-" reads stdin, an
// http(s):// URL is downloaded.
func (e *Service) input(ctx context.Context, path string, stdin io.Reader) (string, func(), error) {
	if path == "-" {
		return e.spool(stdin)
	}
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return e.download(ctx, path)
	}
	if _, err := os.Stat(path); err != nil {
		return "", nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("read %s: %w", path, errors.Unwrap(err)))
	}
	return path, func() {}, nil
}

// downloadStall is how long a download may wait for its server, for the
// answer or for more of the body, before it gives up.
var downloadStall = 60 * time.Second

// download spools what url serves. It has no deadline, an archive may
// be big, but one that stalls for downloadStall fails.
func (e *Service) download(ctx context.Context, url string) (string, func(), error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stalled := fmt.Errorf("the server sent nothing for %s", downloadStall)
	timer := time.AfterFunc(downloadStall, func() { cancel(stalled) })
	defer timer.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s: %w", url, err))
	}
	fail := func(err error) (string, func(), error) {
		if context.Cause(ctx) == stalled {
			err = stalled
		}
		return "", nil, fmt.Errorf("download %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("download %s: %s", url, resp.Status))
	}
	p, done, err := e.spool(stallReader{resp.Body, func() { timer.Reset(downloadStall) }})
	if err != nil {
		return fail(err)
	}
	return p, done, nil
}

// stallReader calls alive after each read that got something.
type stallReader struct {
	r     io.Reader
	alive func()
}

func (s stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.alive()
	}
	return n, err
}

// Import makes an image from a rootfs tarball ("-" for stdin).
func (e *Service) Import(ctx context.Context, path, name string, o ImportOptions, stdin io.Reader) (string, error) {
	if err := e.Open(); err != nil {
		return "", err
	}
	p, cleanup, err := e.input(ctx, path, stdin)
	if err != nil {
		return "", err
	}
	defer cleanup()
	id, err := e.Store.Import(ctx, p, name, o)
	if err == nil {
		e.Event(id, name, "import")
	}
	return id, backend.StorageErr(err)
}

// ImportOptions shape an imported image.
type ImportOptions = storage.ImportOptions

// Load loads a docker-archive or oci-archive ("-" for stdin) and returns
// the names of the images loaded.
func (e *Service) Load(ctx context.Context, path string, stdin io.Reader) ([]string, error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	p, cleanup, err := e.input(ctx, path, stdin)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	names, err := e.Store.Load(ctx, p)
	for _, n := range names {
		e.nameEvent(n, n, "load")
	}
	return names, backend.StorageErr(err)
}

// SaveOptions are save's format and compression.
type SaveOptions = storage.SaveOptions

// Save writes images to path as o says; "-" writes an archive to out.
func (e *Service) Save(ctx context.Context, names []string, path string, o SaveOptions, out io.Writer) error {
	if err := e.Open(); err != nil {
		return err
	}
	if path != "-" {
		return backend.StorageErr(e.Store.Save(ctx, names, path, o))
	}
	if strings.HasSuffix(o.Format, "-dir") {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("save --format %s writes a directory: give it with -o DIR", o.Format))
	}
	dir, done, err := e.TempDir("save-")
	if err != nil {
		return err
	}
	defer done()
	tmp := filepath.Join(dir, "image.tar")
	if err := e.Store.Save(ctx, names, tmp, o); err != nil {
		return backend.StorageErr(err)
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(out, f); err != nil {
		return fmt.Errorf("write the archive: %w", err)
	}
	return nil
}
