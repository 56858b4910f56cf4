//go:build !scow_light

package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/images"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/storage"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
)

// Service builds images.
type Service struct {
	*backend.Backend
	containers *containers.Service
	images     *images.Service
}

// New returns the build service.
func New(b *backend.Backend, c *containers.Service, i *images.Service) *Service {
	return &Service{Backend: b, containers: c, images: i}
}

// Options are the flags of build.
type Options struct {
	// ContextDir is the build context: what COPY and ADD read.
	ContextDir string
	// File is the Containerfile: a path, "-" for Stdin, "" for the
	// context's Containerfile or Dockerfile.
	File  string
	Stdin io.Reader
	// IgnoreFile lists what of the context COPY never sees; "" reads
	// the context's .containerignore or .dockerignore.
	IgnoreFile string
	Tags       []string
	// BuildArgs are --build-arg values, KEY=VALUE, or KEY to take this
	// process's variable.
	BuildArgs []string
	// Labels are added to the image's (KEY=VALUE).
	Labels []string
	// NoCache builds every step, reusing no image of an earlier build.
	NoCache bool
	// Pull is the pull policy of the base images ("": missing).
	Pull     string
	Registry images.RegistryOptions
	// Target is the stage to build ("": the last).
	Target string
	// Format is the image's manifest type: oci (default) or docker.
	Format string
	// Network is RUN's network, as run's --network.
	Network string
	// IIDFile receives the image's ID.
	IIDFile string
	// Out receives the steps and what RUN prints; Quiet prints only RUN's
	// output there.
	Out   io.Writer
	Quiet bool
	// Jobs is how many stages may be built at the same time (0: all).
	Jobs int
	// Output, if set, also exports the image's files: type=local,dest=DIR
	// (or DIR), type=tar,dest=FILE (or -: to OutputStdout).
	Output       string
	OutputStdout io.Writer
	// CppFlags are cpp's flags for a Containerfile whose name ends in
	// .in, which cpp preprocesses (#include, #define).
	CppFlags []string
	// From, if set, replaces the first FROM's image.
	From string
	// AllStages builds every stage up to the target, needed or not.
	AllStages bool
	// RunStdin gives RUN steps Stdin, when stages are built one at a
	// time.
	RunStdin bool
	// Contexts are --build-context's named contexts: a directory, or an
	// image (docker-image://, container-image://), for FROM, COPY --from
	// and RUN --mount from= to name.
	Contexts map[string]string
	// Run is what RUN's containers get besides their step: run's flags
	// that build shares (--cap-add, --volume, --memory, --add-host...).
	Run specgen.RunOptions
	// KeepContainers keeps a successful RUN's container (--rm=false),
	// KeepFailed a failed one's (--force-rm=false).
	KeepContainers, KeepFailed bool
	// Env, UnsetEnv and UnsetLabels change the image's environment and
	// labels; NoInheritLabels drops the base image's labels.
	Env, UnsetEnv, UnsetLabels []string
	NoInheritLabels            bool
	// Secrets are --secret values, for RUN --mount=type=secret.
	Secrets []Secret
	// SSH maps --ssh IDs to agents' sockets, for RUN --mount=type=ssh.
	SSH map[string]string
	// Timestamp, if set, is the time of the image and its history;
	// OmitHistory leaves the history out.
	Timestamp   *time.Time
	OmitHistory bool
	// NoLayers (--layers=false) makes each stage's steps one layer and
	// reuses no earlier build's; Squash makes the image's new layers one,
	// SquashAll all its layers.
	NoLayers, Squash, SquashAll bool
	// Annotations (KEY=VALUE) go into the image's manifest.
	Annotations []string
	// CacheFrom are repositories to pull a step's image from, tagged
	// with its cache key, before building it; CacheTo the repositories
	// the built steps' images are pushed to so.
	CacheFrom, CacheTo []string
	// CacheTTL, if set, is how old a step's image may be to be reused.
	CacheTTL *time.Duration
}

// state is a stage's image so far: what a step builds on.
type state struct {
	// image is the last committed image ("" for nothing yet, FROM
	// scratch), config what the steps since made of its configuration.
	image  string
	config dockerspec.DockerOCIImage
	// history are the steps since image, for the next image's history.
	history []imgspecv1.History
	// args are the build arguments in scope: ARGs declared in the
	// stage, with their values.
	args  map[string]string
	shell []string
	// salt is what of the build's options the images depend on, for the
	// cache keys.
	salt string
	// annotations are the manifest's, of the build's image.
	annotations map[string]string
}

// builder is one build: its file, context and the images of its stages.
// Each stage has its copy, with its own output.
type builder struct {
	*Service
	o      Options
	f      *file
	ctx    string
	ignore *ignore
	args   map[string]string // --build-arg values
	meta   map[string]string // ARGs before the first FROM
	before map[string]bool   // with --layers=false, the images there before
	*shared
	// started is when the build started: the time of a heredoc's file.
	started time.Time
	// out receives the steps, runOut what RUN prints; stdin, if set, is
	// RUN's input.
	out, runOut io.Writer
	stdin       io.Reader
	// tmp is the build's temporary directory: its name marks the
	// containers of its steps, which a later build removes once it is
	// gone (its build killed).
	tmp string
}

