//go:build !scow_light

package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	dockerarchive "go.podman.io/image/v5/docker/archive"
	ociarchive "go.podman.io/image/v5/oci/archive"
	"go.podman.io/image/v5/signature/sigstore"

	"github.com/containers/ocicrypt/helpers"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/directory"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/image"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/oci/layout"
	"go.podman.io/image/v5/pkg/cli/environment"
	"go.podman.io/image/v5/pkg/compression"
	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/pkg/shortnames"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/signature"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// registryError marks a registry failure without adding to its message.
type registryError struct {
	err     error
	unknown bool // no such repository or tag
}

func (e *registryError) Error() string { return e.err.Error() }
func (e *registryError) Unwrap() error { return e.err }
func (e *registryError) Is(target error) bool {
	return target == ErrRegistry || e.unknown && target == ErrNoSuchImage
}

// sysContext turns the options into containers/image's settings.
func (s *Store) sysContext(o RegistryOptions) (*types.SystemContext, error) {
	sys := *s.sys
	sys.AuthFilePath = o.AuthFile
	sys.DockerCompatAuthFilePath = o.CompatAuthFile
	sys.DockerCertPath = o.CertDir
	sys.SignaturePolicyPath = o.SignaturePolicy
	if sys.AuthFilePath == "" {
		sys.AuthFilePath = os.Getenv("REGISTRY_AUTH_FILE")
	}
	if o.CompatAuthFile != "" {
		if sys.AuthFilePath != "" {
			return nil, errors.New("--authfile and --compat-auth-file conflict: give one")
		}
	}
	if o.TLSVerify != nil {
		sys.DockerInsecureSkipTLSVerify = types.NewOptionalBool(!*o.TLSVerify)
		sys.OCIInsecureSkipTLSVerify = !*o.TLSVerify
		sys.DockerDaemonInsecureSkipTLSVerify = !*o.TLSVerify
	}
	if o.Creds != "" {
		user, pass, _ := strings.Cut(o.Creds, ":")
		if user == "" {
			return nil, fmt.Errorf("--creds %q: want USER[:PASSWORD]", o.Creds)
		}
		sys.DockerAuthConfig = &types.DockerAuthConfig{Username: user, Password: pass}
	}
	var err error
	if sys.OSChoice, sys.ArchitectureChoice, sys.VariantChoice, err = PlatformChoice(o); err != nil {
		return nil, err
	}
	// CONTAINERS_REGISTRIES_CONF names another registries.conf, as for
	// Podman and skopeo.
	if err := environment.UpdateRegistriesConf(&sys); err != nil {
		return nil, err
	}
	return &sys, nil
}

// registryPolicy is the user's policy.json, or Podman's default when there
// is none: accept anything.
func registryPolicy(sys *types.SystemContext) (*signature.PolicyContext, error) {
	p, err := signature.DefaultPolicy(sys)
	if err != nil && strings.Contains(err.Error(), "no policy.json file found") {
		return policyContext()
	}
	if err != nil {
		return nil, fmt.Errorf("signature policy: %w", err)
	}
	return signature.NewPolicyContext(p)
}

// pullCandidates lists the fully qualified names a user's name may mean,
// by registries.conf (aliases, unqualified-search-registries); with no
// search registries configured, docker.io is the one.
func pullCandidates(sys *types.SystemContext, name string) ([]reference.Named, error) {
	ref, err := reference.Parse(name)
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %v", name, ErrInvalidName, err)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		return nil, fmt.Errorf("%q: %w: no repository", name, ErrInvalidName)
	}
	if hasDomain(named.Name()) {
		return []reference.Named{reference.TagNameOnly(named)}, nil
	}
	if regs, err := sysregistriesv2.UnqualifiedSearchRegistries(sys); err == nil && len(regs) == 0 {
		if aliased, _, err := sysregistriesv2.ResolveShortNameAlias(sys, name); err != nil || aliased == nil {
			n, err := reference.ParseNormalizedNamed(name)
			if err != nil {
				return nil, fmt.Errorf("%q: %w: %v", name, ErrInvalidName, err)
			}
			return []reference.Named{reference.TagNameOnly(n)}, nil
		}
	}
	resolved, err := shortnames.Resolve(sys, name)
	if err != nil && strings.Contains(err.Error(), "cannot prompt without a TTY") {
		regs, _ := sysregistriesv2.UnqualifiedSearchRegistries(sys)
		example := "REGISTRY"
		if len(regs) > 0 {
			example = regs[0]
		}
		return nil, fmt.Errorf("short name %q is ambiguous: it may come from any of %s, and there is no terminal to ask on; give the full name, such as %s/%s: %w",
			name, strings.Join(regs, ", "), example, name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("resolve short name %q: %w", name, err)
	}
	var out []reference.Named
	for _, c := range resolved.PullCandidates {
		out = append(out, c.Value)
	}
	return out, nil
}

