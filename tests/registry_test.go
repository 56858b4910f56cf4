//go:build e2e

package tests

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.podman.io/image/v5/signature/sigstore"

	"golang.org/x/crypto/bcrypt"
)

// registry is a distribution registry (Debian's docker-registry) that a
// test started on 127.0.0.1.
type registry struct {
	host    string // 127.0.0.1:PORT
	certDir string // ca.crt for --cert-dir, when TLS
}

// startRegistry starts a registry: plain HTTP, or HTTPS with a CA made
// here, optionally with htpasswd basic auth for user "tester"/"s3cret".
func startRegistry(t *testing.T, useTLS, auth bool) *registry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("docker-registry is missing: hack/install-deps.sh --test installs it")
		}
		t.Skip("docker-registry is not installed")
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	r := &registry{host: host}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), host)
	scheme := "http"
	var pool *x509.CertPool
	if useTLS {
		scheme = "https"
		r.certDir = filepath.Join(suite.dir, "certs-"+filepath.Base(dir))
		os.MkdirAll(r.certDir, 0o755)
		pool = makeCerts(t, dir, r.certDir)
		cfg += fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	}
	if auth {
		hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.DefaultCost)
		os.WriteFile(filepath.Join(dir, "htpasswd"), []byte("tester:"+string(hash)+"\n"), 0o644)
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: scow-test\n    path: %s\n", filepath.Join(dir, "htpasswd"))
	}
	os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644)
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if !waitFor(15*time.Second, func() bool {
		resp, err := client.Get(scheme + "://" + host + "/v2/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}) {
		t.Fatalf("registry did not come up:\n%s", logs.String())
	}
	return r
}

// makeCerts writes a CA and a server certificate for 127.0.0.1.
func makeCerts(t *testing.T, dir, caDir string) *x509.CertPool {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "scow test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(p, typ string, b []byte, mode os.FileMode) {
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "server.crt"), "CERTIFICATE", der, 0o644)
	write(filepath.Join(dir, "server.key"), "EC PRIVATE KEY", keyDER, 0o600)
	write(filepath.Join(caDir, "ca.crt"), "CERTIFICATE", caDER, 0o644)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}

// layeredImage writes a docker-archive of n layers of random data, size
// bytes each, named tag, and returns its path.
func layeredImage(t *testing.T, m *mode, tag string, n, size int) string {
	t.Helper()
	dir := m.userDir(t)
	var layers, diffIDs []string
	for i := range n {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		data := make([]byte, size)
		rand.Read(data)
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("layer%d.bin", i), Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg})
		tw.Write(data)
		tw.Close()
		sum := sha256.Sum256(buf.Bytes())
		name := hex.EncodeToString(sum[:]) + ".tar"
		os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644)
		layers = append(layers, name)
		diffIDs = append(diffIDs, "sha256:"+hex.EncodeToString(sum[:]))
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "config": map[string]any{"Cmd": []string{"/bin/sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	sum := sha256.Sum256(cfg)
	cfgName := hex.EncodeToString(sum[:]) + ".json"
	os.WriteFile(filepath.Join(dir, cfgName), cfg, 0o644)
	manifest, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{tag}, "Layers": layers}})
	os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644)
	out := filepath.Join(m.userDir(t), "layered.tar")
	args := append([]string{"-C", dir, "-cf", out, "manifest.json", cfgName}, layers...)
	if b, err := exec.Command("tar", args...).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, b)
	}
	os.Chmod(out, 0o644)
	return out
}

