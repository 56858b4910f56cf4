//go:build e2e

package tests

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// kubeApp is a ConfigMap used as env and as a file, a Secret as a file
// of mode 0400, a claim, and a pod whose init container leaves a file
// its container reads; plus a field scow does not support.
const kubeApp = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  GREETING: hello
  app.conf: |
    color=blue
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: s3cret
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: store
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector:
    disk: ssd
  initContainers:
  - name: prep
    image: busybox
    command: ["sh", "-c", "echo prepared > /work/ready; echo run >> /data/runs"]
    volumeMounts:
    - {name: work, mountPath: /work}
    - {name: data, mountPath: /data}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c"]
    args: ["cat /work/ready; echo $GREETING; cat /etc/app/app.conf; stat -c %a /etc/creds/password; cat /etc/creds/password; echo; wc -l < /data/runs; exec sleep 600"]
    env:
    - name: GREETING
      valueFrom:
        configMapKeyRef: {name: settings, key: GREETING}
    volumeMounts:
    - {name: work, mountPath: /work}
    - {name: conf, mountPath: /etc/app}
    - {name: secret, mountPath: /etc/creds}
    - {name: data, mountPath: /data}
  volumes:
  - name: work
    emptyDir: {}
  - name: conf
    configMap:
      name: settings
      items:
      - {key: app.conf, path: app.conf}
  - name: secret
    secret:
      secretName: creds
      defaultMode: 0400
  - name: data
    persistentVolumeClaim:
      claimName: store
