//go:build !scow_light

package images

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/storage"
)

// PushOptions are push's flags.
type PushOptions = storage.PushOptions

// registryErr gives registry failures the engine's classes.
func registryErr(err error) error {
	if errors.Is(err, storage.ErrRegistry) {
		return err // exit 125, with the registry's explanation
	}
	return backend.StorageErr(err)
}

// withDefaults fills in the auth file of a user without XDG_RUNTIME_DIR:
// containers/image would pick /run/containers/UID, which only root can
// write (and UID is 0 in scow's namespace); Podman too falls back to a
// directory under /tmp then. A named file hides those containers/image
// reads after its default one, so a read names the first that exists of
// what it would read: --config's config.json (given, it is meant), the
// fallback, ~/.config/containers/auth.json, ~/.docker/config.json.
func withDefaults(o RegistryOptions) RegistryOptions {
	return authDefaults(o, false)
}

// forLogin is withDefaults for login and logout, which write the
// fallback.
func forLogin(o RegistryOptions) RegistryOptions {
	return authDefaults(o, true)
}

func authDefaults(o RegistryOptions, write bool) RegistryOptions {
	if o.AuthFile != "" || o.CompatAuthFile != "" || os.Getenv("REGISTRY_AUTH_FILE") != "" || os.Getenv("XDG_RUNTIME_DIR") != "" || !userns.Rootless() {
		return o
	}
	fallback := filepath.Join(fmt.Sprintf("/tmp/scow-%d", userns.UID()), "containers", "auth.json")
	o.AuthFile = fallback
	if write {
		return o
	}
	home, _ := os.UserHomeDir()
	configHome := cmp.Or(os.Getenv("XDG_CONFIG_HOME"), filepath.Join(home, ".config"))
	var files []string
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		files = append(files, filepath.Join(d, "config.json"))
	}
	files = append(files, fallback, filepath.Join(configHome, "containers", "auth.json"), filepath.Join(home, ".docker", "config.json"))
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			o.AuthFile = f
			break
		}
	}
	return o
}

// Pull copies an image from a registry and returns its ID.
func (e *Service) Pull(ctx context.Context, name string, o RegistryOptions) (string, error) {
	o = withDefaults(o)
	if err := e.Open(); err != nil {
		return "", err
	}
	id, err := e.Store.Pull(ctx, name, o)
	if err == nil {
		e.Event(id, name, "pull")
	}
	return id, registryErr(err)
}

// Push copies a stored image to a registry.
func (e *Service) Push(ctx context.Context, name, dest string, o PushOptions) error {
	o.RegistryOptions = withDefaults(o.RegistryOptions)
	if err := e.Open(); err != nil {
		return err
	}
	if err := e.Store.Push(ctx, name, dest, o); err != nil {
		return registryErr(err)
	}
	if img, err := e.Store.Resolve(name); err == nil {
		e.Event(img.ID, dest, "push")
	}
	return nil
}

// Login checks and stores credentials for a registry.
func (e *Service) Login(ctx context.Context, registry, user, pass string, o RegistryOptions) (string, error) {
	if registry == "" {
		return "", errdefs.WithClass(errdefs.ErrInvalid, errors.New("login: give a registry"))
	}
	return storage.Login(ctx, registry, user, pass, forLogin(o))
}

// LoginUser tells who is logged in to a registry.
func (e *Service) LoginUser(registry string, o RegistryOptions) (string, error) {
	return storage.LoginUser(registry, forLogin(o))
}

// Logout forgets the credentials of a registry, or of all.
func (e *Service) Logout(registry string, all bool, o RegistryOptions) error {
	if registry == "" && !all {
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("logout: give a registry or --all"))
	}
	return storage.Logout(registry, all, forLogin(o))
}

// PullPolicy pulls name as policy (always, missing, never, newer) says,
// as pull --policy does, and returns the image's ID.
func (e *Service) PullPolicy(ctx context.Context, name, policy string, o RegistryOptions) (string, error) {
	if policy == "" || policy == PullAlways {
		return e.Pull(ctx, name, o)
	}
	if err := e.Ensure(ctx, name, policy, o, o.Progress); err != nil {
		return "", err
	}
	img, err := e.Get(name)
	if err != nil {
		return "", err
	}
	return img.ID, nil
}

// PullAllTags pulls every tag of a repository and returns the IDs.
func (e *Service) PullAllTags(ctx context.Context, repo string, o RegistryOptions) ([]string, error) {
	o = withDefaults(o)
	if err := e.Open(); err != nil {
		return nil, err
	}
	tags, err := e.Store.RepositoryTags(ctx, repo, o)
	if err != nil {
		return nil, registryErr(err)
	}
	var ids []string
	for _, t := range tags {
		id, err := e.Pull(ctx, t.String(), o)
		if err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// SearchResult is one repository a search found.
type SearchResult = storage.SearchResult

// SearchOptions are search's flags: Limit caps the results; Filters
// are stars=N, is-official=BOOL and is-automated=BOOL; ListTags lists
// the tags of the repository named instead.
type SearchOptions struct {
	Limit    int
	Filters  []string
	ListTags bool
}

// Search asks registries for repositories matching term, or with
// ListTags for the tags of repository term.
func (e *Service) Search(ctx context.Context, term string, so SearchOptions, o RegistryOptions) ([]SearchResult, error) {
	keep, err := searchFilter(so.Filters)
	if err != nil {
		return nil, err
	}
	o = withDefaults(o)
	if err := e.Open(); err != nil {
		return nil, err
	}
	if so.ListTags {
		if len(so.Filters) > 0 {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, errors.New("--filter and --list-tags cannot be used together"))
		}
		tags, err := e.Store.RepositoryTags(ctx, term, o)
		if err != nil {
			return nil, registryErr(err)
		}
		var res []SearchResult
		for _, t := range tags {
			if so.Limit > 0 && len(res) == so.Limit {
				break
			}
			if tagged, ok := t.(reference.Tagged); ok {
				res = append(res, SearchResult{Name: t.Name(), Tag: tagged.Tag()})
			}
		}
		return res, nil
	}
	res, err := e.Store.Search(ctx, term, so.Limit, o)
	return slices.DeleteFunc(res, func(r SearchResult) bool { return !keep(r) }), registryErr(err)
}

// searchFilter reads search --filter values.
func searchFilter(filters []string) (func(SearchResult) bool, error) {
	var preds []func(SearchResult) bool
	for _, f := range filters {
		k, v, _ := strings.Cut(f, "=")
		bad := errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--filter %q: use stars=N, is-official=true|false or is-automated=true|false", f))
		switch k {
		case "stars":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, bad
			}
			preds = append(preds, func(r SearchResult) bool { return r.Stars >= n })
		case "is-official", "is-automated":
			want, err := strconv.ParseBool(v)
			if err != nil {
				return nil, bad
			}
			if k == "is-official" {
				preds = append(preds, func(r SearchResult) bool { return r.Official == want })
			} else {
				preds = append(preds, func(r SearchResult) bool { return r.Automated == want })
			}
		default:
			return nil, bad
		}
	}
	return func(r SearchResult) bool {
		for _, p := range preds {
			if !p(r) {
				return false
			}
		}
		return true
	}, nil
}

// Local is the light build's (light.go), which asks it before a run or
// create: the full build pulls as it creates.
func (e *Service) Local(name, policy string) error { return nil }