func TestRegistryPushPull(t *testing.T) {
	reg := startRegistry(t, false, false)
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		ref := reg.host + "/" + m.name + "/busybox:1"
		digest := filepath.Join(m.userDir(t), "digest")
		s.must("push", "--tls-verify=false", "--digestfile", digest, "busybox", ref)
		want := s.imageIDs()[0]
		d, err := os.ReadFile(digest)
		if err != nil || !strings.HasPrefix(string(d), "sha256:") {
			t.Fatalf("--digestfile: %q %v", d, err)
		}
		// Back by tag and by digest, into empty stores.
		for _, name := range []string{ref, reg.host + "/" + m.name + "/busybox@" + string(d)} {
			fresh := newStore(t, m)
			out := fresh.must("pull", "--tls-verify=false", name)
			if "sha256:"+strings.TrimSpace(out) != want {
				t.Errorf("pull %s: ID %q, want %s", name, out, want)
			}
			if got := fresh.must("run", "--rm", name, "echo", "pulled"); got != "pulled\n" {
				t.Errorf("run of the pulled image: %q", got)
			}
			// By digest, the image has no tag: the digest shows
			// under --digests and in RepoDigests.
			if repo, _, byDigest := strings.Cut(name, "@"); byDigest {
				row := strings.Fields(fresh.must("images", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}"))
				if want := []string{repo, "<none>", string(d)}; strings.Join(row, " ") != strings.Join(want, " ") {
					t.Errorf("images of an image pulled by digest: %q, want %q", row, want)
				}
				got := fresh.must("image", "inspect", "--format", "{{json .RepoTags}} {{json .RepoDigests}}", name)
				if want := fmt.Sprintf("[] [%q]\n", name); got != want {
					t.Errorf("inspect of an image pulled by digest: %q, want %q", got, want)
				}
			}
		}
		// run pulls a missing image itself; --pull never does not.
		fresh := newStore(t, m)
		wantError(t, fresh.scow("run", "--rm", "--pull", "never", ref, "true"), 125, "not known")
		if got := fresh.must("run", "--rm", "--tls-verify=false", ref, "echo", "auto"); got != "auto\n" {
			t.Errorf("run pulling on demand: %q", got)
		}
		wantError(t, fresh.scow("run", "--rm", "--pull", "sometimes", ref, "true"), 125, "sometimes")
		// The light scow hands a run that must pull to scow-full before
		// it reads anything: an --env-file on standard input reaches the
		// container. And what scow inherited stays open for scow-full:
		// a load from /dev/fd/3.
		// (As root only: the test's pipe is root's, which the test user
		// may not open again through /dev/stdin.)
		if m.name == "root" {
			r := fresh.scowStdin("FROM_STDIN=yes\n", "run", "--rm", "--pull", "always", "--tls-verify=false", "--env-file", "/dev/stdin", ref, "env")
			if r.code != 0 || !strings.Contains(r.stdout, "FROM_STDIN=yes\n") {
				t.Errorf("run --pull always --env-file /dev/stdin: %s", r)
			}
		}
		archive, err := os.Open(suite.image)
		if err != nil {
			t.Fatal(err)
		}
		defer archive.Close()
		viaFd := newStore(t, m)
		load := m.cmdIn(context.Background(), viaFd.root, viaFd.run, "load", "-i", "/dev/fd/3")
		load.ExtraFiles = []*os.File{archive}
		if r := execute(t, load, ""); r.code != 0 || len(viaFd.imageIDs()) != 1 {
			t.Errorf("load -i /dev/fd/3: %s", r)
		}
		// Errors that say what to do.
		wantError(t, fresh.scow("pull", "--tls-verify=false", reg.host+"/"+m.name+"/busybox:nope"), 125, "no such tag")
		wantError(t, fresh.scow("pull", ref), 125, "--tls-verify=false")
		wantError(t, fresh.scow("pull", "--tls-verify=false", "127.0.0.1:1/x/y"), 125, "connection refused")
		wantError(t, fresh.scow("pull", "--tls-verify=false", "Bad::Name"), 125, "Bad::Name")
		wantError(t, fresh.scow("pull", "--tls-verify=false", "--platform", "linux", ref), 125, "want OS/ARCH[/VARIANT]")
		if got := fresh.must("pull", "-q", "--tls-verify=false", "--platform", "linux/"+runtime.GOARCH, ref); len(strings.TrimSpace(got)) != 64 {
			t.Errorf("pull --platform of the host's platform printed %q, want an image ID", got)
		}
		// --all-tags, history, --digests, image prune.
		s.must("push", "--tls-verify=false", "busybox", reg.host+"/"+m.name+"/busybox:2")
		tags := newStore(t, m)
		if got := strings.Fields(tags.must("pull", "--all-tags", "--tls-verify=false", reg.host+"/"+m.name+"/busybox")); len(got) != 2 {
			t.Errorf("pull --all-tags printed %v", got)
		}
		if got := tags.must("images", "--format", "{{.Tag}}"); got != "1\n2\n" && got != "2\n1\n" {
			t.Errorf("tags after --all-tags: %q", got)
		}
		if got := tags.must("images", "--digests", "--format", "{{.Digest}}"); !strings.HasPrefix(got, "sha256:") {
			t.Errorf("images --digests: %q", got)
		}
		if got := tags.must("history", "--format", "{{.ID}} {{.CreatedBy}}", reg.host+"/"+m.name+"/busybox:1"); got != want[len("sha256:"):len("sha256:")+12]+" hack/mkimage-busybox.sh\n" {
			t.Errorf("history: %q", got)
		}
		if got := tags.must("image", "prune", "-f"); got != "" {
			t.Errorf("image prune removed named images: %q", got)
		}
		if got := strings.Fields(tags.must("image", "prune", "-a", "-f")); len(got) != 1 {
			t.Errorf("image prune -a removed %v", got)
		}
		// A policy that rejects the registry.
		policy := m.userFile(t, "policy.json", `{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"`+reg.host+`":[{"type":"reject"}]}}}`)
		wantError(t, newStore(t, m).scow("pull", "--tls-verify=false", "--signature-policy", policy, ref), 125, "policy")
		// A five-layer image goes up and comes back whole.
		layered := layeredImage(t, m, reg.host+"/"+m.name+"/layered:1", 5, 2<<20)
		s.must("load", "-i", layered)
		s.must("push", "--tls-verify=false", reg.host+"/"+m.name+"/layered:1")
		back := newStore(t, m)
		back.must("pull", "-q", "--tls-verify=false", reg.host+"/"+m.name+"/layered:1")
		if a, b := s.must("image", "inspect", "--format", "{{.Id}}", reg.host+"/"+m.name+"/layered:1"), back.must("image", "inspect", "--format", "{{.Id}}", reg.host+"/"+m.name+"/layered:1"); a != b {
			t.Errorf("layered image ID changed: %s vs %s", a, b)
		}
		if got := back.must("image", "inspect", "--format", "{{len .RootFS.Layers}}", reg.host+"/"+m.name+"/layered:1"); got != "5\n" {
			t.Errorf("layers after the round trip: %q", got)
		}
		if got := s.must("search", "--tls-verify=false", reg.host+"/layered"); !strings.Contains(got, reg.host+"/"+m.name+"/layered") {
			t.Errorf("search:\n%s", got)
		}
		if got := s.must("search", "--tls-verify=false", "--compatible", "--filter", "is-official=false", reg.host+"/layered"); !strings.Contains(got, "AUTOMATED") || !strings.Contains(got, m.name+"/layered") {
			t.Errorf("search --compatible --filter is-official=false:\n%s", got)
		}
		if got := s.must("search", "--tls-verify=false", "--format", "{{.Index}} {{.Official}}|{{.Automated}}|", reg.host+"/layered"); got == "" || strings.Trim(strings.ReplaceAll(got, reg.host+" ||\n", ""), "\n") != "" {
			t.Errorf("search --format with Index, Official and Automated: %q", got)
		}
		if got := s.must("search", "--tls-verify=false", "--filter", "stars=1", reg.host+"/layered"); strings.Contains(got, "layered") {
			t.Errorf("search --filter stars=1 kept an unstarred repository:\n%s", got)
		}
		wantError(t, s.scow("search", "--filter", "colour=red", reg.host+"/layered"), 125, "colour")
		if got := s.must("search", "--tls-verify=false", "--list-tags", "--format", "{{.Tag}}", reg.host+"/"+m.name+"/layered"); got != "1\n" {
			t.Errorf("search --list-tags: %q", got)
		}
		wantError(t, s.scow("search", "--tls-verify=false", "--list-tags", reg.host+"/"+m.name+"/layered:1"), 125, "without a tag")
		// A pull killed halfway leaves no broken image, and the next works.
		killed := newStore(t, m)
		c := m.cmdIn(context.Background(), killed.root, killed.run, "pull", "--tls-verify=false", reg.host+"/"+m.name+"/layered:1")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
		c.Process.Kill()
		c.Wait()
		if ids := killed.imageIDs(); len(ids) > 1 {
			t.Errorf("images after a killed pull: %v", ids)
		}
		killed.must("pull", "-q", "--tls-verify=false", reg.host+"/"+m.name+"/layered:1")
		if got := killed.must("image", "inspect", "--format", "{{len .RootFS.Layers}}", reg.host+"/"+m.name+"/layered:1"); got != "5\n" {
			t.Errorf("layers after a retried pull: %q", got)
		}
	})
}

