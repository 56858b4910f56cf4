//go:build !scow_light

// Package build builds images from Containerfiles and Dockerfiles with no
// daemon: BuildKit's parser reads the file, each RUN step is a container
// made from the typed create request and run as scow run runs one, each
// COPY and ADD is unpacked chrooted into a layer of its own, and each
// step's image is kept as a cache keyed on its parent, its instruction,
// the build arguments in scope and the digest of what it copies.
package build
