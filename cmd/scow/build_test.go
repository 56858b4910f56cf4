//go:build !scow_light

package main

import "testing"

func TestBuildRunFlagsExist(t *testing.T) {
	got := pickFlags(createFlags(), buildRunFlags...)
	if len(got) != len(buildRunFlags) {
		var names []string
		for _, f := range got {
			names = append(names, f.Names()[0])
		}
		t.Errorf("run's flags for build: found %v of %v", names, buildRunFlags)
	}
}