// shared is what a build's stages, built at the same time, share.
type shared struct {
	mu      sync.Mutex
	used    map[string]bool // --build-arg values some ARG took
	results map[int]string  // built stages' images
	made    []string        // the images the steps made, in order
}

// use notes that an ARG took --build-arg key.
func (sh *shared) use(key string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.used[key] = true
}

// result is built stage i's image.
func (sh *shared) result(i int) string {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.results[i]
}

// ownerLabel marks the containers of a build's RUN steps with the name of
// the build's temporary directory.
const ownerLabel = "io.scow.build"

// Build builds the image the Containerfile describes and returns its ID.
func (e *Service) Build(ctx context.Context, o Options) (string, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if err := e.Open(); err != nil {
		return "", err
	}
	if o.Format != "" && o.Format != "oci" && o.Format != "docker" {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--format %q: use oci or docker", o.Format))
	}
	for _, r := range append(slices.Clone(o.CacheFrom), o.CacheTo...) {
		if err := cacheRepository(r); err != nil {
			return "", err
		}
	}
	export, err := parseOutput(o.Output)
	if err != nil {
		return "", err
	}
	if len(o.Annotations) > 0 && o.Format == "docker" {
		// As Podman: the format has no place for them.
		fmt.Fprintln(o.Out, "[Warning] --annotation: a Docker manifest has no annotations; they are dropped (--format oci keeps them)")
		o.Annotations = nil
	}
	for _, t := range o.Tags {
		if _, err := storage.NormalizeName(t); err != nil {
			return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--tag %s: %w", t, err))
		}
	}
	osName, arch, _, err := storage.PlatformChoice(o.Registry)
	if err != nil {
		return "", errdefs.WithClass(errdefs.ErrInvalid, err)
	}
	if host := platformArgs(); osName != "" && osName != host["TARGETOS"] || arch != "" && arch != host["TARGETARCH"] {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--platform, --os, --arch: scow builds for this host's platform only, %s", host["TARGETPLATFORM"]))
	}
	tmp, done, err := e.TempDir("build-")
	if err != nil {
		return "", err
	}
	defer done()
	if o.ContextDir == "-" {
		if o.ContextDir, o.File, err = stdinContext(tmp, o.Stdin, o.File); err != nil {
			return "", err
		}
	}
	contextDir, err := filepath.Abs(o.ContextDir)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(contextDir); err != nil || !st.IsDir() {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("build context %s: not a directory", o.ContextDir))
	}
	data, err := readContainerfile(contextDir, o.File, o.Stdin)
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(o.File, ".in") {
		if data, err = preprocess(ctx, o.File, data, o.CppFlags); err != nil {
			return "", err
		}
	}
	f, err := parseFile(data)
	if err != nil {
		return "", err
	}
	if o.From != "" {
		f.stages[0].BaseName = o.From
	}
	if err := checkContexts(o.Contexts); err != nil {
		return "", err
	}
	ign, err := readIgnore(contextDir, o.IgnoreFile)
	if err != nil {
		return "", err
	}
	defer done()
	e.sweep(ctx)
	b := &builder{Service: e, o: o, f: f, ctx: contextDir, ignore: ign, tmp: tmp, args: map[string]string{}, meta: map[string]string{},
		shared: &shared{used: map[string]bool{}, results: map[int]string{}}, out: o.Out, runOut: o.Out, started: time.Now()}
	if o.Quiet {
		b.out = io.Discard
	}
	for _, kv := range o.BuildArgs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			if v, ok = os.LookupEnv(k); !ok {
				continue
			}
		}
		b.args[k] = v
	}
	// ARGs before the first FROM: for the FROM lines, and as defaults of
	// a stage's ARG of the same name.
	for _, a := range f.metaArgs {
		for _, kv := range a.Args {
			if v, given := b.args[kv.Key]; given {
				b.meta[kv.Key], b.used[kv.Key] = v, true
			} else if kv.Value != nil {
				b.meta[kv.Key] = b.word(*kv.Value, b.metaEnv())
			}
		}
	}
	target, err := f.target(o.Target)
	if err != nil {
		return "", err
	}
	order := f.needed(target, b.baseOf)
	if o.AllStages {
		order = nil
		for i := range target + 1 {
			order = append(order, i)
		}
	}
	if o.NoLayers {
		if b.before, err = b.imageSet(); err != nil {
			return "", err
		}
	}
	id, err := b.stages(ctx, order, target)
	if o.NoLayers {
		b.removeSteps(id) // also of a failed build
	}
	if err != nil {
		return "", err
	}
	if export != nil {
		if err := b.export(id, export); err != nil {
			return id, err
		}
	}
	for k := range b.args {
		if !b.used[k] && !slices.Contains(proxyArgs, k) {
			fmt.Fprintf(b.out, "[Warning] one or more build args were not consumed: [%s]\n", k)
		}
	}
	if o.IIDFile != "" {
		if err := os.WriteFile(o.IIDFile, []byte("sha256:"+id), 0o644); err != nil {
			return id, fmt.Errorf("--iidfile: %w", err)
		}
	}
	return id, nil
}

