package main

import (
	"io"
	"os"

	"github.com/scow-project/scow/engine/images"
	"github.com/urfave/cli/v2"
)

// registryFlags are the flags every registry command takes.
func registryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "tls-verify", Value: true, Usage: "verify the registry's TLS certificate (false also allows plain HTTP)"},
		&cli.StringFlag{Name: "creds", Usage: "USER[:PASSWORD] for this request"},
		&cli.StringFlag{Name: "authfile", Usage: "auth.json to use instead of the default"},
		&cli.StringFlag{Name: "cert-dir", Usage: "directory with the registry's ca.crt (and client certificates)"},
		&cli.StringFlag{Name: "signature-policy", Usage: "policy.json to use instead of the default"},
	}
}

// compatAuthFileFlag is login's and logout's Docker config.json.
func compatAuthFileFlag() cli.Flag {
	return &cli.StringFlag{Name: "compat-auth-file", Usage: "a Docker config.json to use instead of auth.json"}
}

// pullFlags are what pull, run and create take for the images they pull:
// the platform of a multi-platform image and retries.
func pullFlags(what string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "os", Usage: "operating system of a multi-platform image"},
		&cli.StringFlag{Name: "arch", Usage: "architecture of a multi-platform image"},
		&cli.StringFlag{Name: "variant", Usage: "architecture variant"},
		&cli.StringFlag{Name: "platform", Usage: "OS/ARCH[/VARIANT] of a multi-platform image"},
		retryFlag(what), retryDelayFlag(),
		contentTrustFlag(),
		&cli.StringSliceFlag{Name: "decryption-key", Usage: "KEY[:PASSPHRASE]: a private key that decrypts an encrypted image's layers"},
	}
}

func retryFlag(what string) cli.Flag {
	return &cli.IntFlag{Name: "retry", Value: 3, Usage: "times to retry a failed " + what}
}

func retryDelayFlag() cli.Flag {
	return &cli.DurationFlag{Name: "retry-delay", Usage: "wait between retries (default: 1s, doubling)"}
}

// contentTrustFlag is Docker's; Podman keeps it as a no-op for scripts,
// and so does scow: signatures follow policy.json.
func contentTrustFlag() cli.Flag {
	return &cli.BoolFlag{Name: "disable-content-trust", Usage: "Docker's; does nothing (policy.json decides)"}
}

// registryOptions reads registryFlags and pullFlags; --tls-verify counts
// only if given, so that registries.conf decides otherwise.
func registryOptions(c *cli.Context) images.RegistryOptions {
	o := images.RegistryOptions{
		Creds: c.String("creds"), AuthFile: c.String("authfile"),
		CertDir: c.String("cert-dir"), SignaturePolicy: c.String("signature-policy"), CompatAuthFile: c.String("compat-auth-file"),
		OS: c.String("os"), Arch: c.String("arch"), Variant: c.String("variant"), Platform: c.String("platform"),
		Retry: c.Int("retry"), RetryDelay: c.Duration("retry-delay"),
		DecryptionKeys: c.StringSlice("decryption-key"),
	}
	if c.IsSet("tls-verify") {
		v := c.Bool("tls-verify")
		o.TLSVerify = &v
	}
	return o
}

// progress is where progress bars go: standard error on a terminal,
// nowhere when quiet or piped.
func progress(c *cli.Context) io.Writer {
	if c.Bool("quiet") || !isTerminal(os.Stderr) {
		return nil
	}
	return os.Stderr
}

// searchRow is a line of search, with Podman's fields: Official and
// Automated are "[OK]" or empty, as Docker shows them.
type searchRow struct {
	Index, Name, Description string
	Stars                    int
	Official, Automated      string
	Tag                      string
}