// Pull copies an image from a registry into the store and returns its
// ID. Candidates from short-name resolution are tried in order.
func (s *Store) Pull(ctx context.Context, name string, o RegistryOptions) (string, error) {
	sys, err := s.sysContext(o)
	if err != nil {
		return "", err
	}
	cands, err := pullCandidates(sys, strings.TrimPrefix(name, "docker://"))
	if err != nil {
		return "", err
	}
	pc, err := registryPolicy(sys)
	if err != nil {
		return "", err
	}
	defer pc.Destroy()
	var errs []error
	for _, named := range cands {
		src, err := docker.NewReference(named)
		if err != nil {
			return "", fmt.Errorf("%q: %w: %v", name, ErrInvalidName, err)
		}
		dest, err := istorage.Transport.NewStoreReference(s.s, named, "")
		if err != nil {
			return "", err
		}
		opts := &copy.Options{SourceCtx: sys, DestinationCtx: sys, ReportWriter: o.Progress}
		if len(o.DecryptionKeys) > 0 {
			cc, err := helpers.CreateCryptoConfig(nil, o.DecryptionKeys)
			if err != nil {
				return "", fmt.Errorf("--decryption-key: %w", err)
			}
			opts.OciDecryptConfig = cc.DecryptConfig
		}
		_, err = copyWithRetry(ctx, pc, dest, src, opts, o.Retry, o.RetryDelay)
		if err == nil {
			return s.idOf(dest)
		}
		if len(o.DecryptionKeys) == 0 && encrypted(ctx, sys, src) {
			err = fmt.Errorf("its layers are encrypted: give the private key with --decryption-key (%w)", err)
		}
		errs = append(errs, explain("pull "+named.String(), reference.Domain(named), err))
	}
	if len(errs) == 1 {
		return "", errs[0]
	}
	return "", errors.Join(errs...)
}

// encrypted tells whether the image at ref has an encrypted layer.
func encrypted(ctx context.Context, sys *types.SystemContext, ref types.ImageReference) bool {
	src, err := ref.NewImageSource(ctx, sys)
	if err != nil {
		return false
	}
	// A list's instance for this platform; closing it closes src.
	img, err := image.FromSource(ctx, sys, src)
	if err != nil {
		src.Close()
		return false
	}
	defer img.Close()
	for _, l := range img.LayerInfos() {
		if strings.HasSuffix(l.MediaType, "+encrypted") {
			return true
		}
	}
	return false
}

// copyWithRetry copies, trying again retry times after a failure that
// is not the user's (a missing image or bad credentials is not retried),
// and returns the manifest written. It waits delay between tries, or
// one second doubling each time when delay is 0.
func copyWithRetry(ctx context.Context, pc *signature.PolicyContext, dest, src types.ImageReference, opts *copy.Options, retry int, delay time.Duration) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		m, err := copy.Image(ctx, pc, dest, src, opts)
		if err == nil || attempt >= retry || ctx.Err() != nil || permanent(err) {
			return m, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(cmp.Or(delay, time.Second<<attempt)):
		}
	}
}

func permanent(err error) bool {
	var unauthorized docker.ErrUnauthorizedForCredentials
	return errors.As(err, &unauthorized) || strings.Contains(err.Error(), "manifest unknown") || strings.Contains(err.Error(), "name unknown")
}