// imageSet is the IDs of the images in the store.
func (b *builder) imageSet() (map[string]bool, error) {
	imgs, err := b.Store.Images()
	if err != nil {
		return nil, backend.StorageErr(err)
	}
	set := map[string]bool{}
	for _, img := range imgs {
		set[img.ID] = true
	}
	return set, nil
}

// removeSteps removes the images of the build's steps, as --layers=false
// keeps only the stages' images: those its steps made (and were not
// there before), but final, newest first.
func (b *builder) removeSteps(final string) {
	b.mu.Lock()
	made := slices.Clone(b.made)
	b.mu.Unlock()
	inUse := errors.New("in use")
	for _, id := range slices.Backward(made) {
		if !b.before[id] && id != final {
			b.Store.RemoveImage(id, false, func([]string) error { return inUse })
		}
	}
}

// sweep removes the step containers of builds that were killed: those
// whose temporary directory is gone (TempDir removes one nobody holds).
func (e *Service) sweep(ctx context.Context) {
	e.PruneContainers(ctx)
}

// PruneContainers removes the containers of builds that were killed, as
// the next build does, and returns their IDs: those whose build's
// temporary directory is gone (TempDir removes one nobody holds).
func (e *Service) PruneContainers(ctx context.Context) []string {
	if e.Open() != nil {
		return nil
	}
	gone := e.gone
	var removed []string
	for id, owner := range e.Store.BuildContainers() {
		if gone(owner) && e.Store.DeleteContainer(id) == nil {
			removed = append(removed, id)
		}
	}
	ids, err := e.containers.Select(ctx, containers.Selection{Filters: []string{"label=" + ownerLabel}})
	if err != nil {
		return removed
	}
	for _, id := range ids {
		if cfg, err := e.Rec.LoadConfig(id); err == nil && gone(cfg.Labels[ownerLabel]) {
			now := 0
			if e.containers.ForceRemove(ctx, id, &now) == nil {
				removed = append(removed, id)
			}
		}
	}
	return removed
}

// gone tells whether the build that marked a container with owner (its
// temporary directory) is over: the directory is gone, or nobody holds
// it (its build was killed).
func (e *Service) gone(owner string) bool {
	if !filepath.IsAbs(owner) {
		owner = filepath.Join(e.TmpDir(), owner) // an older build's mark
	}
	return !backend.TempDirInUse(owner)
}

// Building tells whether container id of the store is a step of a build
// under way.
func (e *Service) Building(id string) bool {
	owner, ok := e.Store.BuildContainers()[id]
	return ok && !e.gone(owner)
}

// cacheRoot holds what RUN --mount=type=cache keeps between builds.
func (e *Service) cacheRoot() string { return filepath.Join(e.Opts.Root, "build-cache") }

// PruneCache removes what RUN --mount=type=cache kept between builds.
func (e *Service) PruneCache() error {
	dir := e.cacheRoot()
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove the build cache %s: %w", dir, err)
	}
	return nil
}

// metaEnv is what FROM lines expand with.
func (b *builder) metaEnv() envGetter {
	var env envGetter
	for k, v := range platformArgs() {
		env = append(env, k+"="+v)
	}
	for _, k := range slices.Sorted(maps.Keys(b.meta)) {
		env = append(env, k+"="+b.meta[k])
	}
	return env
}

// word expands the variables of a word; a word that does not expand
// stays as it is, for the step to report.
func (b *builder) word(w string, env envGetter) string {
	out, _, err := b.f.lex.ProcessWord(w, env)
	if err != nil {
		return w
	}
	return out
}

// stdinContext reads the context "-": standard input holds a tar archive
// of the context (compressed or not), unpacked chrooted into tmp, or else
// the Containerfile, with an empty context. It returns the context
// directory and the Containerfile to read.
func stdinContext(tmp string, stdin io.Reader, file string) (string, string, error) {
	if file == "-" {
		return "", "", errdefs.WithClass(errdefs.ErrInvalid, errors.New("-f - with the context -: standard input is one of them"))
	}
	spool, err := os.CreateTemp(tmp, "stdin-")
	if err != nil {
		return "", "", err
	}
	defer spool.Close()
	if _, err := io.Copy(spool, stdin); err != nil {
		return "", "", fmt.Errorf("read the context from standard input: %w", err)
	}
	dir := filepath.Join(tmp, "context")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", "", err
	}
	if !isTar(spool) {
		if file != "" {
			return "", "", errdefs.WithClass(errdefs.ErrInvalid, errors.New("-f with a Containerfile on standard input: give one or the other"))
		}
		return dir, spool.Name(), nil
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return "", "", err
	}
	if err := chrootarchive.Untar(spool, dir, &archive.TarOptions{NoLchown: true}); err != nil {
		return "", "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("unpack the context from standard input: %w", err))
	}
	if file != "" {
		// -f names a file of the context, links resolved inside it.
		if file, err = securejoin.SecureJoin(dir, file); err != nil {
			return "", "", err
		}
	}
	return dir, file, nil
}

// isTar tells whether f holds a tar archive, compressed or not.
func isTar(f *os.File) bool {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false
	}
	r, err := archive.DecompressStream(f)
	if err != nil {
		return false
	}
	defer r.Close()
	var block [512]byte
	if _, err := io.ReadFull(r, block[:]); err != nil {
		return false
	}
	return string(block[257:262]) == "ustar"
}