func TestRegistryTLSAndAuth(t *testing.T) {
	reg := startRegistry(t, true, true)
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		authfile := filepath.Join(m.userDir(t), "auth.json")
		ref := reg.host + "/" + m.name + "/busybox:1"
		wantError(t, s.scow("login", "-u", "tester", "-p", "s3cret", reg.host), 125, "TLS verification failed")
		wantError(t, s.scow("login", "--cert-dir", reg.certDir, "--authfile", authfile, "-u", "tester", "-p", "wrong", reg.host), 125, "authentication failed")
		wantError(t, s.scow("push", "--cert-dir", reg.certDir, "--authfile", authfile, "busybox", ref), 125, "scow login")
		r := s.scowStdin("s3cret\n", "login", "--cert-dir", reg.certDir, "--authfile", authfile, "-u", "tester", "--password-stdin", reg.host)
		if r.code != 0 || r.stdout != "Login Succeeded!\n" {
			t.Fatalf("login: %s", r)
		}
		if st, err := os.Stat(authfile); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("auth file mode: %v %v", st, err)
		}
		if got := s.must("login", "--authfile", authfile, "--get-login", reg.host); got != "tester\n" {
			t.Errorf("--get-login: %q", got)
		}
		// The password from a secret, whose name is the user's.
		if r := s.scowStdin("s3cret\n", "secret", "create", "tester", "-"); r.code != 0 {
			t.Fatalf("secret create: %s", r)
		}
		fromSecret := filepath.Join(m.userDir(t), "secret-auth.json")
		if got := s.must("login", "--cert-dir", reg.certDir, "--authfile", fromSecret, "--secret", "tester", reg.host); got != "Login Succeeded!\n" {
			t.Errorf("login --secret: %q", got)
		}
		if got := s.must("login", "--authfile", fromSecret, "--get-login", reg.host); got != "tester\n" {
			t.Errorf("--get-login after login --secret: %q", got)
		}
		wantError(t, s.scow("login", "--cert-dir", reg.certDir, "--authfile", fromSecret, "--secret", "nosuch", reg.host), 125, "nosuch")
		wantError(t, s.scow("login", "--authfile", fromSecret, "--secret", "tester", "-p", "x", reg.host), 125, "conflicts")
		s.must("push", "--cert-dir", reg.certDir, "--authfile", authfile, "busybox", ref)
		fresh := newStore(t, m)
		fresh.must("pull", "--cert-dir", reg.certDir, "--authfile", authfile, ref)
		fresh.must("pull", "--cert-dir", reg.certDir, "--creds", "tester:s3cret", ref)
		if got := s.must("logout", "--authfile", authfile, reg.host); !strings.Contains(got, reg.host) {
			t.Errorf("logout said %q", got)
		}
		wantError(t, fresh.scow("pull", "--cert-dir", reg.certDir, "--authfile", authfile, ref), 125, "scow login")
		wantError(t, s.scow("logout", "--authfile", authfile, reg.host), 125, "not logged in")
		// A Docker config.json, and --verbose saying where it went.
		compat := filepath.Join(m.userDir(t), "config.json")
		r = s.scowStdin("s3cret\n", "login", "-v", "--cert-dir", reg.certDir, "--compat-auth-file", compat, "-u", "tester", "--password-stdin", reg.host)
		if r.code != 0 || !strings.Contains(r.stdout, "Used: "+compat) {
			t.Errorf("login -v --compat-auth-file: %s", r)
		}
		if data, err := os.ReadFile(compat); err != nil || !strings.Contains(string(data), `"auths"`) || !strings.Contains(string(data), reg.host) {
			t.Errorf("the Docker config.json holds %q (%v)", data, err)
		}
		wantError(t, s.scow("logout", "--authfile", authfile, "--compat-auth-file", compat, reg.host), 125, "conflict")
		// --config names a Docker configuration directory: its
		// config.json's credentials pull. containers/image reads it
		// beside the default auth file of a login session
		// ($XDG_RUNTIME_DIR), not beside a named one.
		configDir := filepath.Dir(compat)
		fresh = newStore(t, m)
		session := []string{"XDG_RUNTIME_DIR=" + m.userDir(t)}
		pull := func(args ...string) result {
			return execute(t, m.cmdEnv(context.Background(), fresh.root, fresh.run, session, append(args, "pull", "--cert-dir", reg.certDir, ref)...), "")
		}
		wantError(t, pull(), 125, "scow login")
		if r := pull("--config", configDir); r.code != 0 {
			t.Errorf("pull with --config: %s", r)
		}
		// Without a login session too: scow's fallback auth file of a
		// user without XDG_RUNTIME_DIR does not hide --config's.
		if r := execute(t, m.cmdIn(context.Background(), newStore(t, m).root, fresh.run, "--config", configDir, "pull", "--cert-dir", reg.certDir, ref), ""); r.code != 0 {
			t.Errorf("pull with --config, no XDG_RUNTIME_DIR: %s", r)
		}
		s.must("logout", "--compat-auth-file", compat, reg.host)
		if data, _ := os.ReadFile(compat); strings.Contains(string(data), reg.host) {
			t.Errorf("logout --compat-auth-file left %q", data)
		}
		// The default auth file, then logout --all.
		if r := s.scowStdin("s3cret\n", "login", "--cert-dir", reg.certDir, "-u", "tester", "--password-stdin", reg.host); r.code != 0 {
			t.Fatalf("login to the default auth file: %s", r)
		}
		s.must("push", "--cert-dir", reg.certDir, "--format", "oci", "--compression-format", "zstd", "busybox", reg.host+"/"+m.name+"/zstd:1")
		zstd := newStore(t, m)
		zstd.must("pull", "--cert-dir", reg.certDir, reg.host+"/"+m.name+"/zstd:1")
		if got := zstd.must("run", "--rm", reg.host+"/"+m.name+"/zstd:1", "echo", "zstd"); got != "zstd\n" {
			t.Errorf("run of a zstd OCI image: %q", got)
		}
		if got := s.must("logout", "--all"); !strings.Contains(got, "all registries") {
			t.Errorf("logout --all: %q", got)
		}
		wantError(t, zstd.scow("pull", "--cert-dir", reg.certDir, reg.host+"/"+m.name+"/zstd:1"), 125, "scow login")
	})
}

