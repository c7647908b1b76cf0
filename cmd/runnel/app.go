package main

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/spf13/cobra"
)

// Defaults for the global flags.
const (
	addressDefault     = "127.0.0.1:8090"
	dialTimeoutDefault = 5 * time.Second
)

// globals are the persistent flags every command shares.
type globals struct {
	address       string
	transport     string
	username      string
	password      string
	token         string
	tls           bool
	tlsCAFile     string
	tlsServerName string
	tlsInsecure   bool
	tlsCertFile   string
	tlsKeyFile    string
	contextName   string
	output        string
}

// app is one invocation of the CLI.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	g              globals
	root           *cobra.Command
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "runnel",
		Short: "Command-line client for the Runnel (Iggy 0.8 compatible) message-streaming server",
		Long: `runnel talks to a Runnel or Apache Iggy 0.8 server over its binary protocol.

Connection settings come from, highest first: flags, RUNNEL_CLI_* environment
variables, the active context profile ($XDG_CONFIG_HOME/runnel/contexts.toml),
then defaults (127.0.0.1:8090, no credentials).

Exit codes: 0 ok, 1 server error (code and name on stderr), 2 usage error,
3 connection error, 130 interrupted.`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		Args:              cobra.ArbitraryArgs,
		RunE:              groupRunE,
		PersistentPreRunE: a.checkGlobals,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: err.Error()} })
	f := root.PersistentFlags()
	f.StringVar(&a.g.address, "address", addressDefault, "server address host:port (env RUNNEL_CLI_ADDRESS)")
	f.StringVar(&a.g.transport, "transport", "tcp", "transport: tcp, quic, ws or http (env RUNNEL_CLI_TRANSPORT); the address's default port follows it (8090, 8080, 8092, 3000)")
	f.StringVarP(&a.g.username, "username", "u", "", "user name (env RUNNEL_CLI_USERNAME)")
	f.StringVarP(&a.g.password, "password", "p", "", "password (env RUNNEL_CLI_PASSWORD)")
	f.StringVar(&a.g.token, "token", "", "personal access token (env RUNNEL_CLI_TOKEN)")
	f.BoolVar(&a.g.tls, "tls", false, "connect with TLS (env RUNNEL_CLI_TLS)")
	f.StringVar(&a.g.tlsCAFile, "tls-ca-file", "", "PEM file of CA certificates to trust (implies --tls)")
	f.StringVar(&a.g.tlsServerName, "tls-server-name", "", "name to verify the server certificate for (implies --tls)")
	f.BoolVar(&a.g.tlsInsecure, "tls-insecure-skip-verify", false, "do not verify the server certificate (implies --tls; testing only)")
	f.StringVar(&a.g.tlsCertFile, "tls-cert-file", "", "PEM client certificate for servers that require one (implies --tls; with --tls-key-file)")
	f.StringVar(&a.g.tlsKeyFile, "tls-key-file", "", "PEM key of --tls-cert-file")
	f.StringVar(&a.g.contextName, "context", "", "context profile to use (env RUNNEL_CLI_CONTEXT)")
	f.StringVarP(&a.g.output, "output", "o", "table", "output format: table or json (env RUNNEL_CLI_OUTPUT)")
	a.root = root

	root.AddCommand(a.pingCommand(), a.statsCommand(), a.meCommand(), a.loginCommand(), a.logoutCommand(),
		a.streamCommand(), a.topicCommand(), a.partitionCommand(), a.segmentCommand(), a.messageCommand(),
		a.consumerGroupCommand(), a.consumerOffsetCommand(), a.userCommand(), a.patCommand(),
		a.clientCommand(), a.clusterCommand(), a.contextCommand())
	return root
}

func (a *app) checkGlobals(cmd *cobra.Command, _ []string) error {
	if !cmd.Flags().Changed("output") {
		if v := os.Getenv("RUNNEL_CLI_OUTPUT"); v != "" {
			a.g.output = v
		}
	}
	switch a.g.output {
	case "table", "text", "json":
	case "raw":
		if cmd.CommandPath() != "runnel message poll" {
			return usagef("--output raw is only for 'message poll'")
		}
	default:
		return usagef("unknown --output %q (want table or json)", a.g.output)
	}
	return nil
}

// groupRunE handles a group command run without a valid subcommand.
func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q", args[0])
	}
	// Help goes to stderr: stdout stays empty for scripts on this error.
	cmd.SetOut(cmd.ErrOrStderr())
	_ = cmd.Help()
	return usagef("missing subcommand")
}

// group builds a command that only holds subcommands.
func group(use, short string, aliases []string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Aliases: aliases, Args: cobra.ArbitraryArgs, RunE: groupRunE}
	c.AddCommand(subs...)
	return c
}

// leaf builds a runnable command taking exactly nargs positional arguments
// (-1: any number); run's errors are marked as runtime errors.
func leaf(use, short string, nargs int, run func(cmd *cobra.Command, args []string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args: func(cmd *cobra.Command, args []string) error {
			if nargs >= 0 && len(args) != nargs {
				return usagef("want %d argument(s), got %d: usage: %s", nargs, len(args), cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			err := run(cmd, args)
			var usage *usageError
			if err == nil || errors.As(err, &usage) {
				return err
			}
			return &runError{err: err}
		},
	}
}

// connect resolves the connection settings, dials and logs in when there
// are credentials.
func (a *app) connect(ctx context.Context) (*client.Client, error) {
	s, err := a.settings()
	if err != nil {
		return nil, err
	}
	return s.open(ctx)
}

// withClient connects, runs fn and closes the connection.
func (a *app) withClient(ctx context.Context, fn func(*client.Client) error) error {
	c, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

func (a *app) jsonOutput() bool { return a.g.output == "json" }
