package storage

import (
	"errors"
	"fmt"
	"strings"

	"go.podman.io/image/v5/docker/reference"
)

// Errors callers test for with errors.Is.
var (
	ErrImageUnknown = errors.New("image not known")
	ErrInvalidName  = errors.New("invalid image name")
	ErrImageInUse   = errors.New("image is in use by a container")
	// ErrImageConflict: the request is ambiguous, such as deleting by ID
	// an image with several names.
	ErrImageConflict = errors.New("conflict")
)

// NormalizeName turns a user's image name into the full name stored for
// a local image, as Podman does: a name without a registry goes under
// "localhost/", and a name without tag or digest gets ":latest".
func NormalizeName(name string) (string, error) {
	if strings.HasPrefix(name, "sha256:") || name == "" {
		return "", fmt.Errorf("%q: %w: a name is REPOSITORY[:TAG]", name, ErrInvalidName)
	}
	ref, err := reference.Parse(name)
	if err != nil {
		return "", fmt.Errorf("%q: %w: %v", name, ErrInvalidName, err)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		return "", fmt.Errorf("%q: %w: no repository", name, ErrInvalidName)
	}
	if !hasDomain(named.Name()) {
		named, err = reference.ParseNamed("localhost/" + ref.String())
		if err != nil {
			return "", fmt.Errorf("%q: %w: %v", name, ErrInvalidName, err)
		}
	}
	return reference.TagNameOnly(named).String(), nil
}

// hasDomain tells whether the first path component of a repository is a
// registry host, by Docker's rule: it has a dot or a port, or is
// "localhost".
func hasDomain(repo string) bool {
	first, _, found := strings.Cut(repo, "/")
	return found && (strings.ContainsAny(first, ".:") || first == "localhost")
}

// candidateNames lists the stored names a user's image name may mean,
// best first: the name itself when it is fully qualified, otherwise the
// name under localhost/ and under docker.io (with library/ for one
// component).
func candidateNames(name string) ([]string, error) {
	ref, err := reference.Parse(name)
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %v", name, ErrInvalidName, err)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		return nil, fmt.Errorf("%q: %w: no repository", name, ErrInvalidName)
	}
	suffix := strings.TrimPrefix(reference.TagNameOnly(named).String(), named.Name())
	if hasDomain(named.Name()) {
		return []string{named.Name() + suffix}, nil
	}
	out := []string{"localhost/" + named.Name() + suffix}
	if !strings.Contains(named.Name(), "/") {
		out = append(out, "docker.io/library/"+named.Name()+suffix)
	} else {
		out = append(out, "docker.io/"+named.Name()+suffix)
	}
	return out, nil
}

// shortMatch tells whether a stored full name ends in the short name
// (path and tag), as Podman's lookup of a short name in local storage
// does for any registry.
func shortMatch(stored, short string) bool {
	return strings.HasSuffix(stored, "/"+short)
}

// SplitName splits a stored full name into repository and tag for
// listings; a name without a tag (none, or a digest) gives "<none>".
func SplitName(name string) (repo, tag string) {
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name, "<none>"
	}
	repo = ref.Name()
	if r, ok := ref.(reference.NamedTagged); ok {
		return repo, r.Tag()
	}
	// A name by digest (pulled as REPO@DIGEST) has no tag: Podman shows
	// its digest under --digests only.
	return repo, "<none>"
}

// MatchesName tells whether a stored full name is what a user's
// REPOSITORY[:TAG] filter means: the same repository (or one ending in
// it) and, when the filter has one, the same tag.
func MatchesName(stored, filter string) bool {
	ref, err := reference.Parse(filter)
	if err != nil {
		return false
	}
	named, ok := ref.(reference.Named)
	if !ok {
		return false
	}
	repo, tag := SplitName(stored)
	if t, ok := ref.(reference.Tagged); ok && t.Tag() != tag {
		return false
	}
	return repo == named.Name() || strings.HasSuffix(repo, "/"+named.Name())
}
