//go:build !scow_light

package main

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/images"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "create an image from a rootfs tarball",
		ArgsUsage: "TARBALL|- [NAME[:TAG]]",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "change", Aliases: []string{"c"}, Usage: "apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, VOLUME, STOPSIGNAL)"},
			&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "the comment of the image's history entry"},
			&cli.StringFlag{Name: "os", Usage: "the image's operating system (default linux)"},
			&cli.StringFlag{Name: "arch", Usage: "the image's architecture (default the host's)"},
			&cli.StringFlag{Name: "variant", Usage: "the image's architecture variant"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the image ID (scow prints nothing else)"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, 2, "import TARBALL|- [NAME[:TAG]]"); err != nil {
				return err
			}
			ch, err := images.ParseChanges(c.StringSlice("change"))
			if err != nil {
				return err
			}
			ctx, cancel := interruptible(c.Context)
			defer cancel()
			o := images.ImportOptions{Changes: ch, Message: c.String("message"), OS: c.String("os"), Arch: c.String("arch"), Variant: c.String("variant")}
			id, err := e.Images().Import(ctx, c.Args().Get(0), c.Args().Get(1), o, c.App.Reader)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, "sha256:"+id)
			return nil
		}),
	}
}

func loadCommand() *cli.Command {
	return &cli.Command{
		Name:  "load",
		Usage: "load images from a docker-archive or oci-archive",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "input", Aliases: []string{"i"}, Usage: "read from this file instead of standard input"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing but errors"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 0, 0, "load [-i FILE]"); err != nil {
				return err
			}
			in := c.String("input")
			if in == "" {
				if f, ok := c.App.Reader.(*os.File); ok && isTerminal(f) {
					return fmt.Errorf("load: no input: give -i FILE or pipe an archive into standard input")
				}
				in = "-"
			}
			ctx, cancel := interruptible(c.Context)
			defer cancel()
			names, err := e.Images().Load(ctx, in, c.App.Reader)
			if err != nil {
				return err
			}
			if !c.Bool("quiet") {
				fmt.Fprintf(c.App.Writer, "Loaded image: %s\n", strings.Join(names, "\nLoaded image: "))
			}
			return nil
		}),
	}
}

func saveCommand() *cli.Command {
	return &cli.Command{
		Name:      "save",
		Usage:     "save an image to an archive (docker-archive, oci-archive) or a directory (oci-dir, docker-dir)",
		ArgsUsage: "IMAGE [IMAGE...]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to this file instead of standard output"},
			&cli.StringFlag{Name: "format", Value: "docker-archive", Usage: "docker-archive, oci-archive, oci-dir or docker-dir"},
			&cli.BoolFlag{Name: "compress", Usage: "gzip the layers of a docker-dir"},
			&cli.BoolFlag{Name: "uncompressed", Usage: "leave the layers of an oci-archive or oci-dir uncompressed"},
			&cli.BoolFlag{Name: "multi-image-archive", Aliases: []string{"m"}, Usage: "save several images in one docker-archive"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no progress (scow prints none)"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			max := 1
			if c.Bool("multi-image-archive") {
				max = -1
			}
			if err := exactArgs(c, 1, max, "save [-o FILE] [--format FORMAT] IMAGE, or -m IMAGE [IMAGE...]"); err != nil {
				return err
			}
			out := c.String("output")
			if out == "" {
				if isTerminalWriter(c.App.Writer) {
					return fmt.Errorf("save: refusing to write an archive to a terminal: give -o FILE or redirect standard output")
				}
				out = "-"
			}
			ctx, cancel := interruptible(c.Context)
			defer cancel()
			o := images.SaveOptions{Format: c.String("format"), Compress: c.Bool("compress"), Uncompressed: c.Bool("uncompressed")}
			return e.Images().Save(ctx, c.Args().Slice(), out, o, c.App.Writer)
		}),
	}
}

