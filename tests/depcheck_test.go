package tests

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportDirection enforces the package graph of DESIGN.md: cmd ->
// engine -> storage, netns, oci; the leaves import neither engine nor
// each other, nothing imports cmd, and hack's tools import nothing of
// scow. Inside engine, each package says which of the others it may use:
// a package under engine is named by its whole path, any other by its
// top directory.
func TestImportDirection(t *testing.T) {
	const mod = "github.com/scow-project/scow/"
	// Both builds: the full one, and the light one's own files.
	var out []byte
	for _, tags := range [][]string{nil, {lightTags()}} {
		o, err := exec.Command("go", slices.Concat([]string{"list"}, tags, []string{"-deps=false", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../..."})...).Output()
		if err != nil {
			t.Fatalf("go list %v: %v", tags, err)
		}
		out = append(out, o...)
	}
	top := func(pkg string) string {
		p := strings.TrimPrefix(pkg, mod)
		if p == pkg {
			return "" // not ours
		}
		if strings.HasPrefix(p, "engine/") {
			return p
		}
		return strings.SplitN(p, "/", 2)[0]
	}
	allowed := map[string][]string{
		// cmd parses flags into the engine's request types and formats
		// what the services return, records included; scow-monitor is
		// the monitor's main.
		"cmd": {"engine", "engine/errdefs", "engine/record", "engine/monitor", "engine/attach", "engine/build", "engine/containers", "engine/events", "engine/quadlet", "engine/pods", "engine/kube",
			"engine/contents", "engine/images", "engine/volumes", "engine/networks", "engine/secrets", "engine/specgen"},
		// The facade wires the services, runs the re-executed helpers and
		// does what spans them (system prune, df, reset).
		"engine": {"storage", "netns", "oci", "engine/errdefs", "engine/record", "engine/internal/backend",
			"engine/internal/userns", "engine/build", "engine/containers", "engine/contents", "engine/events", "engine/images", "engine/volumes",
			"engine/networks", "engine/secrets", "engine/monitor", "engine/specgen", "engine/pods", "engine/kube"},
		"engine/build": {"storage", "oci", "engine/errdefs", "engine/record", "engine/internal/backend", "engine/attach",
			"engine/containers", "engine/images", "engine/specgen"},
		// Pods make and run containers through the containers service.
		"engine/pods": {"storage", "netns", "engine/errdefs", "engine/record", "engine/internal/backend", "engine/internal/testhook", "engine/attach", "engine/containers", "engine/specgen"},
		// Kubernetes YAML becomes pods, volumes and containers.
		"engine/kube": {"netns", "engine/errdefs", "engine/record", "engine/internal/backend", "engine/attach", "engine/containers",
			"engine/pods", "engine/volumes", "engine/specgen", "engine/build"},
		// Containers use every other service; the facade, build, pods and
		// contents use containers.
		"engine/containers": {"netns", "oci", "engine/errdefs", "engine/record",
			"engine/internal/backend", "engine/internal/userns", "engine/internal/testhook",
			"engine/attach", "engine/logfile", "engine/monitor", "engine/specgen",
			"engine/images", "engine/volumes", "engine/networks", "engine/secrets", "engine/quadlet"},
		// Files in and out of containers build on the containers.
		"engine/contents": {"storage", "netns", "engine/errdefs", "engine/record", "engine/internal/backend",
			"engine/internal/userns", "engine/containers", "engine/images", "engine/volumes", "engine/specgen"},
		// The monitor runs one container; it never reaches the services,
		// nor the backend's store: see TestMonitorLinksNoStore.
		"engine/monitor": {"netns", "oci", "engine/errdefs", "engine/record",
			"engine/internal/userns", "engine/internal/testhook", "engine/attach", "engine/logfile"},
		"engine/images":   {"storage", "engine/errdefs", "engine/record", "engine/internal/backend", "engine/internal/userns", "engine/specgen"},
		"engine/volumes":  {"storage", "engine/errdefs", "engine/record", "engine/internal/backend", "engine/specgen"},
		"engine/networks": {"netns", "engine/errdefs", "engine/record", "engine/internal/backend", "engine/internal/userns", "engine/specgen"},
		"engine/secrets":  {"engine/errdefs", "engine/record", "engine/internal/backend", "engine/specgen"},
		// Quadlet files to units is pure translation.
		"engine/quadlet": {},
		// Events read the file every invocation appends to.
		"engine/events": {"engine/errdefs", "engine/record", "engine/internal/backend"},
		// The create request is pure: parsing and checking, no state.
		"engine/specgen":          {"storage", "netns", "oci", "engine/errdefs", "engine/record", "engine/internal/userns"},
		"engine/internal/backend": {"storage", "netns", "oci", "engine/errdefs", "engine/record", "engine/internal/userns", "engine/internal/userns/nsenter"},
		// The attach protocol and the log format stand alone.
		"engine/attach":  {"engine/errdefs"},
		"engine/logfile": {},
		// Error classes: two are the runtime driver's own.
		"engine/errdefs": {"oci"},
		// Container records hold the network's and the runtime spec's
		// types.
		"engine/record":                  {"engine/errdefs", "engine/internal/testhook", "netns", "oci"},
		"engine/internal/userns":         {},
		"engine/internal/userns/nsenter": {"engine/internal/userns"},
		"engine/internal/testhook":       {},
		"storage":                        {},
		"netns":                          {},
		"oci":                            {},
		"tests":                          {},
		// Benchmark tools stand apart from scow's code.
		"hack": {},
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		from := top(f[0])
		ok, known := allowed[from]
		if !known {
			t.Errorf("package %s is outside the layout's packages", f[0])
			continue
		}
		for _, imp := range f[1:] {
			to := top(imp)
			if to == "" || to == from {
				continue
			}
			checked++
			if !contains(ok, to) {
				t.Errorf("%s imports %s: %s may import only %v", f[0], imp, from, ok)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no imports between scow's packages were seen")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestMonitorLinksNoStore keeps scow-monitor, the process every running
// container has, free of what makes scow's processes big:
// containers/storage's store and containers/image (whose package inits
// alone leave some 4 MB private in every process), Kubernetes, BuildKit,
// the CLI framework, and the engine's services, which reach the store;
// and of cgo, so that it is built static.
func TestMonitorLinksNoStore(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../cmd/scow-monitor").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !contains(deps, "github.com/scow-project/scow/engine/monitor") {
		t.Fatalf("scow-monitor does not link engine/monitor: %v", deps)
	}
	for _, dep := range deps {
		for _, heavy := range []string{"go.podman.io/storage", "go.podman.io/image/", "k8s.io/", "github.com/moby/buildkit/", "github.com/urfave/cli",
			"github.com/scow-project/scow/storage", "github.com/scow-project/scow/engine/internal/backend", "github.com/scow-project/scow/engine/containers",
			"github.com/scow-project/scow/engine/internal/userns/nsenter"} {
			if dep == heavy || strings.HasSuffix(heavy, "/") && strings.HasPrefix(dep, heavy) {
				t.Errorf("scow-monitor links %s", dep)
			}
		}
	}
	// The Makefile builds it without cgo: only the standard library's
	// packages that have a Go fallback may use cgo.
	out, err = exec.Command("go", "list", "-deps", "-f", "{{if .CgoFiles}}{{.ImportPath}}{{end}}", "../cmd/scow-monitor").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != "runtime/cgo" && dep != "net" && dep != "os/user" {
			t.Errorf("scow-monitor links %s, which needs cgo", dep)
		}
	}
}

// lightTags is the -tags flag of the light build of scow: the build's
// tags (GOFLAGS, as the Makefile sets them) and scow_light.
func lightTags() string {
	tags := []string{"scow_light"}
	for _, f := range strings.Fields(os.Getenv("GOFLAGS")) {
		if v, ok := strings.CutPrefix(f, "-tags="); ok {
			tags = append(tags, strings.Split(v, ",")...)
		}
	}
	return "-tags=" + strings.Join(tags, ",")
}

// TestLightBuildLinks keeps the light build of scow, which every hot
// command (run, ps, stop, rm, exec...) starts, free of what only pulls,
// pushes, archives, builds and Kubernetes YAML need: their package inits
// doubled the start-up of every command.
func TestLightBuildLinks(t *testing.T) {
	out, err := exec.Command("go", "list", lightTags(), "-deps", "../cmd/scow").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !contains(deps, "github.com/scow-project/scow/engine/containers") {
		t.Fatalf("the light scow does not link engine/containers: %v", deps)
	}
	for _, dep := range deps {
		for _, heavy := range []string{"go.podman.io/image/v5/copy", "go.podman.io/image/v5/docker", "go.podman.io/image/v5/signature",
			"go.podman.io/image/v5/oci/archive", "github.com/containers/ocicrypt", "github.com/distribution/reference",
			"google.golang.org/grpc", "google.golang.org/protobuf", "github.com/sigstore/", "k8s.io/", "github.com/moby/buildkit/",
			"github.com/scow-project/scow/engine/build", "github.com/scow-project/scow/engine/kube"} {
			if dep == heavy || strings.HasSuffix(heavy, "/") && strings.HasPrefix(dep, heavy) {
				t.Errorf("the light scow links %s", dep)
			}
		}
	}
}
