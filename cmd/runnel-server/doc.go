// Command runnel-server is the composition root: it loads the configuration,
// picks the plugins the configuration names from an explicit table of
// built-in implementations, and runs the node until SIGINT or SIGTERM.
//
// Exit codes: 0 after an orderly stop, 1 when serving failed, 2 when the
// configuration or start-up was refused (the message names the key or file).
package main