// explain turns a registry failure into one line that says what to do.
func explain(what, registry string, err error) error {
	msg := err.Error()
	hint := ""
	var unauthorized docker.ErrUnauthorizedForCredentials
	switch {
	case errors.As(err, &unauthorized) || strings.Contains(msg, "unauthorized") || strings.Contains(msg, "authentication required"):
		hint = "authentication failed: run scow login " + registry
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "certificate"):
		hint = "TLS verification failed: trust the registry's CA, or use --tls-verify=false for a local registry"
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		hint = "the registry speaks plain HTTP: use --tls-verify=false or mark it insecure in registries.conf"
	case strings.Contains(msg, "connection refused"):
		hint = "connection refused: is a registry listening at " + registry + "?"
	case strings.Contains(msg, "no such host"):
		hint = "unknown host " + registry
	case strings.Contains(msg, "manifest unknown"):
		hint = "no such tag in the repository"
	case strings.Contains(msg, "name unknown"):
		hint = "no such repository"
	case strings.Contains(msg, "no space left on device"):
		hint = "no space left on device"
	case strings.Contains(msg, "is rejected by policy") || strings.Contains(msg, "Source image rejected"):
		hint = "the signature policy (policy.json) rejects this image"
	}
	if hint == "" {
		return fmt.Errorf("%s: %w", what, &registryError{err: err})
	}
	unknown := strings.Contains(msg, "manifest unknown") || strings.Contains(msg, "name unknown")
	return fmt.Errorf("%s: %s (%w)", what, hint, &registryError{err, unknown})
}

// PushOptions are push's own flags.
type PushOptions struct {
	RegistryOptions
	// Format is oci or v2s2 (Docker schema 2); empty keeps the image's.
	Format string
	// Compression is gzip or zstd.
	Compression string
	// DigestFile receives the pushed manifest's digest.
	DigestFile string
	// CompressionLevel, when set, is the compressor's level;
	// ForceCompression recompresses layers already compressed otherwise;
	// RemoveSignatures drops the image's signatures.
	CompressionLevel                   *int
	ForceCompression, RemoveSignatures bool
	// EncryptionKeys are PROTOCOL:KEY recipients (jwe:PUBLIC.pem,
	// pkcs7:CERT.pem, pgp:ID) the layers are encrypted for; EncryptLayers
	// are the layers' indexes (negative from the top), empty for all.
	EncryptionKeys []string
	EncryptLayers  []int
	// Compress gzips the layers written to a dir: destination.
	Compress bool
	// SigstoreKey is a sigstore private key that signs the pushed
	// image, SignPassphrase the key's passphrase.
	SigstoreKey    string
	SignPassphrase []byte
}

