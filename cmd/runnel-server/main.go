package main

import (
	"os"

	"github.com/runnel-io/runnel/cmd/runnel-server/servercmd"
)

func main() {
	os.Exit(servercmd.Main(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}
