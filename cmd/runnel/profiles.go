package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/pelletier/go-toml/v2"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// defaultContext is the profile used when none is named or selected.
const defaultContext = "default"

// profileFileBytesMax bounds the contexts file read into memory.
const profileFileBytesMax = 1 << 20

// profile is one named server profile. It may hold secrets, so the file
// is written with mode 0600.
type profile struct {
	Address               string `toml:"address,omitempty" json:"address,omitempty"`
	Transport             string `toml:"transport,omitempty" json:"transport,omitempty"`
	Username              string `toml:"username,omitempty" json:"username,omitempty"`
	Password              string `toml:"password,omitempty" json:"-"`
	Token                 string `toml:"token,omitempty" json:"-"`
	TokenName             string `toml:"token_name,omitempty" json:"token_name,omitempty"`
	TLS                   bool   `toml:"tls,omitempty" json:"tls,omitempty"`
	TLSCAFile             string `toml:"tls_ca_file,omitempty" json:"tls_ca_file,omitempty"`
	TLSServerName         string `toml:"tls_server_name,omitempty" json:"tls_server_name,omitempty"`
	TLSInsecureSkipVerify bool   `toml:"tls_insecure_skip_verify,omitempty" json:"tls_insecure_skip_verify,omitempty"`
	TLSCertFile           string `toml:"tls_cert_file,omitempty" json:"tls_cert_file,omitempty"`
	TLSKeyFile            string `toml:"tls_key_file,omitempty" json:"tls_key_file,omitempty"`
}

// profileFile is the whole contexts.toml.
type profileFile struct {
	Current  string             `toml:"current,omitempty"`
	Contexts map[string]profile `toml:"contexts,omitempty"`
}

// profilePath is $RUNNEL_CLI_CONFIG_DIR, $XDG_CONFIG_HOME/runnel or
// ~/.config/runnel, plus contexts.toml.
func profilePath() (string, error) {
	if dir := os.Getenv("RUNNEL_CLI_CONFIG_DIR"); dir != "" {
		return filepath.Join(dir, "contexts.toml"), nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", &localError{fmt.Errorf("find config directory: %w", err)}
	}
	return filepath.Join(dir, "runnel", "contexts.toml"), nil
}

