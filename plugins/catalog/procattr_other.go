//go:build !linux

package catalog

import "os/exec"

// dieWithHost: only Linux has a parent-death signal; the plugin's own
// parent watch covers other systems.
func dieWithHost(*exec.Cmd) {}
