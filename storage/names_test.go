package storage

import (
	"errors"
	"slices"
	"testing"
)

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"busybox", "localhost/busybox:latest", false},
		{"busybox:1.36", "localhost/busybox:1.36", false},
		{"me/tools", "localhost/me/tools:latest", false},
		{"localhost/x:y", "localhost/x:y", false},
		{"quay.io/a/b", "quay.io/a/b:latest", false},
		{"registry:5000/a", "registry:5000/a:latest", false},
		{"UPPER", "", true},
		{"bad::name", "", true},
		{"", "", true},
		{"sha256:abc", "", true},
	}
	for _, tc := range tests {
		got, err := NormalizeName(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("NormalizeName(%q) error %v, want error %t", tc.in, err, tc.err)
			continue
		}
		if err != nil && !errors.Is(err, ErrInvalidName) {
			t.Errorf("NormalizeName(%q) error %v does not wrap ErrInvalidName", tc.in, err)
		}
		if got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCandidateNames(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"busybox", []string{"localhost/busybox:latest", "docker.io/library/busybox:latest"}},
		{"me/app:2", []string{"localhost/me/app:2", "docker.io/me/app:2"}},
		{"quay.io/a/b:c", []string{"quay.io/a/b:c"}},
		{"localhost/x", []string{"localhost/x:latest"}},
	}
	for _, tc := range tests {
		got, err := candidateNames(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("candidateNames(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestSplitAndMatch(t *testing.T) {
	split := []struct{ in, repo, tag string }{
		{"localhost/busybox:latest", "localhost/busybox", "latest"},
		{"quay.io/a/b:1", "quay.io/a/b", "1"},
		{"docker.io/library/alpine@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "docker.io/library/alpine", "<none>"},
	}
	for _, tc := range split {
		if r, tg := SplitName(tc.in); r != tc.repo || tg != tc.tag {
			t.Errorf("SplitName(%q) = %q, %q; want %q, %q", tc.in, r, tg, tc.repo, tc.tag)
		}
	}
	match := []struct {
		stored, filter string
		want           bool
	}{
		{"localhost/busybox:latest", "busybox", true},
		{"localhost/busybox:latest", "busybox:latest", true},
		{"localhost/busybox:latest", "busybox:1", false},
		{"localhost/notbusybox:latest", "busybox", false},
		{"quay.io/x/busybox:2", "x/busybox", true},
	}
	for _, tc := range match {
		if got := MatchesName(tc.stored, tc.filter); got != tc.want {
			t.Errorf("MatchesName(%q, %q) = %t, want %t", tc.stored, tc.filter, got, tc.want)
		}
	}
}
