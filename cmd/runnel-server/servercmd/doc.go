// Package servercmd is runnel-server's command line and composition root:
// it loads the configuration, fills the plugin registry (the built-in set,
// then any compiled-in bundles), builds the plugin instances the
// configuration names and runs the node. cmd/runnel-server calls Main;
// binaries made by runnel-build call it with their extra bundles.
package servercmd
