package containers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/netns"
)

// Container is a container's record as listings and inspect read it.
type Container struct {
	Config *record.Config
	State  *record.State
	// Health is its health status while it runs with a check, else "".
	Health string
	// Err says why the record could not be read; Config then holds only
	// the ID.
	Err error
}

// ListOptions are the flags of ps.
type ListOptions struct {
	All bool
	// Last keeps the n most recently created (-n); Latest is -l.
	Last int
	// Filters are KEY=VALUE: name, id, status, label, ancestor, exited.
	Filters []string
	// Sort orders the list by command, created (the default: newest
	// first), id, image, names, runningfor (as created) or status.
	Sort string
	// External lists too the store's containers that are no containers
	// of scow's (a build's steps, another program's), as StatusExternal.
	External bool
}

// StatusExternal is the status of a container of the store that scow
// did not make: it has no state but its layer.
const StatusExternal = "storage"

// sorters order containers for ListOptions.Sort: each says whether a
// goes before b.
var sorters = map[string]func(a, b Container) bool{
	"created":    func(a, b Container) bool { return a.Config.Created.After(b.Config.Created) },
	"runningfor": func(a, b Container) bool { return a.Config.Created.After(b.Config.Created) },
	"id":         func(a, b Container) bool { return a.Config.ID < b.Config.ID },
	"names":      func(a, b Container) bool { return a.Config.Name < b.Config.Name },
	"image":      func(a, b Container) bool { return a.Config.Image < b.Config.Image },
	"status":     func(a, b Container) bool { return a.State.Status < b.State.Status },
	"command": func(a, b Container) bool {
		return strings.Join(a.Config.Command(), " ") < strings.Join(b.Config.Command(), " ")
	},
}

// List returns containers, newest first. A record that cannot be read is
// listed with its error instead of failing the list.
func (e *Service) List(ctx context.Context, o ListOptions) ([]Container, error) {
	match, err := parseFilters(o.Filters, time.Now(), e.Config, func(id string) string {
		if p, err := e.Rec.LoadPod(id); err == nil {
			return p.Name
		}
		return ""
	})
	if err != nil {
		return nil, err
	}
	if o.Sort == "" {
		o.Sort = "created"
	}
	less, ok := sorters[o.Sort]
	if !ok {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--sort %q: use command, created, id, image, names, runningfor or status", o.Sort))
	}
	entries, err := os.ReadDir(e.Rec.ContainersDir())
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	// Records are read by a few workers: reading and decoding a thousand
	// small files is most of what ps does.
	slots := make([]*Container, len(entries))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(4, len(entries)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				slots[i] = e.listOne(ctx, entries[i], o.All || len(o.Filters) > 0)
			}
		}()
	}
	for i := range entries {
		next <- i
	}
	close(next)
	wg.Wait()
	var out []Container
	for _, c := range slots {
		if c != nil && match(*c) {
			out = append(out, *c)
		}
	}
	if o.External {
		ext, err := e.External()
		if err != nil {
			return nil, err
		}
		for _, c := range ext {
			if match(c) {
				out = append(out, c)
			}
		}
	}
	// -n and -l take the newest; then the order asked for.
	sort.SliceStable(out, func(i, j int) bool { return sorters["created"](out[i], out[j]) })
	if o.Last > 0 && len(out) > o.Last {
		out = out[:o.Last]
	}
	sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out, nil
}

// healthStatus is the health of a running container with a check:
// starting until a check said otherwise; "" for others.
func (e *Service) healthStatus(cfg *record.Config, st *record.State) string {
	if cfg.Healthcheck == nil || st == nil || st.Status != record.StatusRunning {
		return ""
	}
	if h, err := e.Rec.LoadHealth(cfg.ID); err == nil && h != nil {
		return h.Status
	}
	return record.HealthStarting
}

// External lists the store's containers that scow has no record of.
func (e *Service) External() ([]Container, error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	stored, err := e.Store.Containers()
	if err != nil {
		return nil, backend.StorageErr(err)
	}
	var out []Container
	for _, sc := range stored {
		if _, err := os.Stat(e.Rec.Dir(sc.ID)); err == nil {
			continue
		}
		cfg := &record.Config{ID: sc.ID, Name: sc.ID[:12], Image: sc.ImageID, ImageID: sc.ImageID, Created: sc.Created}
		if len(sc.Names) > 0 {
			cfg.Name = sc.Names[0]
		}
		if img, err := e.Store.Image(sc.ImageID); err == nil && len(img.Names) > 0 {
			cfg.Image = img.Names[0]
		}
		out = append(out, Container{Config: cfg, State: &record.State{Status: StatusExternal}})
	}
	return out, nil
}

// PruneExternal removes the store's containers that scow has no record
// of, but those of builds under way, and returns their IDs.
func (e *Service) PruneExternal(building func(id string) bool) ([]string, error) {
	ext, err := e.External()
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, c := range ext {
		if building(c.Config.ID) {
			continue
		}
		if err := e.Store.DeleteContainer(c.Config.ID); err != nil {
			return removed, backend.StorageErr(err)
		}
		removed = append(removed, c.Config.ID)
	}
	return removed, nil
}

