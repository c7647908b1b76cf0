// Command runnel-server is the composition root: it loads the configuration,
// fills the plugin registry (the built-in set; external bundles once
// configured), builds the plugin instances the configuration names, and
// runs the node until SIGINT or SIGTERM.
//
//	runnel-server [--config FILE] [--section.key=value ...]   serve
//	runnel-server check-config [--config FILE] [...]          validate, build every plugin instance, exit
//	runnel-server plugins list [--config FILE]                one line per available plugin
//	runnel-server format [--config FILE] [...]                create this node's replica journal
//	                                                          (once per node of a new cluster of several)
//	runnel-server recover [--config FILE] [...]               the same for a node whose data was lost: it
//	                                                          rejoins without voting until caught up
//
// Exit codes: 0 after an orderly stop (or a valid config), 1 when serving
// failed, 2 when the configuration or start-up was refused (the message
// names the key, plugin or file).
package main
