//go:build !scow_light

package main

import "github.com/urfave/cli/v2"

// handOff is the light build's (light.go): the full build runs every
// command itself.
func handOff(*cli.App, []string, error) (int, bool) { return 0, false }
