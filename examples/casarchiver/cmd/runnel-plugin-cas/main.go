// Command runnel-plugin-cas is the cas archiver as an external bundle.
// `runnel-plugin-cas describe` prints its manifest; runnel-server launches
// it itself when a [[archivers]] entry has type = "cas".
package main

import (
	"github.com/runnel-io/runnel/examples/casarchiver"
	"github.com/runnel-io/runnel/plugins/bundle"
)

func main() { bundle.Serve(casarchiver.Set()) }