`

func TestKubePlay(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		app := m.userFile(t, "app.yaml", kubeApp)
		r := s.scow("kube", "play", app)
		if r.code != 0 {
			t.Fatalf("kube play: %s", r)
		}
		if !strings.Contains(r.stderr, `Pod "web": spec.nodeSelector.disk is not supported by scow: ignored`) {
			t.Errorf("no warning of the field scow does not support: %q", r.stderr)
		}
		lines := strings.Split(r.stdout, "\n")
		if lines[0] != "Volumes:" || lines[1] != "store" || lines[2] != "Pod:" || lines[4] != "Containers:" {
			t.Errorf("kube play printed:\n%s", r.stdout)
		}
		want := "prepared\nhello\ncolor=blue\n400\ns3cret\n1\n"
		mustWaitFor(t, 15*time.Second, "web-main's output", func() bool { return s.must("logs", "web-main") == want })
		if got := s.must("pod", "ps", "--format", "{{.Name}} {{.Status}} {{.NumberOfContainers}} {{.Labels}}"); got != "web Running 2 map[app:web]\n" {
			t.Errorf("the played pod: %q", got)
		}
		if got := s.must("ps", "-a", "--format", "{{.Names}}", "--filter", "pod=web", "--sort", "names"); !strings.Contains(got, "web-main\n") || strings.Contains(got, "prep") {
			t.Errorf("the pod's containers (the init container gone): %q", got)
		}
		// Down keeps the claim's data; a replay runs the init
		// container again on it.
		r = s.scow("kube", "play", "--down", app)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Pods stopped:\n") || !strings.Contains(r.stdout, "Pods removed:\n") {
			t.Errorf("kube play --down: %s", r)
		}
		if got := s.must("pod", "ps", "-q") + s.must("ps", "-aq"); got != "" {
			t.Errorf("left after kube down: %q", got)
		}
		s.must("kube", "play", app)
		mustWaitFor(t, 15*time.Second, "the replay's output", func() bool {
			return strings.HasSuffix(s.must("logs", "web-main"), "s3cret\n2\n")
		})
		if r := s.scow("kube", "play", app); r.code != 125 || !strings.Contains(r.stderr, "Error: pod web: the pod name \"web\" is already in use") {
			t.Errorf("kube play of pods that exist: %s", r)
		}
		s.must("kube", "play", "--replace", app)
		s.must("kube", "down", "--force", app)
		if got := s.must("volume", "ls", "-q"); got != "" {
			t.Errorf("kube down --force left volumes: %q", got)
		}

		// A Deployment of three replicas, and a Job that runs to its end.
		deploy := m.userFile(t, "deploy.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: srv
        image: busybox
        command: ["sleep", "600"]
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
      annotations: {scow.test/note: daemon}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: a
        image: busybox
        command: ["sleep", "600"]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: once
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: work
        image: busybox
        command: ["sh", "-c", "echo done"]
---
apiVersion: v1
kind: Widget
metadata:
  name: thing
`)
		r = s.scow("kube", "play", deploy)
		if r.code != 0 || !strings.Contains(r.stderr, `Widget "thing" (v1): scow does not run this kind: left out`) {
			t.Fatalf("kube play of a Deployment and a Job: %s", r)
		}
		if got := s.must("pod", "ps", "--format", "{{.Name}} {{.Status}}", "--filter", "name=^api", "--sort", "name"); got != "api-pod-0 Running\napi-pod-1 Running\napi-pod-2 Running\n" {
			t.Errorf("the Deployment's pods: %q", got)
		}
		if got := s.must("inspect", "--format", "{{.State.Status}} {{index .Config.Annotations \"scow.test/note\"}}", "agent-pod-a"); got != "running daemon\n" {
			t.Errorf("the DaemonSet's pod, with its template's annotation: %q", got)
		}
		if got := s.must("wait", "once-pod-work"); got != "0\n" {
			t.Errorf("the Job's exit: %q", got)
		}
		if got := s.must("logs", "once-pod-work"); got != "done\n" {
			t.Errorf("the Job's output: %q", got)
		}
		mustWaitFor(t, 15*time.Second, "the Job's pod stops (exit policy stop)", func() bool {
			return s.must("pod", "ps", "--filter", "name=once-pod", "--format", "{{.Status}}") == "Exited\n"
		})
		s.must("kube", "down", deploy)
		if got := s.must("pod", "ps", "-q"); got != "" {
			t.Errorf("pods left after kube down: %q", got)
		}

		// The YAML from standard input and from a URL.
		one := "apiVersion: v1\nkind: Pod\nmetadata: {name: piped}\nspec:\n  restartPolicy: Never\n  containers:\n  - {name: c, image: busybox, command: [echo, piped]}\n"
		if r := s.scowStdin(one, "kube", "play", "-"); r.code != 0 {
			t.Errorf("kube play -: %s", r)
		}
		if got := s.must("wait", "piped-c"); got != "0\n" || s.must("logs", "piped-c") != "piped\n" {
			t.Errorf("the pod from standard input: %q", s.must("logs", "piped-c"))
		}
		s.scowStdin(one, "kube", "down", "-")
		l := listenLoopback(t)
		go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/app.yaml" {
				http.NotFound(w, r)
				return
			}
			io.WriteString(w, strings.ReplaceAll(one, "piped", "fetched"))
		}))
		url := fmt.Sprintf("http://%s/app.yaml", l.Addr())
		s.must("kube", "play", url)
		if got := s.must("wait", "fetched-c"); got != "0\n" || s.must("logs", "fetched-c") != "fetched\n" {
			t.Errorf("the pod from a URL: %q", s.must("logs", "fetched-c"))
		}
		s.must("kube", "down", url)
		wantError(t, s.scow("kube", "play", fmt.Sprintf("http://%s/nosuch.yaml", l.Addr())), 125, "404")

		// Several files at once; a NodePort Service publishing its node
		// port on the pod it selects; httpGet and tcpSocket probes.
		nodePort := 0
		for p := 30000; p <= 32767 && nodePort == 0; p++ {
			if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
				l.Close()
				nodePort = p
			}
		}
		web := m.userFile(t, "web.yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: probed, labels: {app: probed}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: srv
    image: busybox
    command: [sh, -c, "mkdir -p /w && echo served > /w/index.html && exec httpd -f -p 8080 -h /w"]
    ports: [{containerPort: 8080, name: http}]
    readinessProbe:
      httpGet: {path: /index.html, port: 8080}
      periodSeconds: 1
  - name: tcp
    image: busybox
    command: [sleep, "600"]
    livenessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: probed}