func pullCommand() *cli.Command {
	return &cli.Command{
		Name:      "pull",
		Usage:     "copy an image from a registry",
		ArgsUsage: "NAME[:TAG|@DIGEST]",
		Flags: append(append(registryFlags(), pullFlags("pull")...),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the image ID"},
			&cli.BoolFlag{Name: "all-tags", Aliases: []string{"a"}, Usage: "pull every tag of the repository"},
			&cli.StringFlag{Name: "policy", Value: "always", Usage: "always, missing (only when not here), never (only what is here) or newer"},
		),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, 1, "pull [OPTIONS] NAME[:TAG|@DIGEST]"); err != nil {
				return err
			}
			o := registryOptions(c)
			o.Progress = progress(c)
			ctx, cancel := interruptible(c.Context)
			defer cancel()
			if c.Bool("all-tags") {
				ids, err := e.Images().PullAllTags(ctx, c.Args().First(), o)
				for _, id := range ids {
					fmt.Fprintln(c.App.Writer, id)
				}
				return err
			}
			id, err := e.Images().PullPolicy(ctx, c.Args().First(), c.String("policy"), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, id)
			return nil
		}),
	}
}

func pushCommand() *cli.Command {
	return &cli.Command{
		Name:      "push",
		Usage:     "copy an image to a registry, or to dir:, oci:, oci-archive: or docker-archive: PATH",
		ArgsUsage: "IMAGE [DESTINATION]",
		Flags: append(registryFlags(),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing but errors"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "manifest format: oci or v2s2"},
			&cli.StringFlag{Name: "compression-format", Usage: "gzip or zstd"},
			&cli.StringFlag{Name: "digestfile", Usage: "write the pushed manifest's digest to this file"},
			&cli.IntFlag{Name: "compression-level", Usage: "the compressor's level (gzip 1-9, zstd 1-20)"},
			&cli.BoolFlag{Name: "force-compression", Usage: "recompress layers compressed in another format"},
			&cli.BoolFlag{Name: "remove-signatures", Usage: "do not copy the image's signatures"},
			retryFlag("push"), retryDelayFlag(), contentTrustFlag(),
			&cli.StringSliceFlag{Name: "encryption-key", Usage: "PROTOCOL:KEY to encrypt the layers for (jwe:PUBLIC.pem, pkcs7:CERT.pem, pgp:ID); the manifest is then OCI"},
			&cli.BoolFlag{Name: "compress", Usage: "gzip the layers pushed to a dir: destination"},
			&cli.StringFlag{Name: "sign-by-sigstore-private-key", Usage: "sign the image with this sigstore private key (skopeo generate-sigstore-key makes one)"},
			&cli.StringFlag{Name: "sign-passphrase-file", Usage: "read the signing key's passphrase from this file (default: asked on the terminal)"},
			&cli.IntSliceFlag{Name: "encrypt-layer", Usage: "the layers to encrypt, from 0 (negative: from the top); default all"},
		),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, 2, "push [OPTIONS] IMAGE [DESTINATION]"); err != nil {
				return err
			}
			o := images.PushOptions{
				RegistryOptions: registryOptions(c), Format: c.String("format"),
				Compression: c.String("compression-format"), DigestFile: c.String("digestfile"),
				ForceCompression: c.Bool("force-compression"), RemoveSignatures: c.Bool("remove-signatures"),
				EncryptionKeys: c.StringSlice("encryption-key"), EncryptLayers: c.IntSlice("encrypt-layer"), Compress: c.Bool("compress"),
			}
			if !c.IsSet("force-compression") {
				// Podman's default: a format asked for is a format got.
				o.ForceCompression = c.IsSet("compression-format")
			}
			if c.IsSet("compression-level") {
				n := c.Int("compression-level")
				o.CompressionLevel = &n
			}
			var err error
			if o.SigstoreKey, o.SignPassphrase, err = signingKey(c); err != nil {
				return err
			}
			o.Progress = progress(c)
			ctx, cancel := interruptible(c.Context)
			defer cancel()
			return e.Images().Push(ctx, c.Args().Get(0), c.Args().Get(1), o)
		}),
	}
}

