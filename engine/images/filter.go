package images

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/storage"
)

// ListOptions are the flags of images: Filters (KEY=VALUE, Podman's
// keys) and Sort (created, id, repository, size, tag).
type ListOptions struct {
	Filters []string
	Sort    string
	// All shows the intermediate images of builds too.
	All bool
}

// filterKeys are the images --filter keys scow knows.
var filterKeys = []string{"before", "since", "after", "dangling", "label", "label!", "reference", "until", "readonly", "intermediate", "id", "digest", "containers", "manifest"}

// imageFilter is what images --filter keeps: whole images (match), and
// of their names those reference= wants (name; nil keeps all).
type imageFilter struct {
	match func(img *Image) bool
	name  func(n string) bool
}

// parseFilters reads images --filter values: values of one key are
// alternatives, except label's, which must all hold; different keys must
// all match. get finds the images before= and since= name; inUse tells
// whether containers use an image.
func parseFilters(filters []string, now time.Time, get func(string) (*Image, error), inUse, intermediate func(id string) bool) (*imageFilter, error) {
	var preds []func(*Image) bool
	byKey := map[string][]func(*Image) bool{}
	var refs []string
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		bad := func(why string) error {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--filter %q: %s", f, why))
		}
		if !ok {
			return nil, bad("want KEY=VALUE")
		}
		boolean := func() (bool, error) {
			switch v {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
			return false, bad(k + " wants true or false")
		}
		var p func(*Image) bool
		switch k {
		case "before", "since", "after":
			other, err := get(v)
			if err != nil {
				return nil, bad(err.Error())
			}
			at := other.Created
			if k == "before" {
				p = func(img *Image) bool { return img.Created.Before(at) }
			} else {
				p = func(img *Image) bool { return img.Created.After(at) }
			}
		case "until":
			t, err := specgen.ParseTime(v, now)
			if err != nil {
				return nil, bad(err.Error())
			}
			p = func(img *Image) bool { return img.Created.Before(t) }
		case "dangling":
			want, err := boolean()
			if err != nil {
				return nil, err
			}
			p = func(img *Image) bool { return (len(img.Names) == 0) == want }
		case "intermediate":
			want, err := boolean()
			if err != nil {
				return nil, err
			}
			p = func(img *Image) bool { return intermediate(img.ID) == want }
		case "readonly", "manifest":
			// scow has no read-only stores and keeps no manifest lists
			// as images.
			want, err := boolean()
			if err != nil {
				return nil, err
			}
			p = func(*Image) bool { return !want }
		case "containers":
			want, err := boolean()
			if err != nil {
				return nil, err
			}
			p = func(img *Image) bool { return inUse(img.ID) == want }
		case "label", "label!":
			lk, lv, hasValue := strings.Cut(v, "=")
			has := func(img *Image) bool {
				got, ok := img.Config.Config.Labels[lk]
				return ok && (!hasValue || got == lv)
			}
			if k == "label" {
				preds = append(preds, has)
			} else {
				preds = append(preds, func(img *Image) bool { return !has(img) })
			}
			continue
		case "id":
			id := strings.TrimPrefix(v, "sha256:")
			p = func(img *Image) bool { return strings.HasPrefix(img.ID, id) }
		case "digest":
			p = func(img *Image) bool { return img.Digest.String() == v }
		case "reference":
			refs = append(refs, v)
			continue
		default:
			return nil, bad(fmt.Sprintf("unknown key %s (use %s)", k, strings.Join(filterKeys, ", ")))
		}
		byKey[k] = append(byKey[k], p)
	}
	for _, alternatives := range byKey {
		preds = append(preds, func(img *Image) bool {
			return slices.ContainsFunc(alternatives, func(p func(*Image) bool) bool { return p(img) })
		})
	}
	out := &imageFilter{match: func(img *Image) bool {
		for _, p := range preds {
			if !p(img) {
				return false
			}
		}
		return true
	}}
	if len(refs) > 0 {
		out.name = func(n string) bool {
			return slices.ContainsFunc(refs, func(r string) bool { return referenceMatches(n, r) })
		}
	}
	return out, nil
}

// referenceMatches tells whether stored full name n is what reference=
// pattern means: REPOSITORY[:TAG] as images' argument takes it, or a
// glob over the repository (with or without its registry) and tag.
func referenceMatches(n, pattern string) bool {
	if !strings.ContainsAny(pattern, "*?[") {
		return storage.MatchesName(n, pattern)
	}
	repo, tag := storage.SplitName(n)
	short := repo
	if i := strings.Index(repo, "/"); i >= 0 && strings.ContainsAny(repo[:i], ".:") || strings.HasPrefix(repo, "localhost/") {
		short = repo[strings.Index(repo, "/")+1:]
	}
	for _, cand := range []string{repo, short, repo + ":" + tag, short + ":" + tag} {
		if ok, _ := path.Match(pattern, cand); ok {
			return true
		}
	}
	return false
}
