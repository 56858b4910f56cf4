// Package storage keeps images and container layers for scow through
// containers/storage, and moves images in and out of it through
// containers/image (archives and rootfs tarballs).
//
// It returns paths and image descriptions and knows nothing of runtimes,
// networks or processes. Lookups that find nothing wrap ErrImageUnknown;
// malformed names wrap ErrInvalidName; removing an image that containers
// use wraps ErrImageInUse.
package storage
