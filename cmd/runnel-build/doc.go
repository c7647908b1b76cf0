// Command runnel-build produces a runnel-server binary with extra plugin
// sets compiled in (the xcaddy model): zero call overhead, one binary to
// ship. Each --with names a Go package that exports
//
//	func Set() registry.Set
//
// (see docs/plugins.md). runnel-build writes a small main package in a
// temporary module that calls servercmd.Main with those sets, resolves the
// modules, and builds it:
//
//	runnel-build --with github.com/acme/runnel-plugin-acme/acme@v1.2.0 --output bin/runnel-server-acme
//	runnel-build --with example.com/cas --replace example.com/cas=../cas --output bin/runnel-server-cas
//
// Runnel itself is taken from a source checkout (--runnel, default the
// current directory), since the module is not published on a proxy.
//
// Exit codes: 0 built, 1 the build failed, 2 bad arguments.
package main
