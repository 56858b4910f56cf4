// Package errdefs holds the classes of scow's errors, which callers test
// for with errors.Is, and their one mapping to exit codes: 127 for a
// command that does not exist, 126 for one that cannot be invoked, 125
// for every other engine error, a process's own code for its ExitError. A
// class crosses process boundaries (a monitor's reports) by its Name.
package errdefs
