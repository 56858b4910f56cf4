package containers

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/scow-project/scow/engine/errdefs"
)

func TestSelect(t *testing.T) {
	dir := t.TempDir()
	cid := filepath.Join(dir, "ctr.cid")
	if err := os.WriteFile(cid, []byte("0123abcd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.cid")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.cid")
	tests := []struct {
		name string
		sel  Selection
		want []string
		err  bool
	}{
		{name: "names as given", sel: Selection{Refs: []string{"web", "0123"}}, want: []string{"web", "0123"}},
		{name: "nothing", sel: Selection{}, err: true},
		{name: "all and latest", sel: Selection{All: true, Latest: true}, err: true},
		{name: "all and a name", sel: Selection{All: true, Refs: []string{"web"}}, err: true},
		{name: "cidfile and a name", sel: Selection{CIDFiles: []string{cid}, Refs: []string{"web"}}, err: true},
		{name: "filter and a name", sel: Selection{Filters: []string{"name=x"}, Refs: []string{"web"}}, err: true},
		{name: "filter and cidfile", sel: Selection{Filters: []string{"name=x"}, CIDFiles: []string{cid}}, err: true},
		{name: "cidfile", sel: Selection{CIDFiles: []string{cid}}, want: []string{"0123abcd"}},
		{name: "missing cidfile", sel: Selection{CIDFiles: []string{missing}}, err: true},
		{name: "missing cidfile ignored", sel: Selection{CIDFiles: []string{missing, cid}, Ignore: true}, want: []string{"0123abcd"}},
		{name: "empty cidfile", sel: Selection{CIDFiles: []string{empty}}, err: true},
	}
	var s Service
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Select(context.Background(), tt.sel)
			if tt.err {
				if !errors.Is(err, errdefs.ErrInvalid) {
					t.Fatalf("err = %v, want an ErrInvalid", err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