func TestRegistriesConf(t *testing.T) {
	reg := startRegistry(t, false, false)
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("push", "--tls-verify=false", "busybox", reg.host+"/mirrored/busybox:1")
		conf := m.userFile(t, "registries.conf", fmt.Sprintf(`unqualified-search-registries = ["%[1]s"]
short-name-mode = "permissive"

[[registry]]
location = "%[1]s"
insecure = true

[[registry]]
prefix = "example.invalid/mirrored"
location = "example.invalid/mirrored"
[[registry.mirror]]
location = "%[1]s/mirrored"
insecure = true

[aliases]
"myalias" = "%[1]s/mirrored/busybox"
`, reg.host))
		env := []string{"CONTAINERS_REGISTRIES_CONF=" + conf}
		for _, name := range []string{"myalias:1", "example.invalid/mirrored/busybox:1", "mirrored/busybox:1"} {
			fresh := newStore(t, m)
			r := execute(t, m.cmdEnv(context.Background(), fresh.root, fresh.run, env, "pull", name), "")
			if r.code != 0 {
				t.Errorf("pull %s through registries.conf: %s", name, r)
			}
		}
		// Two search registries and enforcing mode: a short name is
		// ambiguous, and without a terminal to ask on, an error.
		ambiguous := m.userFile(t, "ambiguous.conf", fmt.Sprintf(`unqualified-search-registries = ["%[1]s", "example.invalid"]
short-name-mode = "enforcing"
[[registry]]
location = "%[1]s"
insecure = true
`, reg.host))
		fresh := newStore(t, m)
		r := execute(t, m.cmdEnv(context.Background(), fresh.root, fresh.run, []string{"CONTAINERS_REGISTRIES_CONF=" + ambiguous}, "pull", "mirrored/busybox:1"), "")
		wantError(t, r, 125, "ambiguous")
		// A blocked registry is refused.
		blocked := m.userFile(t, "blocked.conf", fmt.Sprintf("[[registry]]\nlocation = \"%s\"\ninsecure = true\nblocked = true\n", reg.host))
		r = execute(t, m.cmdEnv(context.Background(), fresh.root, fresh.run, []string{"CONTAINERS_REGISTRIES_CONF=" + blocked}, "pull", reg.host+"/mirrored/busybox:1"), "")
		wantError(t, r, 125, "blocked")
	})
}

