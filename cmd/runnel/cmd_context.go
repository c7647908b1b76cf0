package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func (a *app) contextCommand() *cobra.Command {
	list := leaf("list", "List context profiles", 0, func(_ *cobra.Command, _ []string) error {
		pf, _, err := loadProfiles()
		if err != nil {
			return err
		}
		active, err := a.activeContext(pf)
		if err != nil {
			return err
		}
		type entry struct {
			Name   string `json:"name"`
			Active bool   `json:"active"`
			profile
		}
		names := pf.names()
		if _, ok := pf.Contexts[defaultContext]; !ok {
			names = append([]string{defaultContext}, names...)
		}
		entries := make([]entry, len(names))
		for i, n := range names {
			p := pf.Contexts[n]
			if p.Address == "" {
				p.Address = addressDefault
			}
			entries[i] = entry{Name: n, Active: n == active, profile: p}
		}
		return a.show(entries, func(w io.Writer) error {
			rows := make([][]string, len(entries))
			for i, e := range entries {
				mark, cred := "", "-"
				if e.Active {
					mark = "*"
				}
				switch {
				case e.Token != "":
					cred = "token (" + e.Username + ")"
				case e.Username != "":
					cred = "password (" + e.Username + ")"
				}
				rows[i] = []string{mark, e.Name, e.Address, fmt.Sprint(e.TLS), cred}
			}
			return printTable(w, []string{"", "NAME", "ADDRESS", "TLS", "CREDENTIALS"}, rows)
		})
	})
	use := leaf("use NAME", "Make a context the current one", 1, func(_ *cobra.Command, args []string) error {
		pf, path, err := loadProfiles()
		if err != nil {
			return err
		}
		if _, ok := pf.Contexts[args[0]]; !ok && args[0] != defaultContext {
			return usagef("no context named %q (see 'runnel context list')", args[0])
		}
		pf.Current = args[0]
		if err := saveProfiles(path, pf); err != nil {
			return err
		}
		return a.done(fmt.Sprintf("now using context %q", args[0]), map[string]any{"context": args[0]})
	})
	create := leaf("create NAME", "Create a context from the global flags (--address, --tls, --username, ...)", 1,
		func(_ *cobra.Command, args []string) error {
			pf, path, err := loadProfiles()
			if err != nil {
				return err
			}
			if _, ok := pf.Contexts[args[0]]; ok {
				return usagef("context %q already exists", args[0])
			}
			var p profile
			a.applyFlags(&p)
			t, err := checkTransport(p.Transport)
			if err != nil {
				return err
			}
			if p.Transport != "" {
				p.Transport = string(t)
			}
			if p.Address == "" {
				p.Address = defaultAddress(t)
			}
			pf.Contexts[args[0]] = p
			if err := saveProfiles(path, pf); err != nil {
				return err
			}
			return a.done(fmt.Sprintf("created context %q for %s", args[0], p.Address), map[string]any{"context": args[0]})
		})
	del := leaf("delete NAME", "Delete a context", 1, func(_ *cobra.Command, args []string) error {
		pf, path, err := loadProfiles()
		if err != nil {
			return err
		}
		if _, ok := pf.Contexts[args[0]]; !ok {
			return usagef("no context named %q", args[0])
		}
		delete(pf.Contexts, args[0])
		if pf.Current == args[0] {
			pf.Current = ""
		}
		if err := saveProfiles(path, pf); err != nil {
			return err
		}
		return a.done(fmt.Sprintf("deleted context %q", args[0]), nil)
	})
	return group("context", "Manage named server profiles", []string{"ctx"}, list, use, create, del)
}
