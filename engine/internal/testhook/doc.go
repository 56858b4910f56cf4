// Package testhook stops a process at a named point for the end-to-end
// tests, which kill it there and check that the next command repairs what
// it left.
package testhook