// Push copies a stored image to a registry, at dest or at its own name.
func (s *Store) Push(ctx context.Context, name, dest string, o PushOptions) error {
	img, err := s.lookup(name)
	if err != nil {
		return err
	}
	if dest == "" {
		dest = s.matchingNameOrEmpty(img, name)
		if dest == "" {
			return fmt.Errorf("%s has no name to push to: give a destination", name)
		}
	}
	destRef, err := pushDestination(dest)
	if err != nil {
		return err
	}
	if o.Compress && destRef.Transport() != directory.Transport {
		return errors.New("--compress applies to dir: destinations only")
	}
	sys, err := s.sysContext(o.RegistryOptions)
	if err != nil {
		return err
	}
	src, err := istorage.Transport.NewStoreReference(s.s, nil, img.ID)
	if err != nil {
		return err
	}
	pc, err := registryPolicy(sys)
	if err != nil {
		return err
	}
	defer pc.Destroy()
	opts := &copy.Options{SourceCtx: sys, ReportWriter: o.Progress}
	switch o.Format {
	case "":
	case "oci":
		opts.ForceManifestMIMEType = imgspecv1.MediaTypeImageManifest
	case "v2s2", "docker":
		opts.ForceManifestMIMEType = manifest.DockerV2Schema2MediaType
	default:
		return fmt.Errorf("--format %q: use oci or v2s2", o.Format)
	}
	if len(o.EncryptLayers) > 0 && len(o.EncryptionKeys) == 0 {
		return errors.New("--encrypt-layer needs --encryption-key")
	}
	if len(o.EncryptionKeys) > 0 {
		// Only OCI manifests describe encrypted layers.
		if opts.ForceManifestMIMEType == manifest.DockerV2Schema2MediaType {
			return errors.New("--encryption-key needs the oci format, not v2s2")
		}
		opts.ForceManifestMIMEType = imgspecv1.MediaTypeImageManifest
		cc, err := helpers.CreateCryptoConfig(o.EncryptionKeys, nil)
		if err != nil {
			return fmt.Errorf("--encryption-key: %w", err)
		}
		layers := slices.Clone(o.EncryptLayers)
		if layers == nil {
			layers = []int{} // all of them
		}
		opts.OciEncryptConfig, opts.OciEncryptLayers = cc.EncryptConfig, &layers
	}
	destSys := *sys
	switch o.Compression {
	case "", "gzip":
	case "zstd":
		algo := compression.Zstd
		destSys.CompressionFormat = &algo
	default:
		return fmt.Errorf("--compression-format %q: use gzip or zstd", o.Compression)
	}
	destSys.CompressionLevel = o.CompressionLevel
	destSys.DirForceCompress = o.Compress
	opts.ForceCompressionFormat, opts.RemoveSignatures = o.ForceCompression, o.RemoveSignatures
	if o.SigstoreKey != "" {
		// Read before anything goes up: a wrong passphrase is the user's.
		signer, err := sigstore.NewSigner(sigstore.WithPrivateKeyFile(o.SigstoreKey, o.SignPassphrase))
		if err != nil {
			return fmt.Errorf("--sign-by-sigstore-private-key %s: %w (a wrong passphrase?)", o.SigstoreKey, err)
		}
		defer signer.Close()
		opts.Signers = append(opts.Signers, signer)
	}
	opts.DestinationCtx = &destSys
	m, err := copyWithRetry(ctx, pc, destRef, src, opts, o.Retry, o.RetryDelay)
	if named := destRef.DockerReference(); err != nil && destRef.Transport() == docker.Transport && named != nil {
		return explain("push "+named.String(), reference.Domain(named), err)
	}
	if err != nil {
		return fmt.Errorf("push to %s: %w", dest, err)
	}
	if o.DigestFile != "" {
		dig, err := manifest.Digest(m)
		if err != nil {
			return fmt.Errorf("digest of the pushed manifest: %w", err)
		}
		if err := os.WriteFile(o.DigestFile, []byte(dig.String()), 0o644); err != nil {
			return fmt.Errorf("--digestfile: %w", err)
		}
	}
	return nil
}

// pushTransports are the destinations push writes besides registries:
// TRANSPORT:PATH[:REFERENCE].
var pushTransports = map[string]types.ImageTransport{
	"dir": directory.Transport, "oci": layout.Transport,
	"oci-archive": ociarchive.Transport, "docker-archive": dockerarchive.Transport,
}

// pushDestination reads push's destination: a registry's image (with
// or without docker://), or a path of another transport.
func pushDestination(dest string) (types.ImageReference, error) {
	if t, rest, ok := strings.Cut(dest, ":"); ok && pushTransports[t] != nil {
		ref, err := pushTransports[t].ParseReference(rest)
		if err != nil {
			return nil, fmt.Errorf("%q: %w: %v", dest, ErrInvalidName, err)
		}
		return ref, nil
	}
	named, err := reference.ParseNormalizedNamed(strings.TrimPrefix(dest, "docker://"))
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %v", dest, ErrInvalidName, err)
	}
	ref, err := docker.NewReference(reference.TagNameOnly(named))
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %v", dest, ErrInvalidName, err)
	}
	return ref, nil
}

// matchingNameOrEmpty is matchingName for an image that may have none.
func (s *Store) matchingNameOrEmpty(img *cstorage.Image, name string) string {
	if len(img.Names) == 0 {
		return ""
	}
	return s.matchingName(img, name)
}

// Login checks credentials against a registry and stores them in the
// auth file that Podman and skopeo read too; it returns where they went.
func Login(ctx context.Context, registry, user, pass string, o RegistryOptions) (string, error) {
	s := &Store{sys: &types.SystemContext{}}
	sys, err := s.sysContext(o)
	if err != nil {
		return "", err
	}
	key := strings.TrimPrefix(strings.TrimPrefix(registry, "https://"), "http://")
	host := strings.SplitN(key, "/", 2)[0]
	if err := docker.CheckAuth(ctx, sys, user, pass, host); err != nil {
		return "", explain("login to "+host, host, err)
	}
	where, err := config.SetCredentials(sys, key, user, pass)
	if err != nil {
		return "", fmt.Errorf("store credentials for %s: %w", key, err)
	}
	return where, nil
}

