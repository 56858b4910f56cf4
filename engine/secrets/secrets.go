package secrets

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"go.podman.io/storage/pkg/ioutils"
)

// MaxSize bounds a secret's data, as Podman's.
const MaxSize = 512 * 1024

// Secret is a secret's record, as secret inspect shows it.
type Secret struct {
	ID        string    `json:"ID"`
	CreatedAt time.Time `json:"CreatedAt"`
	UpdatedAt time.Time `json:"UpdatedAt"`
	Spec      Spec      `json:"Spec"`
}

// Spec is what the secret was made with.
type Spec struct {
	Name   string            `json:"Name"`
	Driver Driver            `json:"Driver"`
	Labels map[string]string `json:"Labels"`
}

// Driver is where the data is: the file driver, the only one.
type Driver struct {
	Name    string            `json:"Name"`
	Options map[string]string `json:"Options"`
}

func (e *Service) dir() string { return filepath.Join(e.Opts.Root, "secrets") }

// lock serialises changes of the secrets.
func (e *Service) lock() (func(), error) {
	if err := os.MkdirAll(e.dir(), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", e.dir(), err)
	}
	return record.Lock(filepath.Join(e.dir(), ".lock"))
}

// Create stores data as secret name and returns its ID; replace takes
// the place of a secret of that name.
func (e *Service) Create(name string, data []byte, driver string, labels []string, replace bool) (string, error) {
	bad := func(format string, a ...any) (string, error) {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	if err := record.ValidName(name); err != nil || len(name) > 253 {
		return bad("secret name %q: use letters, digits, '_', '.' and '-', at most 253", name)
	}
	if driver != "" && driver != "file" {
		return bad("secret driver %q: scow has the file driver only", driver)
	}
	switch {
	case len(data) == 0:
		return bad("secret %s: no data", name)
	case len(data) > MaxSize:
		return bad("secret %s: %d bytes, more than the %d a secret may hold", name, len(data), MaxSize)
	}
	lbls, err := specgen.ParseLabels(labels)
	if err != nil {
		return "", err
	}
	unlock, err := e.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	if old, err := e.find(name); err == nil && old.Spec.Name == name {
		if !replace {
			return "", errdefs.WithClass(errdefs.ErrExists, fmt.Errorf("secret %s: it exists already: remove it, or give --replace", name))
		}
		// The same secret with new data: the containers that use it
		// get that at their next start.
		dir := filepath.Join(e.dir(), old.ID)
		if err := ioutils.AtomicWriteFile(filepath.Join(dir, "data"), data, 0o600); err != nil {
			return "", err
		}
		old.UpdatedAt, old.Spec.Labels = time.Now().UTC(), lbls
		return old.ID, record.WriteJSON(filepath.Join(dir, "secret.json"), old, false)
	}
	id := make([]byte, 13)
	rand.Read(id)
	s := Secret{ID: hex.EncodeToString(id)[:25], CreatedAt: time.Now().UTC(), Spec: Spec{Name: name, Labels: lbls}}
	s.UpdatedAt = s.CreatedAt
	dir := filepath.Join(e.dir(), s.ID)
	s.Spec.Driver = Driver{Name: "file", Options: map[string]string{"path": dir}}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	// The data first: a record always has its data.
	if err := ioutils.AtomicWriteFile(filepath.Join(dir, "data"), data, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	if err := record.WriteJSON(filepath.Join(dir, "secret.json"), s, false); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return s.ID, nil
}

// List returns the secrets, oldest first.
func (e *Service) List() ([]*Secret, error) {
	entries, err := os.ReadDir(e.dir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []*Secret
	for _, ent := range entries {
		var s Secret
		if !ent.IsDir() || record.ReadJSON(filepath.Join(e.dir(), ent.Name(), "secret.json"), &s) != nil {
			continue // one a crash cut short
		}
		out = append(out, &s)
	}
	slices.SortFunc(out, func(a, b *Secret) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// find is the secret ref names: by name, full ID or ID prefix.
func (e *Service) find(ref string) (*Secret, error) {
	all, err := e.List()
	if err != nil {
		return nil, err
	}
	return record.FindRef(all, ref, "secret", func(s *Secret) (string, string) { return s.Spec.Name, s.ID })
}

// Inspect returns secret ref's record and, with data, its data.
func (e *Service) Inspect(ref string, data bool) (*Secret, []byte, error) {
	s, err := e.find(ref)
	if err != nil || !data {
		return s, nil, err
	}
	b, err := os.ReadFile(filepath.Join(e.dir(), s.ID, "data"))
	return s, b, err
}

// Remove removes secret ref unless a container uses it.
func (e *Service) Remove(ref string) (string, error) {
	unlock, err := e.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	s, err := e.find(ref)
	if err != nil {
		return "", err
	}
	users, err := e.Rec.Users("secrets", func(cfg *record.Config) []string {
		var ids []string
		for _, u := range cfg.Secrets {
			ids = append(ids, u.ID)
		}
		return ids
	})
	if err != nil {
		return "", err
	}
	if u := users[s.ID]; len(u) > 0 {
		return "", errdefs.WithClass(errdefs.ErrInUse, fmt.Errorf("secret %s is used by container %s: remove the container first", ref, e.Rec.NameOf(u[0])))
	}
	return s.ID, os.RemoveAll(filepath.Join(e.dir(), s.ID))
}
