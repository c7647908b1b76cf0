package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
	"github.com/spf13/cobra"
)

// permissionFlags build a wire.Permissions from --global and --permissions-json.
type permissionFlags struct {
	global string
	json   string
}

func (p *permissionFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.global, "global", "", "comma-separated global permissions, or all: manage_servers, "+
		"read_servers, manage_users, read_users, manage_streams, read_streams, manage_topics, read_topics, "+
		"poll_messages, send_messages")
	cmd.Flags().StringVar(&p.json, "permissions-json", "", `full permission set as JSON, e.g. `+
		`{"Global":{"ReadStreams":true},"Streams":{"1":{"PollMessages":true}}}`)
}

// build returns nil (no permissions) when neither flag is set.
func (p *permissionFlags) build() (*wire.Permissions, error) {
	var perms *wire.Permissions
	if p.json != "" {
		perms = &wire.Permissions{}
		if err := json.Unmarshal([]byte(p.json), perms); err != nil {
			return nil, usagef("--permissions-json: %v", err)
		}
	}
	if p.global == "" {
		return perms, nil
	}
	if perms == nil {
		perms = &wire.Permissions{}
	}
	g := &perms.Global
	flags := map[string]*bool{
		"manage_servers": &g.ManageServers, "read_servers": &g.ReadServers, "manage_users": &g.ManageUsers,
		"read_users": &g.ReadUsers, "manage_streams": &g.ManageStreams, "read_streams": &g.ReadStreams,
		"manage_topics": &g.ManageTopics, "read_topics": &g.ReadTopics, "poll_messages": &g.PollMessages,
		"send_messages": &g.SendMessages,
	}
	for _, name := range strings.Split(p.global, ",") {
		name = strings.TrimSpace(strings.ReplaceAll(name, "-", "_"))
		if name == "all" {
			for _, f := range flags {
				*f = true
			}
			continue
		}
		f, ok := flags[name]
		if !ok {
			return nil, usagef("unknown global permission %q", name)
		}
		*f = true
	}
	return perms, nil
}

func parseStatus(s string) (uint8, error) {
	switch s {
	case "active":
		return wire.UserActive, nil
	case "inactive":
		return wire.UserInactive, nil
	}
	return 0, usagef("status %q: want active or inactive", s)
}

func statusText(s uint8) string {
	switch s {
	case wire.UserActive:
		return "active"
	case wire.UserInactive:
		return "inactive"
	}
	return fmt.Sprint(s)
}

func (a *app) userCommand() *cobra.Command {
	var createPerms permissionFlags
	var createStatus string
	create := leaf("create USERNAME PASSWORD", "Create a user", 2, func(cmd *cobra.Command, args []string) error {
		status, err := parseStatus(createStatus)
		if err != nil {
			return err
		}
		perms, err := createPerms.build()
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			u, err := c.CreateUser(cmd.Context(), args[0], args[1], status, perms)
			if err != nil {
				return err
			}
			return a.done(fmt.Sprintf("created user %d %q", u.ID, u.Username), map[string]any{"id": u.ID, "username": u.Username})
		})
	})
	createPerms.register(create)
	create.Flags().StringVar(&createStatus, "status", "active", "active or inactive")

	get := leaf("get USER", "Show a user and its permissions", 1, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args...)
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			u, err := c.GetUser(cmd.Context(), ids[0])
			if err != nil {
				return err
			}
			return a.show(u, func(w io.Writer) error {
				perms := permissionsText(u.Permissions)
				return printFields(w, [][2]string{{"Id", u32(u.ID)}, {"Username", u.Username},
					{"Status", statusText(u.Status)}, {"Created", micros(u.CreatedAtMicros)}, {"Permissions", perms}})
			})
		})
	})
	list := leaf("list", "List users", 0, func(cmd *cobra.Command, _ []string) error {
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			us, err := c.GetUsers(cmd.Context())
			if err != nil {
				return err
			}
			return a.show(us, func(w io.Writer) error {
				rows := make([][]string, len(us))
				for i, u := range us {
					rows[i] = []string{u32(u.ID), u.Username, statusText(u.Status), micros(u.CreatedAtMicros)}
				}
				return printTable(w, []string{"ID", "USERNAME", "STATUS", "CREATED"}, rows)
			})
		})
	})
	return group("user", "Manage users", []string{"u"}, create, get, list, a.userUpdateCommand(),
		a.userDeleteCommand(), a.userPasswordCommand(), a.userPermissionsCommand())
}

