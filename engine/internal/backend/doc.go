// Package backend holds what one invocation of the engine works on: its
// options and scow.conf, the container records, and the containers/storage
// store and OCI runtime, each opened on first use so that commands that
// touch no storage never pay for it. Every engine package that acts on
// containers, images, volumes or networks shares one Backend.
package backend
