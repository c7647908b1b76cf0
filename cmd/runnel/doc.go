// Command runnel is the command-line client for Runnel and Apache Iggy 0.8
// servers. It speaks the binary protocol over TCP (optionally TLS) through
// the low-level client in sdk/client.
//
// Commands, grouped like the iggy CLI:
//
//	ping, stats, me, login, logout
//	stream          create | get | list | update | delete | purge
//	topic           create | get | list | update | delete | purge
//	partition       create | delete | tiers
//	segment         delete
//	message         send | poll | flush
//	consumer-group  create | get | list | delete
//	consumer-offset get | set | delete
//	user            create | get | list | update | delete | password | permissions
//	pat             create | list | delete
//	client          get | list
//	cluster         metadata
//	context         list | use | create | delete
//	completion      bash | zsh | fish | powershell
//
// Stream, topic, group and user arguments are numeric ids or names.
//
// Connection settings come from, highest first: flags (--address,
// --transport tcp|quic|ws|http, --username/--password or --token, --tls,
// --tls-ca-file, --tls-server-name, --tls-insecure-skip-verify,
// --tls-cert-file/--tls-key-file, --context), environment
// variables (RUNNEL_CLI_ADDRESS, RUNNEL_CLI_TRANSPORT, RUNNEL_CLI_USERNAME,
// RUNNEL_CLI_PASSWORD, RUNNEL_CLI_TOKEN, RUNNEL_CLI_TLS, RUNNEL_CLI_CONTEXT,
// RUNNEL_CLI_OUTPUT), the active context profile, then defaults. Profiles
// live in $RUNNEL_CLI_CONFIG_DIR/contexts.toml, else
// $XDG_CONFIG_HOME/runnel/contexts.toml (~/.config/runnel), mode 0600;
// `runnel login` stores a fresh personal access token (or, with
// --store-password, the credentials) in the active profile.
//
// Output is a table (or "field: value" lines) for humans, or JSON with
// snake_case keys with --output json. `message poll --output json` writes
// one object per line, and --output raw writes payloads only.
//
// Exit codes are stable:
//
//	0    success (also a --follow poll ended by SIGINT/SIGTERM)
//	1    the server refused the request: stderr has its code and name,
//	     "runnel stream get: server error 1009 StreamIdNotFound"
//	2    usage: bad command, flag, argument, header spec or input file
//	3    connection: cannot connect, TLS failure, connection lost
//	130  interrupted (any command other than a --follow poll)
//
// Every error is one line on stderr; stdout stays empty.
package main
