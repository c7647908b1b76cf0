// Package registry is the one table of plugin implementations the server
// picks from by config. Three routes fill it, all through AddSet: the
// built-in set, sets compiled in by runnel-build, and external bundles
// whose factories start a plugin process. A name is unique per kind across
// every source; a collision is an error naming both sources. Nothing here
// is global: the composition root builds a Registry and passes it on.
package registry