// output is where --output exports the image's files.
type output struct {
	tar  bool   // a tar archive, else a directory
	dest string // "-": OutputStdout
}

// parseOutput reads --output: type=local|tar,dest=PATH, or PATH alone (a
// directory; - is a tar on standard output).
func parseOutput(v string) (*output, error) {
	bad := func(why string) error {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--output %q: %s", v, why))
	}
	switch {
	case v == "":
		return nil, nil
	case v == "-":
		return &output{tar: true, dest: "-"}, nil
	case !strings.Contains(v, "="):
		return &output{dest: v}, nil
	}
	o := &output{}
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "type":
			if val != "local" && val != "tar" {
				return nil, bad("type is local or tar")
			}
			o.tar = val == "tar"
		case "dest":
			o.dest = val
		default:
			return nil, bad("give type=local|tar,dest=PATH")
		}
	}
	if o.dest == "" || o.dest == "-" && !o.tar {
		return nil, bad("give dest=PATH (- only for a tar)")
	}
	return o, nil
}

// export writes image id's files where --output says.
func (b *builder) export(id string, o *output) error {
	root, err := b.Store.MountImage(id)
	if err != nil {
		return backend.StorageErr(err)
	}
	defer b.Store.UnmountImage(id, false)
	rc, err := archive.TarWithOptions(root, &archive.TarOptions{})
	if err != nil {
		return fmt.Errorf("--output: read the image's files: %w", err)
	}
	defer rc.Close()
	switch {
	case o.tar && o.dest == "-":
		_, err = io.Copy(b.o.OutputStdout, rc)
	case o.tar:
		var f *os.File
		if f, err = os.Create(o.dest); err == nil {
			if _, err = io.Copy(f, rc); err == nil {
				err = f.Close()
			} else {
				f.Close()
			}
		}
	default:
		if err = os.MkdirAll(o.dest, 0o755); err == nil {
			// The files are the user's, as any file a command writes.
			err = chrootarchive.Untar(rc, o.dest, &archive.TarOptions{NoLchown: true})
		}
	}
	if err != nil {
		return fmt.Errorf("--output %s: %w", o.dest, err)
	}
	return nil
}

// contextImage is the image a --build-context value names, if it names
// one.
func contextImage(value string) (string, bool) {
	for _, scheme := range []string{"docker-image://", "container-image://"} {
		if ref, ok := strings.CutPrefix(value, scheme); ok {
			return ref, true
		}
	}
	return "", false
}

// checkContexts checks --build-context's values: images or directories.
func checkContexts(contexts map[string]string) error {
	for name, value := range contexts {
		if _, ok := contextImage(value); ok {
			continue
		}
		if strings.Contains(value, "://") {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--build-context %s=%s: give a directory, docker-image://IMAGE or container-image://IMAGE", name, value))
		}
		if st, err := os.Stat(value); err != nil || !st.IsDir() {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--build-context %s=%s: not a directory", name, value))
		}
	}
	return nil
}

// preprocess runs a Containerfile.in through cpp, its #include files
// found next to it.
func preprocess(ctx context.Context, file string, data []byte, flags []string) ([]byte, error) {
	cpp, err := exec.LookPath("cpp")
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s: a Containerfile ending in .in is preprocessed by cpp, which is not installed (apt-get install cpp)", file))
	}
	args := append([]string{"-E", "-P", "-traditional", "-undef", "-iquote", filepath.Dir(file)}, flags...)
	cmd := exec.CommandContext(ctx, cpp, append(args, "-")...)
	var stderr strings.Builder
	cmd.Stdin, cmd.Stderr = bytes.NewReader(data), &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("preprocess %s with cpp: %v: %s", file, err, strings.TrimSpace(stderr.String())))
	}
	return out, nil
}

// FindContainerfile returns the path of dir's Containerfile, else of its
// Dockerfile, "" when it has neither.
func FindContainerfile(dir string) string {
	for _, name := range []string{"Containerfile", "Dockerfile"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// readContainerfile reads the file of -f: a path, - for stdin, or the
// context's Containerfile, else its Dockerfile.
func readContainerfile(contextDir, file string, stdin io.Reader) ([]byte, error) {
	switch file {
	case "-":
		return io.ReadAll(stdin)
	case "":
		if file = FindContainerfile(contextDir); file == "" {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("no Containerfile or Dockerfile in %s: give one with -f", contextDir))
		}
		return os.ReadFile(file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("-f %s: %w", file, err))
	}
	return data, nil
}

// stages builds the stages of order, each once those it needs are, up to
// Jobs at a time (0: all); their output comes in order, as one after the
// other. It returns the target stage's image.
func (b *builder) stages(ctx context.Context, order []int, target int) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := b.o.Jobs
	if jobs <= 0 {
		jobs = len(order)
	}
	if b.o.RunStdin && (jobs == 1 || len(order) == 1) {
		// Input goes to one step at a time, as without stages.
		b.stdin = b.o.Stdin
	}
	slots := make(chan struct{}, jobs)
	out := newSequence(b.o.Out, len(order))
	done, deps := map[int]chan struct{}{}, map[int][]int{}
	for _, i := range order {
		done[i], deps[i] = make(chan struct{}), b.f.deps(i, b.baseOf)
	}
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for n, i := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[i])
			for _, j := range deps[i] {
				select {
				case <-done[j]:
				case <-ctx.Done():
				}
			}
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				out.end(n, cancelled)
				return
			}
			sb := *b
			sb.f, sb.out, sb.runOut = b.f.withLexers(), out.part(n), out.part(n)
			if b.o.Quiet {
				sb.out = io.Discard
			}
			id, err := sb.stage(ctx, i, n, len(order), i == target)
			if err != nil {
				// The first failure is the build's: the others follow
				// from its cancelling them.
				how := cancelled
				once.Do(func() { firstErr, how = err, failed; cancel() })
				out.end(n, how)
				return
			}
			b.mu.Lock()
			b.results[i] = id
			b.mu.Unlock()
			out.end(n, built)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return "", firstErr
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return b.result(target), nil
}