// TestEncryptedImages: push --encryption-key encrypts the layers (JWE),
// and only a pull with the private key can store them.
func TestEncryptedImages(t *testing.T) {
	reg := startRegistry(t, false, false)
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		keys := func(name string) (pub, priv string) {
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			privDER, _ := x509.MarshalPKCS8PrivateKey(k)
			pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
			return m.userFile(t, name+".pub", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))),
				m.userFile(t, name+".key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})))
		}
		pub, priv := keys("mine")
		_, other := keys("other")
		ref := reg.host + "/" + m.name + "/secret:1"
		s.must("push", "--tls-verify=false", "--encryption-key", "jwe:"+pub, "busybox", ref)
		req, _ := http.NewRequest("GET", "http://"+reg.host+"/v2/"+m.name+"/secret/manifests/1", nil)
		req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "+encrypted") {
			t.Errorf("the pushed manifest has no encrypted layer:\n%s", body)
		}
		if r := newStore(t, m).scow("pull", "--retry", "0", "--tls-verify=false", ref); r.code != 125 || !strings.Contains(r.stderr, "--decryption-key") {
			t.Errorf("pull of an encrypted image without its key: %s", r)
		}
		if r := newStore(t, m).scow("pull", "--retry", "0", "--tls-verify=false", "--decryption-key", other, ref); r.code != 125 {
			t.Errorf("pull with another key: %s", r)
		}
		fresh := newStore(t, m)
		fresh.must("pull", "-q", "--tls-verify=false", "--decryption-key", priv, ref)
		if got := fresh.must("run", "--rm", ref, "echo", "decrypted"); got != "decrypted\n" {
			t.Errorf("run of the decrypted image: %q", got)
		}
		if got := newStore(t, m).must("run", "--rm", "--tls-verify=false", "--decryption-key", priv, ref, "echo", "pulled"); got != "pulled\n" {
			t.Errorf("run --decryption-key: %q", got)
		}
		wantError(t, s.scow("push", "--tls-verify=false", "--encrypt-layer", "0", "busybox", ref), 125, "--encryption-key")
		wantError(t, s.scow("push", "--tls-verify=false", "--format", "v2s2", "--encryption-key", "jwe:"+pub, "busybox", ref), 125, "oci")
		wantError(t, s.scow("push", "--tls-verify=false", "--encryption-key", "jwe:"+pub+".none", "busybox", ref), 125, "--encryption-key")
	})
}

