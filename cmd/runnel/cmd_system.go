package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
	"github.com/spf13/cobra"
)

func (a *app) pingCommand() *cobra.Command {
	var count int
	cmd := leaf("ping", "Check that the server answers", 0, func(cmd *cobra.Command, _ []string) error {
		if count < 1 {
			return usagef("--count must be at least 1")
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			for i := 0; i < count; i++ {
				start := time.Now()
				if err := c.Ping(cmd.Context()); err != nil {
					return err
				}
				rtt := time.Since(start)
				if a.jsonOutput() {
					if err := printJSON(a.stdout, map[string]any{"address": c.Addr(), "rtt_micros": rtt.Microseconds()}); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(a.stdout, "pong from %s in %s\n", c.Addr(), rtt.Round(time.Microsecond))
			}
			return nil
		})
	})
	cmd.Flags().IntVarP(&count, "count", "c", 1, "number of pings")
	return cmd
}

func (a *app) statsCommand() *cobra.Command {
	return leaf("stats", "Show server statistics", 0, func(cmd *cobra.Command, _ []string) error {
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			s, err := c.GetStats(cmd.Context())
			if err != nil {
				return err
			}
			return a.show(s, func(w io.Writer) error {
				return printFields(w, [][2]string{
					{"Server version", s.ServerVersion}, {"Process id", u32(s.ProcessID)},
					{"Hostname", s.Hostname}, {"OS", s.OSName + " " + s.OSVersion},
					{"Started", micros(s.StartTimeMicros)},
					{"Run time", (time.Duration(s.RunTimeMicros) * time.Microsecond).Round(time.Second).String()},
					{"CPU usage", fmt.Sprintf("%.1f%%", s.CPUUsage)},
					{"Memory usage", bytesText(s.MemoryUsage)},
					{"Streams", u32(s.StreamsCount)}, {"Topics", u32(s.TopicsCount)},
					{"Partitions", u32(s.PartitionsCount)}, {"Segments", u32(s.SegmentsCount)},
					{"Messages", u64(s.MessagesCount)}, {"Messages size", bytesText(s.MessagesSizeBytes)},
					{"Clients", u32(s.ClientsCount)}, {"Consumer groups", u32(s.ConsumerGroupsCount)},
					{"Read", bytesText(s.ReadBytes)}, {"Written", bytesText(s.WrittenBytes)},
				})
			})
		})
	})
}

func (a *app) meCommand() *cobra.Command {
	return leaf("me", "Show this connection's client details", 0, func(cmd *cobra.Command, _ []string) error {
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			me, err := c.GetMe(cmd.Context())
			if err != nil {
				return err
			}
			return a.showClient(me)
		})
	})
}

func transportName(t uint8) string {
	switch t {
	case 1:
		return "tcp"
	case 2:
		return "quic"
	case 3:
		return "http"
	case 4:
		return "websocket"
	}
	return fmt.Sprintf("transport-%d", t)
}

func userIDText(id uint32) string {
	if id == wire.UserIDNone {
		return "-"
	}
	return u32(id)
}

func (a *app) showClient(d wire.ClientDetails) error {
	return a.show(d, func(w io.Writer) error {
		groups := make([]string, len(d.ConsumerGroups))
		for i, g := range d.ConsumerGroups {
			groups[i] = fmt.Sprintf("%d/%d/%d", g.StreamID, g.TopicID, g.GroupID)
		}
		return printFields(w, [][2]string{
			{"Client id", u32(d.ClientID)}, {"User id", userIDText(d.UserID)},
			{"Transport", transportName(d.Transport)}, {"Address", d.Address},
			{"Consumer groups", strings.Join(groups, ", ")},
		})
	})
}

func (a *app) clientCommand() *cobra.Command {
	get := leaf("get CLIENT_ID", "Show one connected client", 1, func(cmd *cobra.Command, args []string) error {
		id, err := parseU32("client id", args[0])
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			d, err := c.GetClient(cmd.Context(), id)
			if err != nil {
				return err
			}
			return a.showClient(d)
		})
	})
	list := leaf("list", "List connected clients", 0, func(cmd *cobra.Command, _ []string) error {
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			cs, err := c.GetClients(cmd.Context())
			if err != nil {
				return err
			}
			return a.show(cs, func(w io.Writer) error {
				rows := make([][]string, len(cs))
				for i, x := range cs {
					rows[i] = []string{u32(x.ClientID), userIDText(x.UserID), transportName(x.Transport), x.Address,
						u32(x.ConsumerGroupsCount)}
				}
				return printTable(w, []string{"ID", "USER", "TRANSPORT", "ADDRESS", "GROUPS"}, rows)
			})
		})
	})
	return group("client", "Inspect connected clients", nil, get, list)
}