func (a *app) userUpdateCommand() *cobra.Command {
	var name, status string
	cmd := leaf("update USER", "Rename a user or change its status", 1, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args...)
		if err != nil {
			return err
		}
		var st uint8
		if cmd.Flags().Changed("status") {
			if st, err = parseStatus(status); err != nil {
				return err
			}
		}
		if name == "" && st == 0 {
			return usagef("give --username or --status")
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			if err := c.UpdateUser(cmd.Context(), ids[0], name, st); err != nil {
				return err
			}
			return a.done(fmt.Sprintf("updated user %s", args[0]), nil)
		})
	})
	cmd.Flags().StringVar(&name, "name", "", "new user name")
	cmd.Flags().StringVar(&status, "status", "", "active or inactive")
	return cmd
}

func (a *app) userDeleteCommand() *cobra.Command {
	return leaf("delete USER", "Delete a user", 1, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args...)
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			if err := c.DeleteUser(cmd.Context(), ids[0]); err != nil {
				return err
			}
			return a.done(fmt.Sprintf("deleted user %s", args[0]), nil)
		})
	})
}

func (a *app) userPasswordCommand() *cobra.Command {
	return leaf("password USER CURRENT NEW", "Change a user's password", 3, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args[0])
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			if err := c.ChangePassword(cmd.Context(), ids[0], args[1], args[2]); err != nil {
				return err
			}
			return a.done(fmt.Sprintf("changed the password of user %s", args[0]), nil)
		})
	})
}

func (a *app) userPermissionsCommand() *cobra.Command {
	var p permissionFlags
	cmd := leaf("permissions USER", "Replace a user's permissions (no flags: remove them all)", 1,
		func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args...)
			if err != nil {
				return err
			}
			perms, err := p.build()
			if err != nil {
				return err
			}
			return a.withClient(cmd.Context(), func(c *client.Client) error {
				if err := c.UpdatePermissions(cmd.Context(), ids[0], perms); err != nil {
					return err
				}
				return a.done(fmt.Sprintf("updated the permissions of user %s", args[0]), nil)
			})
		})
	p.register(cmd)
	return cmd
}

func (a *app) patCommand() *cobra.Command {
	var expiry string
	create := leaf("create NAME", "Create a personal access token and print it (shown only once)", 1,
		func(cmd *cobra.Command, args []string) error {
			us, err := parseExpiry(expiry)
			if err != nil {
				return err
			}
			return a.withClient(cmd.Context(), func(c *client.Client) error {
				tok, err := c.CreatePersonalAccessToken(cmd.Context(), args[0], us)
				if err != nil {
					return err
				}
				if a.jsonOutput() {
					return printJSON(a.stdout, map[string]any{"name": args[0], "token": tok})
				}
				_, err = fmt.Fprintln(a.stdout, tok)
				return err
			})
		})
	create.Flags().StringVar(&expiry, "expiry", "default", "lifetime: default, never or a duration like 720h")
	list := leaf("list", "List your personal access tokens", 0, func(cmd *cobra.Command, _ []string) error {
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			ts, err := c.GetPersonalAccessTokens(cmd.Context())
			if err != nil {
				return err
			}
			return a.show(ts, func(w io.Writer) error {
				rows := make([][]string, len(ts))
				for i, t := range ts {
					exp := "never"
					if t.ExpiryAtMicros != 0 {
						exp = time.UnixMicro(int64(t.ExpiryAtMicros)).UTC().Format(time.RFC3339)
					}
					rows[i] = []string{t.Name, exp}
				}
				return printTable(w, []string{"NAME", "EXPIRES"}, rows)
			})
		})
	})
	del := leaf("delete NAME", "Delete one of your personal access tokens", 1, func(cmd *cobra.Command, args []string) error {
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			if err := c.DeletePersonalAccessToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.done(fmt.Sprintf("deleted token %q", args[0]), nil)
		})
	})
	return group("pat", "Manage personal access tokens", nil, create, list, del)
}

// permissionsText summarises permissions for humans: the global flags that
// are set, then each stream's.
func permissionsText(p *wire.Permissions) string {
	if p == nil {
		return "none"
	}
	b, _ := json.Marshal(p)
	var tree struct {
		Global  map[string]bool
		Streams map[string]map[string]any
	}
	_ = json.Unmarshal(b, &tree)
	parts := []string{"global: " + trueKeys(tree.Global)}
	streams := make([]string, 0, len(tree.Streams))
	for id := range tree.Streams {
		streams = append(streams, id)
	}
	sort.Strings(streams)
	for _, id := range streams {
		flags := map[string]bool{}
		for k, v := range tree.Streams[id] {
			if on, ok := v.(bool); ok {
				flags[k] = on
			}
		}
		parts = append(parts, fmt.Sprintf("stream %s: %s", id, trueKeys(flags)))
	}
	return strings.Join(parts, "; ")
}

func trueKeys(m map[string]bool) string {
	var on []string
	for k, v := range m {
		if v {
			on = append(on, snake(k))
		}
	}
	if len(on) == 0 {
		return "none"
	}
	sort.Strings(on)
	return strings.Join(on, ",")
}
