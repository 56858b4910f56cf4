// Package logfile writes and reads container logs in CRI's k8s-file
// format, as Podman writes them: one line per chunk, "TIMESTAMP STREAM
// P|F CONTENT", where P marks a partial line that the next entry
// continues and F a full one. The writer rotates by size; the reader
// joins partial lines back.
package logfile