// baseOf is what stage i's FROM names, expanded.
func (b *builder) baseOf(i int) string {
	return b.word(b.f.stages[i].BaseName, b.metaEnv())
}

// stage builds stage i, the n-th of total to build, and returns its
// image; the last is tagged.
func (b *builder) stage(ctx context.Context, i, n, total int, last bool) (string, error) {
	st := b.f.stages[i]
	prefix := ""
	if total > 1 {
		prefix = fmt.Sprintf("[%d/%d] ", n+1, total)
	}
	steps := len(st.Commands) + 1
	step := 1
	fmt.Fprintf(b.out, "%sSTEP %d/%d: %s\n", prefix, step, steps, st.SourceCode)
	s, err := b.from(ctx, i)
	if err != nil {
		return "", b.stepError(st.SourceCode, err)
	}
	base := s.image
	commands := st.Commands
	if triggers := s.config.Config.OnBuild; len(triggers) > 0 {
		// The base image's ONBUILD triggers run first, once.
		parsed, err := parseFile([]byte("FROM scratch\n" + strings.Join(triggers, "\n")))
		if err != nil {
			return "", fmt.Errorf("ONBUILD triggers of %s: %w", st.BaseName, err)
		}
		commands = append(slices.Clone(parsed.stages[0].Commands), commands...)
		s.config.Config.OnBuild = nil
	}
	for _, c := range commands {
		if slices.Contains(st.Commands, c) {
			step++
			fmt.Fprintf(b.out, "%sSTEP %d/%d: %s\n", prefix, step, steps, c)
		}
		if err := b.step(ctx, s, i, c); err != nil {
			return "", b.stepError(fmt.Sprint(c), err)
		}
	}
	return b.finish(ctx, s, base, last)
}

// stepError says which step failed; a RUN's exit code stays the build's.
func (b *builder) stepError(step string, err error) error {
	return fmt.Errorf("building at STEP \"%s\": %w", step, err)
}

// from starts stage i's state from what its FROM names: scratch, an
// earlier stage, or an image, pulled as the pull policy says.
func (b *builder) from(ctx context.Context, i int) (*state, error) {
	name := b.word(b.f.stages[i].BaseName, b.metaEnv())
	if p := b.f.stages[i].Platform; p != "" {
		if platform := b.word(p, b.metaEnv()); platform != platformArgs()["TARGETPLATFORM"] {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--platform %s: scow builds for this host's platform only, %s", platform, platformArgs()["TARGETPLATFORM"]))
		}
	}
	s := &state{args: map[string]string{}, shell: []string{"/bin/sh", "-c"}, salt: b.salt()}
	if v, ok := b.o.Contexts[name]; ok {
		ref, isImage := contextImage(v)
		if !isImage {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("FROM %s: --build-context %s is a directory; FROM takes an image (docker-image://IMAGE)", name, name))
		}
		name = ref
	}
	switch j := b.f.stageIndex(name, i); {
	case strings.EqualFold(name, "scratch"):
		s.config = dockerspec.DockerOCIImage{}
		s.config.OS, s.config.Architecture = "linux", platformArgs()["TARGETARCH"]
		b.fromFlags(s)
		return s, nil
	case j >= 0:
		s.image = b.result(j)
	default:
		if err := b.images.Ensure(ctx, name, b.o.Pull, b.o.Registry, b.out); err != nil {
			return nil, err
		}
		img, err := b.Store.Resolve(name)
		if err != nil {
			return nil, backend.StorageErr(err)
		}
		s.image = img.ID
	}
	img, err := b.Store.Image(s.image)
	if err != nil {
		return nil, backend.StorageErr(err)
	}
	s.config = img.Config
	if len(s.config.Config.Shell) > 0 {
		s.shell = slices.Clone(s.config.Config.Shell)
	}
	b.fromFlags(s)
	return s, nil
}

