// Package storage keeps images, container layers and volumes for scow
// through containers/storage, and moves images in and out of it through
// containers/image: registries (pull, push, search, tags), archives (load,
// save, import, export) and commits of a container's changes.
//
// It returns paths, mounts and image descriptions and knows nothing of
// runtimes, networks or processes.
//
// Errors wrap ErrImageUnknown, ErrInvalidName, ErrImageInUse,
// ErrImageConflict, ErrRegistry, ErrVolumeUnknown, ErrVolumeExists,
// ErrVolumeInvalid or ErrNoAutoRange; a full disk wraps ENOSPC.
package storage
