// Package record keeps the records of containers on disk: what the user
// asked for (container.json, written once), the changing state
// (state.json), name reservations and the events file, written atomically
// under flocks, so that concurrent invocations and a kill at any moment
// leave a consistent world that the next invocation repairs.
package record