// signingKey is push's sigstore key and its passphrase: from
// --sign-passphrase-file, else asked on the terminal, else empty.
func signingKey(c *cli.Context) (key string, pass []byte, err error) {
	key, file := c.String("sign-by-sigstore-private-key"), c.String("sign-passphrase-file")
	switch {
	case key == "" && file != "":
		return "", nil, errors.New("--sign-passphrase-file needs --sign-by-sigstore-private-key")
	case key == "":
		return "", nil, nil
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return "", nil, fmt.Errorf("--sign-passphrase-file: %w", err)
		}
		return key, bytes.TrimRight(data, "\r\n"), nil
	case isTerminal(os.Stdin):
		fmt.Fprint(c.App.ErrWriter, "Key Passphrase: ")
		pass, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(c.App.ErrWriter)
		if err != nil {
			return "", nil, fmt.Errorf("read the key's passphrase: %w", err)
		}
		return key, pass, nil
	}
	return key, nil, nil
}

func loginCommand() *cli.Command {
	return &cli.Command{
		Name:      "login",
		Usage:     "log in to a registry",
		ArgsUsage: "REGISTRY",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "username", Aliases: []string{"u"}, Usage: "user name"},
			&cli.StringFlag{Name: "password", Aliases: []string{"p"}, Usage: "password (prefer --password-stdin)"},
			&cli.BoolFlag{Name: "password-stdin", Usage: "read the password from standard input"},
			&cli.StringFlag{Name: "secret", Usage: "read the password from this scow secret (and the user name, without -u, is the secret's name)"},
			&cli.BoolFlag{Name: "get-login", Usage: "print the user logged in to REGISTRY"},
			&cli.BoolFlag{Name: "tls-verify", Value: true, Usage: "verify the registry's TLS certificate"},
			&cli.StringFlag{Name: "authfile", Usage: "auth.json to use instead of the default"},
			&cli.StringFlag{Name: "cert-dir", Usage: "directory with the registry's ca.crt"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "say which file the credentials went to"},
			compatAuthFileFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := exactArgs(c, 1, 1, "login [OPTIONS] REGISTRY"); err != nil {
				return err
			}
			e, err := newEngine(c)
			if err != nil {
				return err
			}
			o := registryOptions(c)
			registry := c.Args().First()
			if c.Bool("get-login") {
				user, err := e.Images().LoginUser(registry, o)
				if err != nil {
					return err
				}
				fmt.Fprintln(c.App.Writer, user)
				return nil
			}
			user, pass := c.String("username"), c.String("password")
			if name := c.String("secret"); name != "" {
				if pass != "" || c.Bool("password-stdin") {
					return fmt.Errorf("--secret gives the password: it conflicts with --password and --password-stdin")
				}
				_, data, err := e.Secrets().Inspect(name, true)
				if err != nil {
					return err
				}
				pass = strings.TrimRight(string(data), "\r\n")
				user = cmp.Or(user, name)
			}
			if c.Bool("password-stdin") {
				if pass != "" {
					return fmt.Errorf("--password and --password-stdin conflict")
				}
				line, err := bufio.NewReader(c.App.Reader).ReadString('\n')
				if err != nil && err != io.EOF {
					return fmt.Errorf("read password: %w", err)
				}
				pass = strings.TrimRight(line, "\r\n")
			}
			if user == "" || pass == "" {
				return fmt.Errorf("login: give -u USER and a password (-p, --password-stdin or --secret)")
			}
			ctx, cancel := interruptible(c.Context)
			defer cancel()
			where, err := e.Images().Login(ctx, registry, user, pass, o)
			if err != nil {
				return err
			}
			if c.Bool("verbose") {
				fmt.Fprintf(c.App.Writer, "Used: %s\n", where)
			}
			fmt.Fprintln(c.App.Writer, "Login Succeeded!")
			return nil
		},
	}
}

func logoutCommand() *cli.Command {
	return &cli.Command{
		Name:      "logout",
		Usage:     "forget the credentials of a registry",
		ArgsUsage: "REGISTRY",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "forget every registry's credentials"},
			&cli.StringFlag{Name: "authfile", Usage: "auth.json to use instead of the default"},
			compatAuthFileFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := exactArgs(c, 0, 1, "logout [--all] [REGISTRY]"); err != nil {
				return err
			}
			e, err := newEngine(c)
			if err != nil {
				return err
			}
			if err := e.Images().Logout(c.Args().First(), c.Bool("all"), registryOptions(c)); err != nil {
				return err
			}
			if c.Bool("all") {
				fmt.Fprintln(c.App.Writer, "Removed login credentials for all registries")
			} else {
				fmt.Fprintf(c.App.Writer, "Removed login credentials for %s\n", c.Args().First())
			}
			return nil
		},
	}
}

