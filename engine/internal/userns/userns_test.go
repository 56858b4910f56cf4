package userns

import (
	"bufio"
	"slices"
	"strings"
	"testing"
)

func TestParseSubIDs(t *testing.T) {
	const file = "alice:100000:65536\nbob:200000:65536\n1003:300000:1000\nalice:500000:10\nbroken line\ncarol:x:5\n"
	tests := []struct {
		name string
		id   int
		want []IDRange
	}{
		{"alice", 1001, []IDRange{{100000, 65536}, {500000, 10}}},
		{"bob", 1002, []IDRange{{200000, 65536}}},
		{"dave", 1003, []IDRange{{300000, 1000}}},
		{"carol", 1004, nil},
		{"nobody", 9, nil},
	}
	for _, tc := range tests {
		got := parseSubIDs(bufio.NewScanner(strings.NewReader(file)), tc.name, tc.id)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
