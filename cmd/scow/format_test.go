package main

import (
	"strings"
	"testing"
)

func TestHistoryGoNames(t *testing.T) {
	rows := []any{map[string]any{
		"History": []map[string]any{{"created_by": "RUN x", "empty_layer": true, "comment": "c"}},
		"Labels":  map[string]string{"tier": "web", "my_label": "x"},
	}}
	var out strings.Builder
	err := printObjects(&out, "{{range .History}}{{.CreatedBy}} {{.EmptyLayer}} {{.Comment}} {{.created_by}}{{end}} {{len .Labels}}", rows)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "RUN x true c RUN x 2\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
