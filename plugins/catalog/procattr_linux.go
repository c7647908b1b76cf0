package catalog

import (
	"os/exec"
	"syscall"
)

// dieWithHost asks the kernel to kill the plugin when the host's launching
// thread dies, so kill -9 of the server leaves no plugin behind (the
// plugin also watches its parent, for the cases this misses).
func dieWithHost(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
