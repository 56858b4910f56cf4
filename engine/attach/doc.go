// Package attach is the protocol between a container's monitor and the
// clients attached to its processes (run, start -a, attach, exec), and
// the client's side of it. It knows nothing of terminals or signals: the
// caller hands it streams, optionally a Terminal to set raw and size,
// and a channel of the signals it wants passed on.
//
// A monitor serves its container's I/O on a unix socket under the run
// root. Each message on it is a frame: a kind byte, a big-endian uint32
// length and that many bytes. A client's first frame is its Request; the
// monitor's last is the process's Exit.
package attach
