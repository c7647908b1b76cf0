// Package config loads the server configuration with koanf: the built-in
// default (runnel.toml, which doubles as the sample listing every key), then
// a TOML file, then RUNNEL_* environment variables, then flags. Unknown keys
// in any layer and bad values are refused with the key named; plugin
// subtrees (storage.config) are passed through for the plugin to check.
package config
