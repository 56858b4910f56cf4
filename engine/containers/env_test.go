package containers

import (
	"slices"
	"testing"

	"github.com/scow-project/scow/engine/specgen"
)

func TestContainerEnv(t *testing.T) {
	image := []string{"PATH=/usr/bin", "LANG=C", "HOME=/root"}
	tests := []struct {
		name string
		s    specgen.Spec
		want []string
	}{
		{"the image's under the user's", specgen.Spec{Env: []string{"LANG=en", "X=1"}}, []string{"PATH=/usr/bin", "LANG=en", "HOME=/root", "X=1"}},
		{"merged in the image's", specgen.Spec{EnvMerge: []string{"PATH=${PATH}:/opt/bin", "NEW=$LANG-x"}}, []string{"PATH=/usr/bin:/opt/bin", "LANG=C", "HOME=/root", "NEW=C-x"}},
		{"some unset", specgen.Spec{UnsetEnv: []string{"LANG"}}, []string{"PATH=/usr/bin", "HOME=/root"}},
		{"all unset but the user's", specgen.Spec{UnsetEnvAll: true, Env: []string{"X=1"}}, []string{"X=1"}},
	}
	for _, tt := range tests {
		if got := containerEnv(image, &tt.s); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