// salt is what the images of the steps depend on besides the steps:
// their manifest type, history and times.
func (b *builder) salt() string {
	ts := "now"
	if b.o.Timestamp != nil {
		ts = b.o.Timestamp.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("format=%s omit-history=%t timestamp=%s", b.o.Format, b.o.OmitHistory, ts)
}

// fromFlags applies to a stage's base what build's flags say of it:
// --env, and --inherit-labels=false.
func (b *builder) fromFlags(s *state) {
	for _, kv := range b.o.Env {
		if !strings.Contains(kv, "=") {
			v, ok := os.LookupEnv(kv)
			if !ok {
				continue
			}
			kv += "=" + v
		}
		s.config.Config.Env = mergeEnv(s.config.Config.Env, kv)
	}
	if b.o.NoInheritLabels {
		s.config.Config.Labels = nil
	}
}

// env is what a step's words expand with: the build arguments in scope,
// then the image's environment, which wins.
func (s *state) env() envGetter {
	var env envGetter
	for _, k := range slices.Sorted(maps.Keys(s.args)) {
		env = append(env, k+"="+s.args[k])
	}
	return append(env, s.config.Config.Env...)
}

// cacheKey is what makes a step's image reusable: its parent, the
// configuration it starts from, the instruction, the arguments in scope
// and what it copies.
func (s *state) cacheKey(instruction, content string) string {
	cfg := s.config
	cfg.Created, cfg.History, cfg.RootFS = nil, nil, imgspecv1.RootFS{}
	data, _ := json.Marshal(cfg)
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n", s.image, data, s.salt, instruction)
	for _, k := range slices.Sorted(maps.Keys(s.args)) {
		fmt.Fprintf(h, "%s=%s\n", k, s.args[k])
	}
	fmt.Fprintf(h, "%s\n", content)
	return hex.EncodeToString(h.Sum(nil))
}

// cacheMetadata is what an image built for a step keeps of its key.
func cacheMetadata(key string) string {
	data, _ := json.Marshal(map[string]string{"scow.build.cache": key})
	return string(data)
}

// cached finds the image a step with key built before, if the cache is
// used: here, else in a --cache-from repository. The state moves to it.
func (b *builder) cached(ctx context.Context, s *state, key string) (bool, error) {
	if b.o.NoCache || b.o.NoLayers || b.o.CacheTTL != nil && *b.o.CacheTTL <= 0 {
		return false, nil
	}
	id, ok := b.Store.ImageByMetadata(cacheMetadata(key))
	if !ok {
		if id, ok = b.pullCache(ctx, key); !ok {
			return false, nil
		}
	}
	img, err := b.Store.Image(id)
	if err != nil || b.o.CacheTTL != nil && time.Since(img.Created) > *b.o.CacheTTL {
		return false, nil
	}
	fmt.Fprintf(b.out, "--> Using cache %s\n", id)
	s.image, s.config, s.history = id, img.Config, nil
	return true, b.pushCache(ctx, id, key)
}

// pushCache pushes a step's image to the --cache-to repositories, tagged
// with its cache key.
func (b *builder) pushCache(ctx context.Context, id, key string) error {
	if b.o.NoLayers {
		return nil
	}
	for _, repo := range b.o.CacheTo {
		if err := b.images.Push(ctx, id, repo+":"+key, images.PushOptions{RegistryOptions: b.o.Registry}); err != nil {
			return fmt.Errorf("--cache-to %s: %w", repo, err)
		}
	}
	return nil
}

// cacheRepository checks a --cache-from or --cache-to repository: a name
// without tag or digest, which the cache keys tag.
func cacheRepository(repo string) error {
	named, err := reference.ParseNormalizedNamed(repo)
	if err == nil && !reference.IsNameOnly(named) {
		err = errors.New("give a repository without tag or digest")
	}
	if err != nil {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--cache-from/--cache-to %s: %w", repo, err))
	}
	return nil
}

// pullCache pulls a step's image from the first --cache-from repository
// that has it, tagged with the step's key, and keeps it as the step's
// cache, unnamed.
func (b *builder) pullCache(ctx context.Context, key string) (string, bool) {
	for _, repo := range b.o.CacheFrom {
		ref := repo + ":" + key
		id, err := b.images.Pull(ctx, ref, b.o.Registry)
		if err != nil {
			if !errors.Is(err, storage.ErrNoSuchImage) {
				fmt.Fprintf(b.out, "[Warning] --cache-from %s: %v\n", repo, err)
			}
			continue
		}
		if err := b.Store.MarkImage(id, ref, cacheMetadata(key)); err != nil {
			fmt.Fprintf(b.out, "[Warning] --cache-from %s: %v\n", repo, err)
			continue
		}
		return id, true
	}
	return "", false
}

// commit makes the image of a step: the state's configuration, with the
// changes of container ctr (none: "") as a new layer; the state moves to
// it.
func (b *builder) commit(ctx context.Context, s *state, ctr, key string, h imgspecv1.History) error {
	h.CreatedBy = strings.TrimSpace(h.CreatedBy)
	cfg := s.config
	o := storage.ImageOptions{
		Parent: s.image, Container: ctr, Config: cfg, History: append(s.history, h),
		Format: b.o.Format, Metadata: cacheMetadata(key), OmitHistory: b.o.OmitHistory, Annotations: s.annotations,
	}
	if b.o.Timestamp != nil {
		o.Created, o.FileTimes = *b.o.Timestamp, true
	}
	id, err := b.Store.NewImage(o)
	if err != nil {
		return backend.StorageErr(err)
	}
	img, err := b.Store.Image(id)
	if err != nil {
		return backend.StorageErr(err)
	}
	s.image, s.config, s.history = id, img.Config, nil
	fmt.Fprintf(b.out, "--> %.11s\n", id)
	b.mu.Lock()
	b.made = append(b.made, id)
	b.mu.Unlock()
	return b.pushCache(ctx, id, key)
}

// finish makes a stage's image: the steps since its last image, with
// --label's labels; the last stage's gets the tags. base is the image
// the stage started from.
func (b *builder) finish(ctx context.Context, s *state, base string, last bool) (string, error) {
	if last && len(b.o.UnsetEnv)+len(b.o.UnsetLabels) > 0 {
		cfg := &s.config.Config
		cfg.Env = slices.DeleteFunc(cfg.Env, func(kv string) bool {
			k, _, _ := strings.Cut(kv, "=")
			return slices.Contains(b.o.UnsetEnv, k)
		})
		for _, l := range b.o.UnsetLabels {
			delete(cfg.Labels, l)
		}
		s.history = append(s.history, imgspecv1.History{CreatedBy: "/bin/sh -c #(nop) unset " + strings.Join(append(slices.Clone(b.o.UnsetEnv), b.o.UnsetLabels...), " "), EmptyLayer: true})
	}
	if last && len(b.o.Labels) > 0 {
		if s.config.Config.Labels == nil {
			s.config.Config.Labels = map[string]string{}
		}
		for _, l := range b.o.Labels {
			k, v, _ := strings.Cut(l, "=")
			s.config.Config.Labels[k] = v
		}
		s.history = append(s.history, imgspecv1.History{CreatedBy: "/bin/sh -c #(nop) LABEL " + strings.Join(b.o.Labels, " "), EmptyLayer: true})
	}
	if last && len(b.o.Annotations) > 0 {
		s.annotations = map[string]string{}
		for _, a := range b.o.Annotations {
			k, v, _ := strings.Cut(a, "=")
			s.annotations[k] = v
		}
		s.history = append(s.history, imgspecv1.History{CreatedBy: "/bin/sh -c #(nop) ANNOTATION " + strings.Join(b.o.Annotations, " "), EmptyLayer: true})
	}
	if last && len(b.o.Tags) > 0 {
		fmt.Fprintf(b.out, "COMMIT %s\n", b.o.Tags[0])
	}
	if len(s.history) > 0 || s.image == "" {
		// The steps since the last layer: an image of their own, reused
		// as any step's.
		var created []string
		for _, h := range s.history {
			created = append(created, h.CreatedBy)
		}
		key := s.cacheKey(strings.Join(created, "\n"), b.o.Format)
		if ok, err := b.cached(ctx, s, key); err != nil {
			return "", err
		} else if !ok {
			h := imgspecv1.History{CreatedBy: "/bin/sh -c #(nop) scow build", EmptyLayer: true}
			if n := len(s.history); n > 0 {
				h, s.history = s.history[n-1], s.history[:n-1]
			}
			if err := b.commit(ctx, s, "", key, h); err != nil {
				return "", err
			}
		}
	}
	if !last {
		return s.image, nil
	}
	id, err := b.squash(s, base)
	if err != nil {
		return "", err
	}
	for _, t := range b.o.Tags {
		if err := b.Store.Tag(id, t); err != nil {
			return "", backend.StorageErr(err)
		}
		name, _ := storage.NormalizeName(t)
		fmt.Fprintf(b.out, "Successfully tagged %s\n", name)
	}
	return id, nil
}

// squash makes the image of --squash (its layers above base one),
// --squash-all (all its layers one) and --layers=false (as --squash):
// an image with the files and configuration of the state's.
func (b *builder) squash(s *state, base string) (string, error) {
	if !b.o.Squash && !b.o.SquashAll && !b.o.NoLayers {
		return s.image, nil
	}
	if b.o.SquashAll {
		base = ""
	}
	layers, history := 0, 0
	if base != "" {
		img, err := b.Store.Image(base)
		if err != nil {
			return "", backend.StorageErr(err)
		}
		layers, history = len(img.Config.RootFS.DiffIDs), len(img.Config.History)
	}
	if len(s.config.RootFS.DiffIDs) <= layers+1 {
		return s.image, nil // one layer already
	}
	o := storage.ImageOptions{
		Parent: base, From: s.image, Config: s.config, Format: b.o.Format,
		OmitHistory: b.o.OmitHistory, Annotations: s.annotations,
	}
	// The steps' history, of no layer now, and the layer's own.
	for _, h := range s.config.History[min(history, len(s.config.History)):] {
		h.EmptyLayer = true
		o.History = append(o.History, h)
	}
	how := "--squash"
	switch {
	case b.o.SquashAll:
		how = "--squash-all"
	case b.o.NoLayers:
		how = "--layers=false"
	}
	o.History = append(o.History, imgspecv1.History{CreatedBy: "scow build " + how, Comment: "the files of the steps above, in one layer"})
	if b.o.Timestamp != nil {
		o.Created, o.FileTimes = *b.o.Timestamp, true
	}
	id, err := b.Store.NewImage(o)
	if err != nil {
		return "", backend.StorageErr(err)
	}
	fmt.Fprintf(b.out, "--> %.11s\n", id)
	return id, nil
}

// expander expands words with lex in env.
func expander(lex *shell.Lex, env envGetter) instructions.SingleWordExpander {
	return func(w string) (string, error) {
		out, _, err := lex.ProcessWord(w, env)
		return out, err
	}
}

// step carries out one instruction of stage i.
func (b *builder) step(ctx context.Context, s *state, i int, c instructions.Command) error {
	env := s.env()
	if ex, ok := c.(instructions.SupportsSingleWordExpansion); ok {
		if err := ex.Expand(expander(b.f.lex, env)); err != nil {
			return errdefs.WithClass(errdefs.ErrInvalid, err)
		}
	}
	if ex, ok := c.(instructions.SupportsSingleWordExpansionRaw); ok {
		// Heredocs expand as they are, quotes and all.
		if err := ex.ExpandRaw(expander(b.f.rawLex, env)); err != nil {
			return errdefs.WithClass(errdefs.ErrInvalid, err)
		}
	}
	nop := func(text string) {
		s.history = append(s.history, imgspecv1.History{CreatedBy: "/bin/sh -c #(nop) " + text, EmptyLayer: true})
	}
	cfg := &s.config.Config
	switch c := c.(type) {
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			v, given := b.args[kv.Key]
			switch {
			case given:
				b.use(kv.Key)
			case kv.Value != nil:
				v = *kv.Value
			default:
				var ok bool
				if v, ok = b.meta[kv.Key]; !ok {
					if v, ok = platformArgs()[kv.Key]; !ok {
						continue
					}
				}
			}
			s.args[kv.Key] = v
		}
		nop(c.String())
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			cfg.Env = mergeEnv(cfg.Env, kv.Key+"="+kv.Value)
		}
		nop(c.String())
	case *instructions.LabelCommand:
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		for _, kv := range c.Labels {
			cfg.Labels[kv.Key] = kv.Value
		}
		nop(c.String())
	case *instructions.MaintainerCommand:
		s.config.Author = c.Maintainer
		nop(c.String())
	case *instructions.WorkdirCommand:
		cfg.WorkingDir = c.Path
		if !filepath.IsAbs(c.Path) {
			cfg.WorkingDir = filepath.Join("/", cfg.WorkingDir, c.Path)
		}
		nop(c.String())
	case *instructions.UserCommand:
		cfg.User = c.User
		nop(c.String())
	case *instructions.CmdCommand:
		cfg.Cmd = s.commandLine(c.ShellDependantCmdLine)
		nop(c.String())
	case *instructions.EntrypointCommand:
		cfg.Entrypoint = s.commandLine(c.ShellDependantCmdLine)
		if !c.PrependShell && len(c.CmdLine) == 0 {
			cfg.Entrypoint = nil
		}
		nop(c.String())
	case *instructions.ExposeCommand:
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range c.Ports {
			p = b.word(p, s.env())
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			cfg.ExposedPorts[p] = struct{}{}
		}
		nop(c.String())
	case *instructions.VolumeCommand:
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			cfg.Volumes[v] = struct{}{}
		}
		nop(c.String())
	case *instructions.StopSignalCommand:
		cfg.StopSignal = c.Signal
		nop(c.String())
	case *instructions.ShellCommand:
		s.shell = slices.Clone(c.Shell)
		cfg.Shell = slices.Clone(c.Shell)
		nop(c.String())
	case *instructions.HealthCheckCommand:
		cfg.Healthcheck = c.Health
		nop(c.String())
	case *instructions.OnbuildCommand:
		cfg.OnBuild = append(cfg.OnBuild, c.Expression)
		nop(c.String())
	case *instructions.RunCommand:
		return b.run(ctx, s, i, c)
	case *instructions.CopyCommand:
		return b.copy(ctx, s, i, c.String(), c.SourcesAndDest, copyFlags{from: c.From, chown: c.Chown, chmod: c.Chmod, exclude: c.ExcludePatterns, parents: c.Parents})
	case *instructions.AddCommand:
		if c.KeepGitDir != nil || c.Unpack != nil {
			return errdefs.WithClass(errdefs.ErrInvalid, errors.New("ADD --keep-git-dir and --unpack are not supported yet"))
		}
		return b.copy(ctx, s, i, c.String(), c.SourcesAndDest, copyFlags{chown: c.Chown, chmod: c.Chmod, exclude: c.ExcludePatterns, add: true, checksum: c.Checksum})
	default:
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s: not supported", c.Name()))
	}
	return nil
}

// commandLine is CMD's, ENTRYPOINT's or RUN's argv: the shell form runs
// the stage's SHELL.
func (s *state) commandLine(c instructions.ShellDependantCmdLine) []string {
	if c.PrependShell {
		return append(slices.Clone(s.shell), strings.Join(c.CmdLine, " "))
	}
	return slices.Clone(c.CmdLine)
}

// mergeEnv sets KEY=VALUE in env, in the place of KEY's earlier value.
func mergeEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	out := slices.Clone(env)
	if i := slices.IndexFunc(out, func(e string) bool { return strings.HasPrefix(e, k+"=") }); i >= 0 {
		out[i] = kv
		return out
	}
	return append(out, kv)
}