// loadProfiles reads the contexts file; a missing file is an empty one.
func loadProfiles() (profileFile, string, error) {
	path, err := profilePath()
	if err != nil {
		return profileFile{}, "", err
	}
	pf := profileFile{Contexts: map[string]profile{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return pf, path, nil
	}
	if err != nil {
		return pf, path, &localError{fmt.Errorf("read %s: %w", path, err)}
	}
	if len(b) > profileFileBytesMax {
		return pf, path, &localError{fmt.Errorf("%s is larger than %d bytes", path, profileFileBytesMax)}
	}
	if err := toml.Unmarshal(b, &pf); err != nil {
		return pf, path, &localError{fmt.Errorf("parse %s: %w", path, err)}
	}
	if pf.Contexts == nil {
		pf.Contexts = map[string]profile{}
	}
	return pf, path, nil
}

// saveProfiles writes the file atomically with mode 0600 (it may hold
// passwords and tokens).
func saveProfiles(path string, pf profileFile) error {
	b, err := toml.Marshal(pf)
	if err != nil {
		return &localError{fmt.Errorf("encode contexts: %w", err)}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return &localError{fmt.Errorf("create config directory: %w", err)}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".contexts-*.toml")
	if err != nil {
		return &localError{fmt.Errorf("write contexts: %w", err)}
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(b)
		if err == nil {
			err = tmp.Sync()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return &localError{fmt.Errorf("write %s: %w", path, err)}
	}
	return nil
}

func (pf profileFile) names() []string {
	names := make([]string, 0, len(pf.Contexts))
	for n := range pf.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// activeContext is the context named by --context, RUNNEL_CLI_CONTEXT or the
// file's current one, else "default".
func (a *app) activeContext(pf profileFile) (string, error) {
	name := a.g.contextName
	if name == "" {
		name = os.Getenv("RUNNEL_CLI_CONTEXT")
	}
	if name != "" {
		if _, ok := pf.Contexts[name]; !ok && name != defaultContext {
			return "", usagef("no context named %q (see 'runnel context list')", name)
		}
		return name, nil
	}
	if pf.Current != "" {
		return pf.Current, nil
	}
	return defaultContext, nil
}

// settings merges, lowest first: defaults, the active profile, RUNNEL_CLI_*
// variables, flags the user set.
func (a *app) settings() (profile, error) {
	pf, _, err := loadProfiles()
	if err != nil {
		return profile{}, err
	}
	name, err := a.activeContext(pf)
	if err != nil {
		return profile{}, err
	}
	s := pf.Contexts[name]
	if err := a.applyEnv(&s); err != nil {
		return profile{}, err
	}
	a.applyFlags(&s)
	t, err := checkTransport(s.Transport)
	if err != nil {
		return profile{}, err
	}
	s.Transport = string(t)
	if s.Address == "" {
		s.Address = defaultAddress(t)
	}
	if s.TLSCAFile != "" || s.TLSServerName != "" || s.TLSInsecureSkipVerify || s.TLSCertFile != "" {
		s.TLS = true
	}
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") {
		return profile{}, usagef("--tls-cert-file and --tls-key-file go together")
	}
	return s, nil
}

// checkTransport parses a transport name as the SDK does.
func checkTransport(name string) (client.Transport, error) {
	t, err := client.ParseTransport(name)
	if err != nil {
		return "", usagef("%v", err)
	}
	return t, nil
}

// defaultAddress is 127.0.0.1 on t's default port.
func defaultAddress(t client.Transport) string {
	switch t {
	case client.TransportQUIC:
		return "127.0.0.1:" + client.DefaultQUICPort
	case client.TransportWebSocket:
		return "127.0.0.1:" + client.DefaultWebSocketPort
	case client.TransportHTTP:
		return "127.0.0.1:" + client.DefaultHTTPPort
	}
	return addressDefault
}

func (a *app) applyEnv(s *profile) error {
	if v := os.Getenv("RUNNEL_CLI_ADDRESS"); v != "" {
		s.Address = v
	}
	if v := os.Getenv("RUNNEL_CLI_TRANSPORT"); v != "" {
		s.Transport = v
	}
	user, pass, tok := os.Getenv("RUNNEL_CLI_USERNAME"), os.Getenv("RUNNEL_CLI_PASSWORD"), os.Getenv("RUNNEL_CLI_TOKEN")
	setCredentials(s, user, pass, tok)
	if v := os.Getenv("RUNNEL_CLI_TLS"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return usagef("RUNNEL_CLI_TLS=%q is not a boolean", v)
		}
		s.TLS = on
	}
	return nil
}

func (a *app) applyFlags(s *profile) {
	f := a.root.PersistentFlags()
	if f.Changed("address") {
		s.Address = a.g.address
	}
	if f.Changed("transport") {
		s.Transport = a.g.transport
	}
	user, pass, tok := "", "", ""
	if f.Changed("username") {
		user = a.g.username
	}
	if f.Changed("password") {
		pass = a.g.password
	}
	if f.Changed("token") {
		tok = a.g.token
	}
	setCredentials(s, user, pass, tok)
	if f.Changed("tls") {
		s.TLS = a.g.tls
	}
	if f.Changed("tls-ca-file") {
		s.TLSCAFile = a.g.tlsCAFile
	}
	if f.Changed("tls-server-name") {
		s.TLSServerName = a.g.tlsServerName
	}
	if f.Changed("tls-insecure-skip-verify") {
		s.TLSInsecureSkipVerify = a.g.tlsInsecure
	}
	if f.Changed("tls-cert-file") {
		s.TLSCertFile = a.g.tlsCertFile
	}
	if f.Changed("tls-key-file") {
		s.TLSKeyFile = a.g.tlsKeyFile
	}
}

// setCredentials replaces s's credentials as a whole when a higher layer
// names any, so a token never mixes with another layer's user name.
func setCredentials(s *profile, user, pass, tok string) {
	switch {
	case tok != "":
		s.Username, s.Password, s.Token, s.TokenName = "", "", tok, ""
	case user != "":
		s.Username, s.Password, s.Token, s.TokenName = user, pass, "", ""
	case pass != "":
		s.Password = pass
	}
}

func (s profile) options() []client.Option {
	opts := []client.Option{client.WithDialTimeout(dialTimeoutDefault), client.WithTransport(client.Transport(s.Transport))}
	if s.TLS {
		opts = append(opts, client.WithTLS(nil))
	}
	if s.TLSCAFile != "" {
		opts = append(opts, client.WithTLSCAFile(s.TLSCAFile))
	}
	if s.TLSServerName != "" {
		opts = append(opts, client.WithTLSServerName(s.TLSServerName))
	}
	if s.TLSInsecureSkipVerify {
		opts = append(opts, client.WithTLSInsecureSkipVerify())
	}
	if s.TLSCertFile != "" {
		opts = append(opts, client.WithTLSClientCertFile(s.TLSCertFile, s.TLSKeyFile))
	}
	return opts
}

// open dials and logs in with the profile's credentials, if any.
func (s profile) open(ctx context.Context) (*client.Client, error) {
	c, err := client.Dial(ctx, s.Address, s.options()...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &connError{err: fmt.Errorf("cannot connect to %s: %w", s.Address, err)}
	}
	switch {
	case s.Token != "":
		_, err = c.LoginWithPersonalAccessToken(ctx, s.Token)
	case s.Username != "":
		_, err = c.LoginUser(ctx, s.Username, s.Password)
	}
	if err != nil {
		_ = c.Close()
		var status *wire.Error
		if errors.As(err, &status) || ctx.Err() != nil {
			return nil, err
		}
		return nil, &connError{err: fmt.Errorf("login at %s: %w", s.Address, err)}
	}
	return c, nil
}