spec:
  type: NodePort
  selector: {app: probed}
  ports: [{port: 80, targetPort: http, nodePort: %d}]
`, nodePort))
		other := m.userFile(t, "other.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: other}\nspec:\n  restartPolicy: Never\n  containers:\n  - {name: c, image: busybox, command: [true]}\n")
		s.must("kube", "play", web, other)
		if got := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", nodePort)); got != "served\n" {
			t.Errorf("the Service's node port: %q", got)
		}
		for _, c := range []string{"probed-srv", "probed-tcp"} {
			mustWaitFor(t, 15*time.Second, c+" turns healthy", func() bool {
				return s.must("inspect", "--format", "{{.State.Health.Status}}", c) == "healthy\n"
			})
		}
		if got := s.must("pod", "ps", "--format", "{{.Name}}", "--sort", "name"); got != "other\nprobed\n" {
			t.Errorf("the pods of two files: %q", got)
		}
		s.must("kube", "down", web, other)

		// An image volume: the image's files, read-only, written again
		// by kube generate.
		imgVol := m.userFile(t, "imgvol.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: iv}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - {name: c, image: busybox, command: [sh, -c, \"ls /img/bin/busybox && touch /img/x 2>/dev/null || echo read-only; sleep 600\"], volumeMounts: [{name: v, mountPath: /img}]}\n  volumes:\n  - {name: v, image: {reference: busybox, pullPolicy: Never}}\n")
		s.must("kube", "play", imgVol)
		mustWaitFor(t, 10*time.Second, "the image volume's files", func() bool { return s.must("logs", "iv-c") == "/img/bin/busybox\nread-only\n" })
		if got := s.must("kube", "generate", "iv"); !strings.Contains(got, "image:\n      reference: busybox\n") {
			t.Errorf("kube generate of an image volume:\n%s", got)
		}
		s.must("kube", "down", imgVol)

		// --build: an image built from the directory of its name.
		ctxDir := m.userDir(t)
		os.MkdirAll(filepath.Join(ctxDir, "kbuilt"), 0o755)
		os.WriteFile(filepath.Join(ctxDir, "kbuilt", "Containerfile"), []byte("FROM busybox\nRUN echo built for kube > /built\n"), 0o644)
		os.Chown(filepath.Join(ctxDir, "kbuilt"), m.uid, m.gid)
		built := m.userFile(t, "built.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  restartPolicy: Never\n  containers:\n  - {name: c, image: localhost/kbuilt:latest, imagePullPolicy: Never, command: [cat, /built]}\n")
		wantError(t, s.scow("kube", "play", "--build=false", built), 125, "kbuilt")
		wantError(t, s.scow("kube", "play", "--context-dir", ctxDir, built), 125, "--context-dir needs --build")
		s.must("kube", "play", "--build", "--context-dir", ctxDir, built)
		if got := s.must("wait", "b-c"); got != "0\n" || s.must("logs", "b-c") != "built for kube\n" {
			t.Errorf("the container of the built image: exit %q, logs %q", got, s.must("logs", "b-c"))
		}
		s.must("kube", "down", built)
		s.must("rmi", "localhost/kbuilt:latest")

		// Errors: a clear line, nothing made.
		for _, tc := range []struct {
			name, yaml string
			words      []string
		}{
			{"not yaml", "a: [b", []string{"not YAML"}},
			{"no kind", "a: b\n", []string{"no apiVersion and kind"}},
			{"nothing to play", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", []string{"no Pod"}},
			{"missing configmap", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    envFrom:\n    - configMapRef: {name: nope}\n",
				[]string{"no ConfigMap nope", "--configmap"}},
			{"job restarts", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: c, image: busybox}\n",
				[]string{"Never or OnFailure"}},
			{"hostile item", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: busybox}\n  volumes:\n  - name: v\n    configMap:\n      name: c\n      items: [{key: k, path: ../../escape}]\n",
				[]string{"leaves the volume"}},
			{"hostile key", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {\"../../../../escape\": x}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: busybox}\n  volumes:\n  - {name: v, secret: {secretName: s}}\n",
				[]string{"key", "names a file"}},
			{"hostile volume name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: busybox}\n  volumes:\n  - {name: ../../../../escape, configMap: {name: c}}\n",
				[]string{"DNS label"}},
			{"second pod fails", "apiVersion: v1\nkind: Pod\nmetadata: {name: good}\nspec:\n  containers:\n  - {name: c, image: busybox, command: [sleep, \"600\"]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  volumes: [{name: d, persistentVolumeClaim: {claimName: madeforit}}]\n  containers:\n  - {name: c, image: nosuch.invalid/img, imagePullPolicy: Never, volumeMounts: [{name: d, mountPath: /d}]}\n",
				[]string{"pod bad", "nosuch.invalid/img"}},
			{"init fails", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n  - {name: i, image: busybox, command: [\"false\"]}\n  containers:\n  - {name: c, image: busybox}\n",
				[]string{"init container p-i of pod p exited with code 1"}},
			{"no image", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: nosuch.invalid/img, imagePullPolicy: Never}\n",
				[]string{"nosuch.invalid/img"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := m.userFile(t, "bad.yaml", tc.yaml)
				wantError(t, s.scow("kube", "play", f), 125, tc.words...)
				if got := s.must("pod", "ps", "-q") + s.must("ps", "-aq") + s.must("volume", "ls", "-q"); got != "" {
					t.Errorf("a failed kube play left: %q", got)
				}
			})
		}
		wantError(t, s.scow("kube", "play", "/nonexistent.yaml"), 125, "/nonexistent.yaml")
		wantError(t, s.scow("kube", "play", "--configmap", app, app), 125, "--configmap", "ConfigMaps only")
		// --start=false makes the pod; its start runs the init container.
		s.must("kube", "play", "--start=false", app)
		if got := s.must("pod", "ps", "--format", "{{.Status}}"); got != "Created\n" {
			t.Errorf("kube play --start=false: %q", got)
		}
		s.must("pod", "start", "web")
		mustWaitFor(t, 15*time.Second, "web-main's output after pod start", func() bool { return s.must("logs", "web-main") == want })
		s.must("kube", "down", "--force", app)
		if _, err := os.Stat(filepath.Join(s.root, "escape")); err == nil {
			t.Errorf("a hostile item path wrote outside the volume")
		}
	})
}

// serveFromTmp serves "generated" on port 8080 from the tmpfs a
// read-only container has.
const serveFromTmp = "mkdir -p /tmp/www && echo generated > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"

// TestKubeGenerate writes YAML of a pod and of a container, decodes it
// strictly as Kubernetes does, and plays it back.
func TestKubeGenerate(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		port := freeHostPort(t)
		data := m.userDir(t)
		s.must("volume", "create", "keep")
		s.must("pod", "create", "--name", "gen", "-p", fmt.Sprintf("%d:8080", port), "--label", "team=a")
		s.must("run", "-d", "--pod", "gen", "--name", "gen-app", "-e", "MODE=fast", "-w", "/tmp",
			"-v", "keep:/keep", "-v", data+":/host:ro", "--health-cmd", "test -d /keep", "--health-interval", "7s", "--health-retries", "4",
			"--health-on-failure", "restart", "--cap-drop", "NET_RAW", "--memory", "64m", "--read-only",
			"busybox", "sh", "-c", serveFromTmp)
		doc := s.must("kube", "generate", "gen")
		if !strings.HasPrefix(doc, "# ") {
			t.Errorf("no comment header:\n%s", doc)
		}
		var pod corev1.Pod
		if err := sigsyaml.UnmarshalStrict([]byte(strings.SplitN(doc, "---\n", 2)[1]), &pod); err != nil {
			t.Fatalf("the generated Pod does not decode strictly: %v\n%s", err, doc)
		}
		if pod.APIVersion != "v1" || pod.Kind != "Pod" || pod.Name != "gen" || pod.Labels["team"] != "a" || len(pod.Spec.Containers) != 1 {
			t.Fatalf("generated Pod: %+v", pod.ObjectMeta)
		}
		c := pod.Spec.Containers[0]
		checks := []struct {
			what      string
			got, want any
		}{
			{"name", c.Name, "app"},
			{"image", c.Image, "localhost/busybox:latest"},
			{"args", c.Args, []string{"sh", "-c", serveFromTmp}},
			{"env", c.Env, []corev1.EnvVar{{Name: "MODE", Value: "fast"}}},
			{"workingDir", c.WorkingDir, "/tmp"},
			{"ports", c.Ports, []corev1.ContainerPort{{ContainerPort: 8080, HostPort: int32(port), Protocol: corev1.ProtocolTCP}}},
			{"liveness", c.LivenessProbe.Exec.Command, []string{"/bin/sh", "-c", "test -d /keep"}},
			{"period", c.LivenessProbe.PeriodSeconds, int32(7)},
			{"failures", c.LivenessProbe.FailureThreshold, int32(4)},
			{"cap drop", c.SecurityContext.Capabilities.Drop, []corev1.Capability{"NET_RAW"}},
			{"read-only", *c.SecurityContext.ReadOnlyRootFilesystem, true},
			{"restart", pod.Spec.RestartPolicy, corev1.RestartPolicyNever},
		}
		if !m.rootless { // rootless here, limits need a delegated cgroup
			checks = append(checks, struct {
				what      string
				got, want any
			}{"memory", c.Resources.Limits.Memory().Value(), int64(64 << 20)})
		}
		for _, ck := range checks {
			if !reflect.DeepEqual(ck.got, ck.want) {
				t.Errorf("generated %s: %#v, want %#v", ck.what, ck.got, ck.want)
			}
		}
		vols := map[string]corev1.Volume{}
		for _, v := range pod.Spec.Volumes {
			vols[v.Name] = v
		}
		mounts := map[string]corev1.VolumeMount{}
		for _, vm := range c.VolumeMounts {
			mounts[vm.MountPath] = vm
		}
		if len(mounts) != 2 || len(vols) != 2 || mounts["/keep"].ReadOnly || !mounts["/host"].ReadOnly {
			t.Errorf("generated mounts %+v, volumes %+v", c.VolumeMounts, pod.Spec.Volumes)
		}
		if v := vols[mounts["/keep"].Name]; v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != "keep" {
			t.Errorf("the named volume's claim: %+v", v)
		}
		if v := vols[mounts["/host"].Name]; v.HostPath == nil || v.HostPath.Path != data {
			t.Errorf("the bind's hostPath: %+v", v)
		}

		// A Deployment and a Service, strictly decoded too.
		out := s.must("kube", "generate", "--type", "deployment", "--replicas", "2", "--service", "gen")
		docs := strings.Split(out, "---\n")[1:]
		if len(docs) != 2 || !strings.Contains(docs[0], "kind: Deployment") || !strings.Contains(docs[1], "kind: Service") {
			t.Fatalf("kube generate --type deployment --service:\n%s", out)
		}
		var dep appsv1.Deployment
		if err := sigsyaml.UnmarshalStrict([]byte(docs[0]), &dep); err != nil || *dep.Spec.Replicas != 2 || dep.Spec.Template.Spec.Containers[0].Image != "localhost/busybox:latest" ||
			dep.Spec.Selector.MatchLabels["app"] != "gen" || dep.Spec.Template.Labels["app"] != "gen" {
			t.Errorf("the Deployment: %v %+v", err, dep.Spec)
		}
		var svc corev1.Service
		nodePort := int32(0) // a cluster's node ports are 30000 to 32767
		if port >= 30000 && port <= 32767 {
			nodePort = int32(port)
		}
		if err := sigsyaml.UnmarshalStrict([]byte(docs[1]), &svc); err != nil || svc.Spec.Type != corev1.ServiceTypeNodePort ||
			len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].NodePort != nodePort || svc.Spec.Ports[0].Port != 8080 || svc.Spec.Selector["app"] != "gen" {
			t.Errorf("the Service: %v %+v", err, svc.Spec)
		}
		if !strings.Contains(docs[0], "restartPolicy: Always") {
			t.Errorf("a Deployment's pods must restart always:\n%s", docs[0])
		}

		// The round trip: the YAML played back makes the same container.
		yamlFile := filepath.Join(m.userDir(t), "gen.yaml")
		s.must("kube", "generate", "-f", yamlFile, "gen")
		if st, err := os.Stat(yamlFile); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("kube generate -f: %v, mode %v (it may hold secrets: 0600)", err, st.Mode())
		}
		wantError(t, s.scow("kube", "generate", "-f", yamlFile, "gen"), 125, "exists")
		before := s.must("inspect", "--format", "{{.Config.Cmd}} {{.Config.Env}} {{.Config.WorkingDir}} {{.HostConfig.PortBindings}} {{.Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}} {{.HostConfig.Memory}} {{range .Mounts}}{{.Destination}}:{{.RW}} {{end}}", "gen-app")
		s.must("pod", "rm", "-f", "-t", "0", "gen")
		s.must("kube", "play", yamlFile)
		after := s.must("inspect", "--format", "{{.Config.Cmd}} {{.Config.Env}} {{.Config.WorkingDir}} {{.HostConfig.PortBindings}} {{.Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}} {{.HostConfig.Memory}} {{range .Mounts}}{{.Destination}}:{{.RW}} {{end}}", "gen-app")
		if before != after {
			t.Errorf("the round trip changed the container:\nbefore %s\nafter  %s", before, after)
		}
		if got := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "generated\n" {
			t.Errorf("the played-back pod's port: %q", got)
		}
		// Generated again, the YAML is what it was.
		if again := s.must("kube", "generate", "gen"); again != doc {
			t.Errorf("generate after the round trip differs:\n%s\nwas\n%s", again, doc)
		}

		// A container of no pod, and the errors.
		s.must("run", "-d", "--name", "loose", "-p", "8081", "busybox", "sleep", "600")
		var loose corev1.Pod
		if err := sigsyaml.UnmarshalStrict([]byte(strings.SplitN(s.must("generate", "kube", "loose"), "---\n", 2)[1]), &loose); err != nil ||
			loose.Name != "loose-pod" || len(loose.Spec.Containers) != 1 || loose.Spec.Containers[0].Name != "loose" ||
			!slices.Equal(loose.Spec.Containers[0].Args, []string{"sleep", "600"}) || loose.Spec.Containers[0].Ports[0].ContainerPort != 8081 {
			t.Errorf("generate kube of a container: %v %+v", err, loose.Spec)
		}
		wantError(t, s.scow("kube", "generate", "nosuch"), 125, "nosuch")
		wantError(t, s.scow("kube", "generate", "--type", "job", "loose"), 125, "--type")
		wantError(t, s.scow("kube", "generate", "--replicas", "2", "loose"), 125, "--replicas")
		infra := strings.TrimSpace(s.must("pod", "inspect", "--format", "{{.InfraContainerID}}", "gen"))
		wantError(t, s.scow("kube", "generate", infra), 125, "infra container")
	})
}
