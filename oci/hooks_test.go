package oci

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestAddHooks(t *testing.T) {
	usr, etc := t.TempDir(), t.TempDir()
	write := func(dir, name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hook := func(path, when, stages string) string {
		return `{"version":"1.0.0","hook":{"path":"` + path + `"},"when":` + when + `,"stages":` + stages + `}`
	}
	write(usr, "10-always.json", hook("/bin/always", `{"always":true}`, `["createRuntime","poststop"]`))
	write(usr, "20-gpu.json", hook("/bin/gpu", `{"annotations":{"^com\\.example\\.gpu$":"^yes$"}}`, `["prestart"]`))
	write(usr, "25-gpu-httpd.json", hook("/bin/both", `{"annotations":{"^com\\.example\\.gpu$":"^yes$"},"commands":["/httpd$"]}`, `["prestart"]`))
	write(usr, "26-never.json", hook("/bin/never", `{"always":false,"commands":["."]}`, `["prestart"]`))
	write(usr, "30-cmd.json", hook("/bin/cmd", `{"commands":["/httpd$"]}`, `["poststart"]`))
	write(usr, "40-binds.json", hook("/bin/binds", `{"hasBindMounts":true}`, `["createContainer"]`))
	write(usr, "50-replaced.json", hook("/bin/old", `{"always":true}`, `["startContainer"]`))
	write(etc, "50-replaced.json", hook("/bin/new", `{"always":true}`, `["startContainer"]`))
	write(usr, "notes.txt", "not a hook")

	for _, tc := range []struct {
		name      string
		spec      specs.Spec
		userBinds bool
		want      string
	}{
		{"plain", specs.Spec{Process: &specs.Process{Args: []string{"/bin/sh"}}}, false,
			"prestart= createRuntime=/bin/always createContainer= startContainer=/bin/new poststart= poststop=/bin/always"},
		{"everything", specs.Spec{
			Process:     &specs.Process{Args: []string{"/usr/sbin/httpd"}},
			Annotations: map[string]string{"com.example.gpu": "yes"},
		}, true, "prestart=/bin/gpu,/bin/both createRuntime=/bin/always createContainer=/bin/binds startContainer=/bin/new poststart=/bin/cmd poststop=/bin/always"},
		{"the annotation without the command", specs.Spec{Process: &specs.Process{Args: []string{"sh"}}, Annotations: map[string]string{"com.example.gpu": "yes"}}, false,
			"prestart=/bin/gpu createRuntime=/bin/always createContainer= startContainer=/bin/new poststart= poststop=/bin/always"},
		{"an annotation of another value", specs.Spec{Process: &specs.Process{Args: []string{"sh"}}, Annotations: map[string]string{"com.example.gpu": "no"}}, false,
			"prestart= createRuntime=/bin/always createContainer= startContainer=/bin/new poststart= poststop=/bin/always"},
	} {
		spec := tc.spec
		if err := AddHooks(&spec, []string{usr, etc, filepath.Join(etc, "missing")}, tc.userBinds); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		h := spec.Hooks
		var got []string
		for _, st := range []struct {
			name  string
			hooks []specs.Hook
		}{{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime}, {"createContainer", h.CreateContainer}, {"startContainer", h.StartContainer}, {"poststart", h.Poststart}, {"poststop", h.Poststop}} {
			var paths []string
			for _, x := range st.hooks {
				paths = append(paths, x.Path)
			}
			got = append(got, st.name+"="+strings.Join(paths, ","))
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, g, tc.want)
		}
	}

	for name, body := range map[string]string{
		"version":  `{"version":"2.0.0","hook":{"path":"/bin/x"},"when":{"always":true},"stages":["poststop"]}`,
		"relative": hook("bin/x", `{"always":true}`, `["poststop"]`),
		"stage":    hook("/bin/x", `{"always":true}`, `["later"]`),
		"no when":  hook("/bin/x", `{}`, `["poststop"]`),
		"json":     `{"version":`,
		"regexp":   hook("/bin/x", `{"commands":["("]}`, `["poststop"]`),
	} {
		dir := t.TempDir()
		write(dir, "bad.json", body)
		spec := specs.Spec{Process: &specs.Process{Args: []string{"sh"}}}
		if err := AddHooks(&spec, []string{dir}, false); err == nil {
			t.Errorf("a hook with a bad %s: no error", name)
		}
	}
}
