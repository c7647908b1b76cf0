// Package testchild runs the test binary itself as a child process for
// crash tests: the child, told by an environment variable what to do,
// prints one line per acknowledged write on stdout, and the parent kills
// it with SIGKILL at a chosen line or time, then checks that everything
// acknowledged survived. It is imported only from tests.
package testchild