// LoginUser returns the user logged in to registry, for login --get-login.
func LoginUser(registry string, o RegistryOptions) (string, error) {
	s := &Store{sys: &types.SystemContext{}}
	sys, err := s.sysContext(o)
	if err != nil {
		return "", err
	}
	auth, err := config.GetCredentials(sys, registry)
	if err != nil {
		return "", fmt.Errorf("read credentials: %w", err)
	}
	if auth.Username == "" {
		return "", fmt.Errorf("not logged in to %s", registry)
	}
	return auth.Username, nil
}

// Logout removes the stored credentials of registry, or of all.
func Logout(registry string, all bool, o RegistryOptions) error {
	s := &Store{sys: &types.SystemContext{}}
	sys, err := s.sysContext(o)
	if err != nil {
		return err
	}
	if all {
		return config.RemoveAllAuthentication(sys)
	}
	if err := config.RemoveAuthentication(sys, registry); err != nil {
		if errors.Is(err, config.ErrNotLoggedIn) {
			return fmt.Errorf("not logged in to %s", registry)
		}
		return fmt.Errorf("remove credentials of %s: %w", registry, err)
	}
	return nil
}

// RepositoryTags lists the tags of a repository in a registry, for pull
// --all-tags.
func (s *Store) RepositoryTags(ctx context.Context, name string, o RegistryOptions) ([]reference.Named, error) {
	sys, err := s.sysContext(o)
	if err != nil {
		return nil, err
	}
	named, err := reference.ParseNormalizedNamed(strings.TrimPrefix(name, "docker://"))
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %v", name, ErrInvalidName, err)
	}
	if !reference.IsNameOnly(named) {
		return nil, fmt.Errorf("%w %q: give a repository without a tag or digest", ErrInvalidName, name)
	}
	ref, err := docker.NewReference(reference.TagNameOnly(named))
	if err != nil {
		return nil, err
	}
	tags, err := docker.GetRepositoryTags(ctx, sys, ref)
	if err != nil {
		return nil, explain("list tags of "+named.Name(), reference.Domain(named), err)
	}
	var out []reference.Named
	for _, t := range tags {
		tagged, err := reference.WithTag(named, t)
		if err != nil {
			return nil, fmt.Errorf("tag %q of %s: %w", t, named.Name(), err)
		}
		out = append(out, tagged)
	}
	return out, nil
}

// SearchResult is one repository a registry search found.
type SearchResult struct {
	Name, Description string
	Stars             int
	Official          bool
	Automated         bool
	// Tag is set by ListTags: one result per tag.
	Tag string
}

// Search asks registries for repositories matching term: the registry
// named in "REGISTRY/TERM", else every unqualified-search registry (or
// docker.io).
func (s *Store) Search(ctx context.Context, term string, limit int, o RegistryOptions) ([]SearchResult, error) {
	sys, err := s.sysContext(o)
	if err != nil {
		return nil, err
	}
	registries := []string{}
	if first, rest, ok := strings.Cut(term, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		registries, term = append(registries, first), rest
	} else if regs, err := sysregistriesv2.UnqualifiedSearchRegistries(sys); err == nil && len(regs) > 0 {
		registries = regs
	} else {
		registries = append(registries, "docker.io")
	}
	var out []SearchResult
	var errs []error
	for _, reg := range registries {
		found, err := docker.SearchRegistry(ctx, sys, reg, term, limit)
		if err != nil {
			errs = append(errs, explain("search "+reg, reg, err))
			continue
		}
		for _, f := range found {
			name := f.Name
			if !strings.HasPrefix(name, reg+"/") {
				name = reg + "/" + name
			}
			out = append(out, SearchResult{Name: name, Description: f.Description, Stars: f.StarCount, Official: f.IsOfficial, Automated: f.IsAutomated})
		}
	}
	if len(out) == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
