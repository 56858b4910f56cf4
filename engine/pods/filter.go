package pods

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/netns"
)

// filterKeys are the pod ps --filter keys, as Podman's.
var filterKeys = []string{"id", "name", "label", "label!", "status", "ctr-ids", "ctr-names", "ctr-status", "ctr-number", "network", "until"}

// podStatuses and ctrStatuses are what status= and ctr-status= take.
var (
	podStatuses = []string{"stopped", "running", "paused", "exited", "dead", "created", "degraded"}
	ctrStatuses = []string{"created", "running", "paused", "stopped", "exited", "unknown"}
)

// ctrStatus is a container's status as ctr-status= names it.
func ctrStatus(c containers.Container) string {
	switch {
	case c.State == nil:
		return "unknown"
	case c.State.Status == record.StatusRunning && c.State.Paused:
		return "paused"
	case c.State.Status == record.StatusRunning, c.State.Status == record.StatusRestarting:
		return "running"
	case c.State.Status == record.StatusExited:
		return "exited"
	case c.State.Status == record.StatusCreated:
		return "created"
	}
	return "unknown"
}

// parseFilters turns pod ps --filter values into one predicate: values
// of one key are alternatives, except label's, which must all hold;
// different keys must all match.
func parseFilters(filters []string, now time.Time) (func(*Pod) bool, error) {
	var set specgen.FilterSet[*Pod]
	for _, f := range filters {
		k, v, err := specgen.SplitFilter(f)
		if err != nil {
			return nil, err
		}
		bad := func(why string) error {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--filter %q: %s", f, why))
		}
		anyCtr := func(match func(c containers.Container) bool) func(*Pod) bool {
			return func(p *Pod) bool { return slices.ContainsFunc(p.Containers, match) }
		}
		var pred func(*Pod) bool
		switch k {
		case "id":
			pred = func(p *Pod) bool { return strings.HasPrefix(p.ID, v) }
		case "name", "ctr-names":
			re, err := regexp.Compile(v)
			if err != nil {
				return nil, bad(k + " wants a regular expression")
			}
			if k == "name" {
				pred = func(p *Pod) bool { return re.MatchString(p.Name) }
			} else {
				pred = anyCtr(func(c containers.Container) bool { return re.MatchString(c.Config.Name) })
			}
		case "label", "label!":
			set.Label(v, k == "label!", func(p *Pod) map[string]string { return p.Labels })
			continue
		case "status":
			if !slices.Contains(podStatuses, v) {
				return nil, bad("status wants " + strings.Join(podStatuses, ", "))
			}
			pred = func(p *Pod) bool { return strings.EqualFold(p.Status, v) }
		case "ctr-ids":
			pred = anyCtr(func(c containers.Container) bool { return strings.HasPrefix(c.Config.ID, v) })
		case "ctr-status":
			if !slices.Contains(ctrStatuses, v) {
				return nil, bad("ctr-status wants " + strings.Join(ctrStatuses, ", "))
			}
			pred = anyCtr(func(c containers.Container) bool {
				s := ctrStatus(c)
				return s == v || v == "stopped" && s == "exited"
			})
		case "ctr-number":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, bad("ctr-number wants a number")
			}
			pred = func(p *Pod) bool { return len(p.Containers) == n }
		case "network":
			if v == "bridge" {
				v = netns.DefaultNetwork
			}
			pred = func(p *Pod) bool { return slices.Contains(p.Networks(), v) }
		case "until":
			t, err := specgen.ParseTime(v, now)
			if err != nil {
				return nil, bad(err.Error())
			}
			pred = func(p *Pod) bool { return p.Created.Before(t) }
		default:
			return nil, bad(fmt.Sprintf("unknown key %s (use %s)", k, strings.Join(filterKeys, ", ")))
		}
		set.Or(k, pred)
	}
	return set.Match(), nil
}

// Networks are the named networks of the pod's infra container.
func (p *Pod) Networks() []string {
	if p.InfraID() == "" {
		return nil
	}
	var out []string
	for _, a := range p.Containers[0].Config.Networks {
		out = append(out, a.Network)
	}
	return out
}