func (a *app) clusterCommand() *cobra.Command {
	meta := leaf("metadata", "Show the cluster's name and nodes", 0, func(cmd *cobra.Command, _ []string) error {
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			m, err := c.GetClusterMetadata(cmd.Context())
			if err != nil {
				return err
			}
			return a.show(m, func(w io.Writer) error {
				fmt.Fprintf(w, "Cluster: %s\n", m.Name)
				rows := make([][]string, len(m.Nodes))
				for i, n := range m.Nodes {
					rows[i] = []string{n.Name, n.IP, fmt.Sprint(n.TCPPort), fmt.Sprint(n.QUICPort),
						fmt.Sprint(n.HTTPPort), nodeRole(n.Role), fmt.Sprint(n.Status)}
				}
				return printTable(w, []string{"NAME", "IP", "TCP", "QUIC", "HTTP", "ROLE", "STATUS"}, rows)
			})
		})
	})
	return group("cluster", "Inspect the cluster", nil, meta)
}

func nodeRole(r uint8) string {
	switch r {
	case wire.NodeLeader:
		return "leader"
	case wire.NodeFollower:
		return "follower"
	}
	return fmt.Sprint(r)
}

func (a *app) loginCommand() *cobra.Command {
	var expiry string
	var storePassword bool
	cmd := leaf("login", "Log in and keep the session in the active context profile", 0,
		func(cmd *cobra.Command, _ []string) error {
			expiryMicros, err := parseExpiry(expiry)
			if err != nil {
				return err
			}
			return a.login(cmd, expiryMicros, storePassword)
		})
	cmd.Long = `Log in with --username/--password (or RUNNEL_CLI_USERNAME/PASSWORD) and store
the session in the active context profile (file mode 0600): by default a new
personal access token (see --expiry), or the user name and password themselves
with --store-password. Later commands use it without credential flags.`
	cmd.Flags().StringVar(&expiry, "expiry", "default", "token lifetime: default, never or a duration like 24h")
	cmd.Flags().BoolVar(&storePassword, "store-password", false, "store the user name and password instead of a token")
	return cmd
}

func (a *app) login(cmd *cobra.Command, expiryMicros uint64, storePassword bool) error {
	ctx := cmd.Context()
	s, err := a.settings()
	if err != nil {
		return err
	}
	if s.Username == "" {
		return usagef("login needs --username and --password (or RUNNEL_CLI_USERNAME/RUNNEL_CLI_PASSWORD)")
	}
	c, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	pf, path, err := loadProfiles()
	if err != nil {
		return err
	}
	name, err := a.activeContext(pf)
	if err != nil {
		return err
	}
	p := pf.Contexts[name]
	p.Address = s.Address
	p.Username, p.Password, p.Token, p.TokenName = s.Username, "", "", ""
	if storePassword {
		p.Password = s.Password
	} else {
		// Iggy limits token names to 3..30 characters.
		p.TokenName = "runnel-cli-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		if p.Token, err = c.CreatePersonalAccessToken(ctx, p.TokenName, expiryMicros); err != nil {
			return err
		}
	}
	pf.Contexts[name] = p
	if err := saveProfiles(path, pf); err != nil {
		return err
	}
	return a.done(fmt.Sprintf("logged in as %s at %s; session stored in context %q", s.Username, s.Address, name),
		map[string]any{"context": name, "username": s.Username, "address": s.Address})
}

func (a *app) logoutCommand() *cobra.Command {
	return leaf("logout", "Forget the active context's stored session (and delete its token)", 0,
		func(cmd *cobra.Command, _ []string) error {
			pf, path, err := loadProfiles()
			if err != nil {
				return err
			}
			name, err := a.activeContext(pf)
			if err != nil {
				return err
			}
			p := pf.Contexts[name]
			if p.Token != "" && p.TokenName != "" {
				// Best effort: the token may have expired or the server be gone.
				if c, err := p.open(cmd.Context()); err == nil {
					_ = c.DeletePersonalAccessToken(cmd.Context(), p.TokenName)
					_ = c.Close()
				}
			}
			p.Username, p.Password, p.Token, p.TokenName = "", "", "", ""
			if _, ok := pf.Contexts[name]; ok {
				pf.Contexts[name] = p
				if err := saveProfiles(path, pf); err != nil {
					return err
				}
			}
			return a.done(fmt.Sprintf("logged out of context %q", name), map[string]any{"context": name})
		})
}
