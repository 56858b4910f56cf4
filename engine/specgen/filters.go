package specgen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scow-project/scow/engine/errdefs"
)

// FilterSet gathers the predicates of --filter values into one, as the
// listings combine them: the values of one key are alternatives, those
// of different keys must all hold, and label= (or label!=) values must
// all hold.
type FilterSet[T any] struct {
	must  []func(T) bool
	byKey map[string][]func(T) bool
}

// SplitFilter reads one --filter value as KEY=VALUE.
func SplitFilter(f string) (key, value string, err error) {
	k, v, ok := strings.Cut(f, "=")
	if !ok {
		return "", "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--filter %q: want KEY=VALUE", f))
	}
	return k, v, nil
}

// Or adds p as one of key's alternatives.
func (s *FilterSet[T]) Or(key string, p func(T) bool) {
	if s.byKey == nil {
		s.byKey = map[string][]func(T) bool{}
	}
	s.byKey[key] = append(s.byKey[key], p)
}

// Label adds label=KEY[=VALUE] (negate: label!=): labels gives an
// object's labels.
func (s *FilterSet[T]) Label(value string, negate bool, labels func(T) map[string]string) {
	lk, lv, hasValue := strings.Cut(value, "=")
	s.must = append(s.must, func(o T) bool {
		got, ok := labels(o)[lk]
		return (ok && (!hasValue || got == lv)) != negate
	})
}

// Match is the predicate of all the filters added.
func (s *FilterSet[T]) Match() func(T) bool {
	preds := slices.Clone(s.must)
	for _, alternatives := range s.byKey {
		preds = append(preds, func(o T) bool {
			return slices.ContainsFunc(alternatives, func(p func(T) bool) bool { return p(o) })
		})
	}
	return func(o T) bool {
		for _, p := range preds {
			if !p(o) {
				return false
			}
		}
		return true
	}
}
