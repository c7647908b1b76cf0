// Package builtin is the set of plugin implementations compiled into
// runnel-server: an explicit list, registered by the composition root with
// registry.AddSet(registry.SourceBuiltin, builtin.Set(version)).
package builtin
