//go:build !scow_light

package build

import (
	"fmt"
	"strings"
	"testing"
)

func TestSequence(t *testing.T) {
	type event struct {
		n     int
		write string
		end   *stageEnd
	}
	end := func(how stageEnd) *stageEnd { return &how }
	tests := []struct {
		name   string
		events []event
		want   string
	}{
		{"in order", []event{{0, "a1 ", nil}, {0, "", end(built)}, {1, "b1 ", nil}, {1, "", end(built)}}, "a1 b1 "},
		{"later stage first", []event{{1, "b1 ", nil}, {0, "a1 ", nil}, {1, "b2 ", end(built)}, {0, "a2 ", end(built)}}, "a1 a2 b1 b2 "},
		{"waits for the one before", []event{{2, "c ", end(built)}, {1, "b ", nil}, {0, "a ", end(built)}, {1, "", end(built)}}, "a b c "},
		{"a failure shows at once", []event{{0, "a ", nil}, {1, "b ", end(failed)}, {0, "", end(cancelled)}}, "a b "},
		{"a cancelled stage is dropped", []event{{1, "b ", nil}, {0, "a ", end(failed)}, {1, "", end(cancelled)}}, "a "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			q := newSequence(&out, 3)
			for _, e := range tt.events {
				if e.write != "" {
					fmt.Fprint(q.part(e.n), e.write)
				}
				if e.end != nil {
					q.end(e.n, *e.end)
				}
			}
			if got := out.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDeps(t *testing.T) {
	f, err := parseFile([]byte(`FROM busybox AS a
FROM busybox AS b
RUN --mount=type=bind,from=a,target=/a true
FROM a AS c
COPY --from=b /x /x
FROM busybox AS d
COPY --from=$STAGE /x /x
FROM busybox
COPY --from=c /x /x
`))
	if err != nil {
		t.Fatal(err)
	}
	base := func(i int) string { return f.stages[i].BaseName }
	tests := []struct {
		stage int
		want  string
	}{
		{0, "[]"}, {1, "[0]"}, {2, "[0 1]"}, {3, "[0 1 2]"}, {4, "[2]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(f.deps(tt.stage, base)); got != tt.want {
			t.Errorf("deps of stage %d: %s, want %s", tt.stage, got, tt.want)
		}
	}
	if got := fmt.Sprint(f.needed(4, base)); got != "[0 1 2 4]" {
		t.Errorf("needed for the last stage: %s", got)
	}
}
