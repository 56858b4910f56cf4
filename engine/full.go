//go:build !scow_light

package engine

import (
	"github.com/scow-project/scow/engine/build"
	"github.com/scow-project/scow/engine/kube"
)

// full are the services that link BuildKit's Dockerfile parser and
// Kubernetes' API types, which the light build of scow leaves out.
type full struct {
	build *build.Service
	kube  *kube.Service
}

func newFull(e *Engine) full {
	f := full{build: build.New(e.b, e.containers, e.images)}
	f.kube = kube.New(e.b, e.containers, e.pods, e.volumes, f.build)
	return f
}

// Build is the engine's image builder.
func (e *Engine) Build() *build.Service { return e.build }

// Kube plays and writes Kubernetes YAML.
func (e *Engine) Kube() *kube.Service { return e.kube }