// listOne reads one record for List; nil skips it.
func (e *Service) listOne(ctx context.Context, de os.DirEntry, all bool) *Container {
	id := de.Name()
	if !de.IsDir() || e.Rec.SweepNew(id) || strings.HasPrefix(id, ".") {
		return nil
	}
	c := Container{Config: &record.Config{ID: id}}
	cfg, err := e.Rec.LoadConfig(id)
	if err == nil {
		c.Config = cfg
		c.State, err = e.State(ctx, id)
	}
	// A create that died leaves a record that never got its name.
	if err == nil && c.State.Status == record.StatusCreated && e.Rec.HalfCreated(cfg) {
		e.removeContainer(ctx, id, true, false)
		return nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil // removed while we listed
	}
	if err != nil {
		c.Err = err
		c.State = &record.State{Status: "error"}
	}
	if !all && c.Err == nil && c.State.Status != record.StatusRunning && c.State.Status != record.StatusRestarting {
		return nil
	}
	c.Health = e.healthStatus(c.Config, c.State)
	return &c
}

// filterKeys are the ps --filter keys scow knows.
var filterKeys = []string{"id", "name", "label", "label!", "status", "exited", "ancestor", "before", "since", "until", "volume", "network", "restart-policy", "command", "health", "pod"}

// parseFilters turns ps --filter values into one predicate: values of
// one key are alternatives, except label's, which must all hold;
// different keys must all match. before and since name a container,
// which lookup finds; until is a time or a duration before now; pod is
// a pod's name, which podName gives of an ID, or its ID or a prefix.
func parseFilters(filters []string, now time.Time, lookup func(ref string) (*record.Config, error), podName func(id string) string) (func(Container) bool, error) {
	var set specgen.FilterSet[Container]
	for _, f := range filters {
		k, v, err := specgen.SplitFilter(f)
		if err != nil {
			return nil, err
		}
		bad := func(why string) error {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--filter %q: %s", f, why))
		}
		var p func(Container) bool
		switch k {
		case "id":
			p = func(c Container) bool { return strings.HasPrefix(c.Config.ID, v) }
		case "name":
			re, err := regexp.Compile(v)
			if err != nil {
				return nil, bad("name wants a regular expression")
			}
			p = func(c Container) bool { return re.MatchString(c.Config.Name) }
		case "label", "label!":
			set.Label(v, k == "label!", func(c Container) map[string]string { return c.Config.Labels })
			continue
		case "status":
			p = func(c Container) bool {
				return c.State.Shown() == v || v == "stopped" && c.State.Status == record.StatusExited
			}
		case "exited":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, bad("exited wants a number")
			}
			p = func(c Container) bool { return c.State.Status == record.StatusExited && c.State.ExitCode == n }
		case "ancestor":
			p = func(c Container) bool {
				return c.Config.Image == v || strings.HasPrefix(c.Config.ImageID, v) || strings.TrimPrefix(c.Config.Image, "localhost/") == strings.TrimPrefix(v, "localhost/")
			}
		case "before", "since":
			ref, err := lookup(v)
			if err != nil {
				return nil, bad(err.Error())
			}
			at := ref.Created
			if k == "before" {
				p = func(c Container) bool { return c.Config.Created.Before(at) }
			} else {
				p = func(c Container) bool { return c.Config.Created.After(at) }
			}
		case "until":
			t, err := specgen.ParseTime(v, now)
			if err != nil {
				return nil, bad(err.Error())
			}
			p = func(c Container) bool { return c.Config.Created.Before(t) }
		case "volume":
			p = func(c Container) bool {
				return slices.ContainsFunc(c.Config.Volumes, func(m record.Mount) bool {
					return m.Kind() == record.MountVolume && m.Source == v || filepath.Clean(m.Destination) == filepath.Clean(v)
				})
			}
		case "network":
			if v == "bridge" {
				v = netns.DefaultNetwork
			}
			p = func(c Container) bool {
				return slices.ContainsFunc(c.Config.Networks, func(a netns.Attachment) bool { return a.Network == v })
			}
		case "restart-policy":
			p = func(c Container) bool { return cmp.Or(c.Config.RestartPolicy.Name, "no") == v }
		case "command":
			p = func(c Container) bool { cmd := c.Config.Command(); return len(cmd) > 0 && cmd[0] == v }
		case "health":
			if !slices.Contains([]string{"starting", "healthy", "unhealthy", "none"}, v) {
				return nil, bad("health wants starting, healthy, unhealthy or none")
			}
			p = func(c Container) bool { return cmp.Or(c.Health, "none") == v }
		case "pod":
			p = func(c Container) bool {
				return c.Config.Pod != "" && (c.Config.Pod == v || len(v) >= 3 && strings.HasPrefix(c.Config.Pod, v) || podName(c.Config.Pod) == v)
			}
		default:
			return nil, bad(fmt.Sprintf("unknown key %s (use %s)", k, strings.Join(filterKeys, ", ")))
		}
		set.Or(k, p)
	}
	return set.Match(), nil
}

// Get returns one container's record.
func (e *Service) Get(ctx context.Context, ref string) (*Container, error) {
	cfg, err := e.Config(ref)
	if err != nil {
		return nil, err
	}
	id := cfg.ID
	st, err := e.State(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read state of container %.12s: %w", id, err)
	}
	return &Container{Config: cfg, State: st}, nil
}

// LogPath is where a container's log lives.
func (e *Service) LogPath(id string) string { return e.Rec.LogPath(id) }
