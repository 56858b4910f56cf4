package containers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
)

// Selection says which containers start, stop, restart, kill and rm act
// on: the names or IDs given, or what --all, --latest, --cidfile and
// --filter pick.
type Selection struct {
	Refs []string
	// All is every container; Latest the one created last.
	All, Latest bool
	// CIDFiles hold a container ID each (--cidfile, as run writes it).
	CIDFiles []string
	// Filters are ps's KEY=VALUE filters; alone they pick from all.
	Filters []string
	// Running keeps only running containers of All and Filters: kill's
	// targets, and restart --running's.
	Running bool
	// Ignore skips a CIDFile that does not exist (--ignore).
	Ignore bool
	// NoInfra leaves pods' infra containers out of All and Filters:
	// rm's, which leaves them to pod rm.
	NoInfra bool
}

// Select returns the containers sel names, in its order: Refs as given,
// the IDs that the other ways find. It fails on a selection that names
// nothing or names in two ways at once.
func (e *Service) Select(ctx context.Context, sel Selection) ([]string, error) {
	ways := 0
	for _, on := range []bool{sel.All, sel.Latest, len(sel.CIDFiles) > 0} {
		if on {
			ways++
		}
	}
	switch {
	case ways > 1:
		return nil, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--all, --latest and --cidfile cannot be used together"))
	case ways > 0 && len(sel.Refs) > 0:
		return nil, errdefs.WithClass(errdefs.ErrInvalid, errors.New("give container names or IDs, or --all, --latest or --cidfile, not both"))
	case len(sel.Filters) > 0 && (len(sel.Refs) > 0 || len(sel.CIDFiles) > 0):
		return nil, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--filter picks from all containers: give no container names and no --cidfile with it"))
	case ways == 0 && len(sel.Refs) == 0 && len(sel.Filters) == 0:
		return nil, errdefs.WithClass(errdefs.ErrInvalid, errors.New("give at least one container name or ID, or --all, --latest, --cidfile or --filter"))
	case len(sel.Refs) > 0:
		return sel.Refs, nil
	case len(sel.CIDFiles) > 0:
		return ReadIDFiles("--cidfile", sel.CIDFiles, sel.Ignore)
	}
	list, err := e.List(ctx, ListOptions{All: !sel.Running || sel.Latest, Filters: sel.Filters})
	if err != nil {
		return nil, err
	}
	if sel.NoInfra {
		list = slices.DeleteFunc(list, func(c Container) bool { return c.Config.Infra })
	}
	if sel.Latest && len(list) > 1 {
		list = list[:1] // newest first
	}
	if sel.Running && !sel.Latest {
		// List treats filters as --all: keep the running ones.
		list = slices.DeleteFunc(list, func(c Container) bool {
			return c.State.Status != record.StatusRunning && c.State.Status != record.StatusRestarting
		})
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.Config.ID
	}
	return ids, nil
}

// ReadIDFiles reads the ID in each file of flag (--cidfile,
// --pod-id-file); with ignore, a file that does not exist names nothing.
func ReadIDFiles(flag string, files []string, ignore bool) ([]string, error) {
	var ids []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) && ignore {
			continue
		}
		if err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s: %w", flag, err))
		}
		id := strings.TrimSpace(string(data))
		if id == "" {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s %s is empty", flag, f))
		}
		ids = append(ids, id)
	}
	return ids, nil
}
