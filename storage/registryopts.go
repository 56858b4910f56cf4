package storage

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// ErrRegistry is what errors.Is finds in failures to talk to a registry.
var ErrRegistry = errors.New("registry")

// ErrNoSuchImage is a registry's answer that it has no such repository
// or tag; it is an ErrRegistry too.
var ErrNoSuchImage = errors.New("no such image in the registry")

// RegistryOptions are the flags of pull, push and login.
type RegistryOptions struct {
	// TLSVerify, when set, overrides registries.conf's insecure setting.
	TLSVerify *bool
	// Creds is USER[:PASSWORD] for this request only.
	Creds string
	// AuthFile replaces the default auth.json (REGISTRY_AUTH_FILE too).
	AuthFile string
	// SignaturePolicy replaces the default policy.json.
	SignaturePolicy string
	// CompatAuthFile, for login and logout, is a Docker config.json to
	// use instead of auth.json.
	CompatAuthFile string
	// CertDir holds ca.crt (and client certificates) for the registry,
	// instead of certs.d/HOST:PORT.
	CertDir string
	// OS, Arch and Variant choose from a multi-platform image.
	OS, Arch, Variant string
	// Platform is OS/ARCH[/VARIANT]; when set it overrides OS, Arch and
	// Variant.
	Platform string
	// Progress receives progress bars; nil is quiet.
	Progress io.Writer
	// Retry is how many times a failed copy is tried again, after
	// RetryDelay (0: one second, doubling each time).
	Retry      int
	RetryDelay time.Duration
	// DecryptionKeys are FILE[:PASSPHRASE] private keys that decrypt the
	// layers of an encrypted image on pull.
	DecryptionKeys []string
}

// PlatformChoice is the OS, architecture and variant to pick from a
// multi-platform image: Platform's parts, or else OS, Arch and Variant.
func PlatformChoice(o RegistryOptions) (osName, arch, variant string, err error) {
	if o.Platform == "" {
		return o.OS, o.Arch, o.Variant, nil
	}
	parts := strings.Split(o.Platform, "/")
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		return "", "", "", fmt.Errorf("--platform %q: want OS/ARCH[/VARIANT]", o.Platform)
	}
	if len(parts) == 3 {
		variant = parts[2]
	}
	return parts[0], parts[1], variant, nil
}
