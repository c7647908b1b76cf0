// Package catalog is the host's side of external plugin bundles. Open
// checks each configured bundle binary against its SHA-256, runs
// `<binary> describe` to learn what it provides, and returns one
// registry.Set per bundle whose factories are remote: their New launches
// the bundle through hashicorp/go-plugin (SecureConfig re-checks the
// checksum at every exec, AutoMTLS, SkipHostEnv, Managed), dispenses the
// kind and sends Configure, so the plugin's own Factory.New judges the
// config and its error comes back as New's error.
//
// One process per configured instance: a crash stays with its instance
// and calls need no instance ids. An archiver instance (RemoteArchiver)
// is supervised: when its process dies, calls fail with an error wrapping
// ErrUnavailable, and the process is relaunched with capped exponential
// backoff, re-Configured and, if it had been started, re-Started.
// Restarts are logged and counted (Instances, RemoteArchiver.Restarts).
// A storage instance (RemoteStore) moves its bytes through shared memory
// (see pluginrpc) and is not relaunched: open files cannot be resumed, so
// its calls fail with ErrUnavailable and the host stops. A transport
// instance (RemoteTransport) owns its listening socket in the plugin and
// calls the host's Handler back; it is not relaunched either: its Serve
// returns an error wrapping ErrUnavailable that names the instance, the
// bundle and the process. Close kills the process; it is idempotent.
//
// The host must call plugin.CleanupClients (hashicorp/go-plugin) on exit
// as a last resort for processes that an early return left behind.
package catalog
