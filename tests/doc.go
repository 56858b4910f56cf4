// Package tests holds scow's end-to-end suites. They run the built binary
// (SCOW_BINARY) as an unprivileged user with a subuid range
// (SCOW_TEST_USER: rootless, the main case) and as root, against a busybox
// image archive made by hack/mkimage-busybox.sh (SCOW_IMAGE), and where a
// test needs a distribution a Debian rootfs made by hack/mkimage-debian.sh
// (SCOW_DEBIAN_IMAGE). Build them with the e2e tag; `make test-e2e` sets
// everything up.
package tests