// TestSigstoreSigning: push --sign-by-sigstore-private-key signs, and a
// policy that asks for the key's signature accepts the image then and
// only then.
func TestSigstoreSigning(t *testing.T) {
	reg := startRegistry(t, false, false)
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		home := m.userDir(t)
		regd := filepath.Join(home, ".config", "containers", "registries.d")
		os.MkdirAll(regd, 0o755)
		os.WriteFile(filepath.Join(regd, "sigstore.yaml"), []byte("default-docker:\n  use-sigstore-attachments: true\n"), 0o644)
		exec.Command("chown", "-R", fmt.Sprintf("%d:%d", m.uid, m.gid), home).Run()
		scow := func(store *store, args ...string) result {
			t.Helper()
			return execute(t, m.cmdEnv(context.Background(), store.root, store.run, []string{"HOME=" + home}, args...), "")
		}
		keys := func(name, pass string) (pub, priv string) {
			k, err := sigstore.GenerateKeyPair([]byte(pass))
			if err != nil {
				t.Fatal(err)
			}
			return m.userFile(t, name+".pub", string(k.PublicKey)), m.userFile(t, name+".key", string(k.PrivateKey))
		}
		pub, priv := keys("mine", "secret")
		otherPub, _ := keys("other", "x")
		passFile := m.userFile(t, "pass", "secret\n")
		signed, unsigned := reg.host+"/"+m.name+"/signed:1", reg.host+"/"+m.name+"/unsigned:1"
		if r := scow(s, "push", "--tls-verify=false", "--sign-by-sigstore-private-key", priv, "--sign-passphrase-file", passFile, "busybox", signed); r.code != 0 {
			t.Fatalf("signed push: %s", r)
		}
		s.must("push", "--tls-verify=false", "busybox", unsigned)
		policy := func(name, key string) string {
			return m.userFile(t, name, fmt.Sprintf(`{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{%q:[{"type":"sigstoreSigned","keyPath":%q,"signedIdentity":{"type":"matchRepoDigestOrExact"}}],%q:[{"type":"sigstoreSigned","keyPath":%q}]}}}`,
				reg.host+"/"+m.name+"/signed", key, reg.host+"/"+m.name+"/unsigned", key))
		}
		good, wrong := policy("good.json", pub), policy("wrong.json", otherPub)
		if r := scow(newStore(t, m), "pull", "-q", "--tls-verify=false", "--signature-policy", good, signed); r.code != 0 {
			t.Errorf("pull of the signed image under its key's policy: %s", r)
		}
		for _, tc := range []struct {
			policy, ref string
		}{{wrong, signed}, {good, unsigned}} {
			if r := scow(newStore(t, m), "pull", "--retry", "0", "--tls-verify=false", "--signature-policy", tc.policy, tc.ref); r.code != 125 {
				t.Errorf("pull of %s under %s: %s", tc.ref, filepath.Base(tc.policy), r)
			}
		}
		wantError(t, scow(s, "push", "--retry", "0", "--tls-verify=false", "--sign-by-sigstore-private-key", priv, "--sign-passphrase-file", m.userFile(t, "badpass", "wrong\n"), "busybox", signed), 125, "passphrase")
		wantError(t, s.scow("push", "--sign-passphrase-file", passFile, "busybox", signed), 125, "--sign-by-sigstore-private-key")
	})
}