func searchCommand() *cli.Command {
	return &cli.Command{
		Name:      "search",
		Usage:     "search registries for repositories",
		ArgsUsage: "[REGISTRY/]TERM",
		Flags: append(registryFlags(),
			&cli.IntFlag{Name: "limit", Value: 25, Usage: "show at most this many results"},
			&cli.StringFlag{Name: "format", Usage: "Go template for each result, or json"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate descriptions"},
			&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "stars=N, is-official=true|false, is-automated=true|false"},
			&cli.BoolFlag{Name: "list-tags", Usage: "list the tags of the repository named"},
			&cli.BoolFlag{Name: "compatible", Usage: "show stars, official and automated columns too, as Docker"},
		),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, 1, "search [OPTIONS] [REGISTRY/]TERM"); err != nil {
				return err
			}
			ctx, cancel := interruptible(c.Context)
			defer cancel()
			so := images.SearchOptions{Limit: c.Int("limit"), Filters: c.StringSlice("filter"), ListTags: c.Bool("list-tags")}
			if so.ListTags && !c.IsSet("limit") {
				so.Limit = 0 // every tag
			}
			res, err := e.Images().Search(ctx, c.Args().First(), so, registryOptions(c))
			if err != nil {
				return err
			}
			headers := map[string]string{"Index": "INDEX", "Name": "NAME", "Description": "DESCRIPTION", "Stars": "STARS", "Official": "OFFICIAL", "Automated": "AUTOMATED", "Tag": "TAG"}
			if so.ListTags {
				var rows []any
				for _, r := range res {
					rows = append(rows, r)
				}
				format := c.String("format")
				if format == "" {
					format = "table {{.Name}}\t{{.Tag}}"
				}
				return printTemplate(c.App.Writer, format, rows, headers, false)
			}
			var rows []any
			for _, r := range res {
				d := r.Description
				if !c.Bool("no-trunc") && len(d) > 44 {
					d = d[:41] + "..."
				}
				row := searchRow{Name: r.Name, Description: d, Stars: r.Stars, Tag: r.Tag}
				row.Index, _, _ = strings.Cut(r.Name, "/")
				if r.Official {
					row.Official = "[OK]"
				}
				if r.Automated {
					row.Automated = "[OK]"
				}
				rows = append(rows, row)
			}
			format := c.String("format")
			if format == "" {
				format = "table {{.Name}}\t{{.Description}}"
				if c.Bool("compatible") {
					format += "\t{{.Stars}}\t{{.Official}}\t{{.Automated}}"
				}
			}
			return printTemplate(c.App.Writer, format, rows, headers, false)
		}),
	}
}

// imagePruneCommand is image prune: builds may hold images, and their cache
// goes too with --build-cache.
func imagePruneCommand() *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "remove unused images without a name",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove every image no container uses"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation (needed without a terminal)"},
			&cli.StringSliceFlag{Name: "filter", Usage: "only images that match KEY=VALUE (images' keys: label, until, dangling...)"},
			&cli.BoolFlag{Name: "build-cache", Usage: "remove too what RUN --mount=type=cache kept between builds"},
			&cli.BoolFlag{Name: "external", Usage: "remove images used only by containers scow did not make (a killed build's), with those"},
		},
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			what := "all dangling images"
			if c.Bool("all") {
				what = "all images without at least one container associated with them"
			}
			if ok, err := confirm(c, what); !ok {
				return err
			}
			ids, err := e.PruneImages(c.Bool("all"), c.Bool("external"), c.StringSlice("filter"))
			for _, id := range ids {
				fmt.Fprintln(c.App.Writer, id)
			}
			if err == nil && c.Bool("build-cache") {
				err = e.Build().PruneCache()
			}
			return err
		}),
	}
}
