package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/testserver"
)

// polled is one line of `message poll --output json`.
type polled struct {
	PartitionID     uint32 `json:"partition_id"`
	Offset          uint64 `json:"offset"`
	TimestampMicros uint64 `json:"timestamp_micros"`
	Headers         map[string]struct {
		Type  string `json:"type"`
		Value any    `json:"value"`
	} `json:"headers"`
	Payload *string `json:"payload"`
}

func decodePolled(t *testing.T, out string) []polled {
	t.Helper()
	var ms []polled
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m polled
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("poll line %q: %v", line, err)
		}
		ms = append(ms, m)
	}
	return ms
}

func payloads(ms []polled) string {
	ps := make([]string, len(ms))
	for i, m := range ms {
		if m.Payload != nil {
			ps[i] = *m.Payload
		}
	}
	return strings.Join(ps, ",")
}

func setupTopic(t *testing.T, c *cli) {
	t.Helper()
	if out := c.ok("stream", "create", "orders"); !strings.Contains(out, `"orders"`) {
		t.Fatalf("stream create: %q", out)
	}
	c.ok("topic", "create", "orders", "events", "--partitions", "1")
}

func TestSendAndPollEveryWay(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s).asRoot()
	setupTopic(t, c)

	c.ok("message", "send", "orders", "events", "m0", "m1", "--header", "trace:string:abc",
		"-H", "n:int128:-5", "-H", "ok:bool:true", "-H", "blob:raw:AAE=", "-H", "f:float64:1.5")
	if r := c.runIn("m2\nm3\r\n\n", "message", "send", "orders", "events", "--key", "k1"); r.code != 0 {
		t.Fatalf("send from stdin: exit %d: %s", r.code, r.stderr)
	}
	file := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(file, []byte("m4\nm5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := c.ok("message", "send", "orders", "events", "--file", file, "--partition", "0", "-o", "json")
	var sent struct{ Count int }
	if err := json.Unmarshal([]byte(out), &sent); err != nil || sent.Count != 2 {
		t.Fatalf("send --file -o json: %q (%v)", out, err)
	}

	all := decodePolled(t, c.ok("message", "poll", "orders", "events", "--first", "--count", "100", "-o", "json"))
	if got := payloads(all); got != "m0,m1,m2,m3,m4,m5" {
		t.Fatalf("poll --first: %s", got)
	}
	h := all[0].Headers
	if h["trace"].Value != "abc" || h["n"].Value != "-5" || h["n"].Type != "int128" || h["ok"].Value != true ||
		h["blob"].Value != "AAE=" || h["f"].Value != 1.5 {
		t.Errorf("headers round trip: %+v", h)
	}
	if len(all[2].Headers) != 0 {
		t.Errorf("stdin message has headers: %+v", all[2].Headers)
	}

	text := c.ok("message", "poll", "orders", "events", "--offset", "4")
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "4\t") || !strings.HasSuffix(lines[0], "\tm4") ||
		!strings.HasSuffix(lines[1], "\tm5") {
		t.Errorf("poll --offset 4 text: %q", text)
	}
	if got := c.ok("message", "poll", "orders", "events", "--last", "-c", "2", "-o", "raw"); got != "m4\nm5\n" {
		t.Errorf("poll --last raw: %q", got)
	}
	ts := strconv.FormatUint(all[4].TimestampMicros, 10)
	byTime := decodePolled(t, c.ok("message", "poll", "orders", "events", "--timestamp", ts, "-o", "json"))
	if len(byTime) == 0 || byTime[0].Offset > 4 || payloads(byTime)[len(payloads(byTime))-2:] != "m5" {
		t.Errorf("poll --timestamp %s: %s", ts, payloads(byTime))
	}
	first := decodePolled(t, c.ok("message", "poll", "orders", "events", "--next", "--consumer", "c1",
		"--auto-commit", "-c", "2", "-o", "json"))
	second := decodePolled(t, c.ok("message", "poll", "orders", "events", "--next", "--consumer", "c1",
		"--auto-commit", "-c", "2", "-o", "json"))
	if payloads(first) != "m0,m1" || payloads(second) != "m2,m3" {
		t.Errorf("poll --next with auto-commit: %s then %s", payloads(first), payloads(second))
	}

	var topic struct {
		MessagesCount int `json:"messages_count"`
	}
	if err := json.Unmarshal([]byte(c.ok("topic", "get", "orders", "events", "-o", "json")), &topic); err != nil ||
		topic.MessagesCount != 6 {
		t.Errorf("topic get -o json: %+v (%v)", topic, err)
	}
	var streams []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(c.ok("stream", "list", "-o", "json")), &streams); err != nil ||
		len(streams) != 1 || streams[0].Name != "orders" {
		t.Errorf("stream list -o json: %+v (%v)", streams, err)
	}
	if out := c.ok("stream", "list"); !strings.Contains(out, "NAME") || !strings.Contains(out, "orders") {
		t.Errorf("stream list table: %q", out)
	}
}

func TestFollowSeesNewMessagesAndExitsZeroOnInterrupt(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s).asRoot()
	setupTopic(t, c)
	c.ok("message", "send", "orders", "events", "before")

	cmd := c.command("", "message", "poll", "orders", "events", "--follow", "--interval", "20ms", "-o", "json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	expect := func(payload string) {
		t.Helper()
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("follow ended before %q; stderr: %s", payload, stderr.String())
			}
			if !strings.Contains(line, `"payload":"`+payload+`"`) {
				t.Fatalf("follow printed %q, want %q", line, payload)
			}
		case <-ctx.Done():
			t.Fatalf("follow did not print %q", payload)
		}
	}
	expect("before") // the tail is running
	c.ok("message", "send", "orders", "events", "after")
	expect("after")

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("follow after SIGINT: %v; stderr: %q", err, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("follow ignored SIGINT")
	}
	if stderr.String() != "" {
		t.Errorf("follow stderr: %q", stderr.String())
	}
}

func TestErrorsAreOneLineWithDocumentedExitCodes(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s)
	root := c.asRoot()
	setupTopic(t, root)

	root.fails(exitServer, []string{"1009", "StreamIdNotFound"}, "stream", "get", "nope")
	root.fails(exitServer, []string{"TopicIdNotFound"}, "message", "send", "orders", "nope", "x")
	wrong := *c
	wrong.env = []string{"RUNNEL_CLI_USERNAME=iggy", "RUNNEL_CLI_PASSWORD=wrong"}
	wrong.fails(exitServer, []string{"42", "InvalidCredentials"}, "stream", "list")
	c.fails(exitServer, []string{"Unauthenticated"}, "stream", "list")

	root.fails(exitUsage, []string{"unknown flag: --bogus"}, "stream", "list", "--bogus")
	root.fails(exitUsage, []string{`unknown command "bogus"`}, "bogus")
	root.fails(exitUsage, []string{"want 1 argument"}, "stream", "get")
	root.fails(exitUsage, []string{"key:type:value"}, "message", "send", "orders", "events", "x", "-H", "bad")
	root.fails(exitUsage, []string{"bad int8 value"}, "message", "send", "orders", "events", "x", "-H", "k:int8:300")
	root.fails(exitUsage, []string{"open --file"}, "message", "send", "orders", "events", "--file", "/nonexistent/x")
	root.fails(exitUsage, []string{"want tcp, quic, ws or http"}, "ping", "--transport", "carrier-pigeon")
	root.fails(exitUsage, []string{"--output"}, "stream", "list", "-o", "yaml")
	root.fails(exitUsage, []string{"none of the others"}, "message", "poll", "orders", "events", "--first", "--last")
	root.fails(exitUsage, []string{`no context named "nope"`}, "stream", "list", "--context", "nope")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	root.fails(exitConnection, []string{"connection error", down}, "stream", "list", "--address", down)
}

func TestAdminCommandsRoundTrip(t *testing.T) {
	s := startServer(t)
	anon := newCLI(t, s)
	root := anon.asRoot()
	setupTopic(t, root)
	root.ok("ping")
	root.ok("stats")
	root.ok("me")
	root.ok("cluster", "metadata")
	if out := root.ok("client", "list"); !strings.Contains(out, "127.0.0.1") {
		t.Errorf("client list: %q", out)
	}

	// Streams, topics, partitions, segments.
	root.ok("stream", "update", "orders", "sales")
	root.ok("topic", "update", "sales", "events", "--name", "ev", "--message-expiry", "72h")
	var topic struct {
		Name            string `json:"name"`
		MessageExpiry   uint64 `json:"message_expiry"`
		PartitionsCount int    `json:"partitions_count"`
	}
	root.ok("partition", "create", "sales", "ev", "2")
	if err := json.Unmarshal([]byte(root.ok("topic", "get", "sales", "ev", "-o", "json")), &topic); err != nil ||
		topic.Name != "ev" || topic.MessageExpiry != 72*3600*1e6 || topic.PartitionsCount != 3 {
		t.Fatalf("topic after update: %+v (%v)", topic, err)
	}
	root.ok("partition", "delete", "sales", "ev", "1")
	root.ok("message", "send", "sales", "ev", "-P", "0", "a", "b", "c")
	root.ok("message", "flush", "sales", "ev", "0", "--fsync")

	// Consumer groups and offsets.
	root.ok("consumer-group", "create", "sales", "ev", "g1")
	if out := root.ok("consumer-group", "list", "sales", "ev"); !strings.Contains(out, "g1") {
		t.Errorf("consumer-group list: %q", out)
	}
	root.ok("consumer-group", "get", "sales", "ev", "g1")
	got := decodePolled(t, root.ok("message", "poll", "sales", "ev", "--group", "g1", "-c", "2", "-o", "json"))
	if payloads(got) != "a,b" {
		t.Errorf("group poll: %s", payloads(got))
	}
	var off struct {
		StoredOffset uint64 `json:"stored_offset"`
	}
	if err := json.Unmarshal([]byte(root.ok("consumer-offset", "get", "g1", "sales", "ev", "0", "--kind",
		"consumer-group", "-o", "json")), &off); err != nil || off.StoredOffset != 1 {
		t.Errorf("group offset after poll: %+v (%v)", off, err)
	}
	root.ok("consumer-offset", "set", "c9", "sales", "ev", "0", "2")
	if err := json.Unmarshal([]byte(root.ok("consumer-offset", "get", "c9", "sales", "ev", "0", "-o", "json")), &off); err != nil ||
		off.StoredOffset != 2 {
		t.Errorf("consumer offset after set: %+v (%v)", off, err)
	}
	root.ok("consumer-offset", "delete", "c9", "sales", "ev", "0")
	root.fails(exitServer, []string{"ConsumerOffsetNotFound"}, "consumer-offset", "get", "c9", "sales", "ev", "0")
	root.ok("consumer-group", "delete", "sales", "ev", "g1")

	// Users.
	root.ok("user", "create", "alice", "secret1", "--global", "read_streams")
	if out := root.ok("user", "list"); !strings.Contains(out, "alice") {
		t.Errorf("user list: %q", out)
	}
	alice := *anon
	alice.env = []string{"RUNNEL_CLI_USERNAME=alice", "RUNNEL_CLI_PASSWORD=secret1"}
	alice.ok("stream", "list")
	alice.fails(exitServer, []string{"Unauthorized"}, "stream", "create", "x")
	root.ok("user", "permissions", "alice", "--global", "all")
	alice.ok("stream", "create", "alices")
	root.ok("user", "password", "alice", "secret1", "secret2")
	alice.fails(exitServer, []string{"InvalidCredentials"}, "stream", "list")
	root.ok("user", "update", "alice", "--status", "inactive")
	var user struct {
		Status int `json:"status"`
	}
	if err := json.Unmarshal([]byte(root.ok("user", "get", "alice", "-o", "json")), &user); err != nil || user.Status != 2 {
		t.Errorf("user get after update: %+v (%v)", user, err)
	}
	root.ok("user", "delete", "alice")
	root.fails(exitServer, []string{"ResourceNotFound"}, "user", "get", "alice")

	// Tokens.
	tok := strings.TrimSpace(root.ok("pat", "create", "ci-token", "--expiry", "1h"))
	if out := root.ok("pat", "list"); !strings.Contains(out, "ci-token") {
		t.Errorf("pat list: %q", out)
	}
	withToken := *anon
	withToken.env = []string{"RUNNEL_CLI_TOKEN=" + tok}
	withToken.ok("stream", "get", "sales")
	root.ok("pat", "delete", "ci-token")
	withToken.fails(exitServer, []string{"InvalidPersonalAccessToken"}, "stream", "get", "sales")

	// Purge and delete.
	root.ok("segment", "delete", "sales", "ev", "0", "1")
	root.ok("topic", "purge", "sales", "ev")
	root.ok("stream", "purge", "sales")
	root.ok("topic", "delete", "sales", "ev")
	root.ok("stream", "delete", "sales")
	root.fails(exitServer, []string{"StreamIdNotFound"}, "stream", "get", "sales")
}

func TestLoginContextsLogout(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s)
	c.ok("login", "--username", rootUser, "--password", rootPassword)
	path := filepath.Join(c.configDir, "contexts.toml")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("contexts file mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), "password") || !strings.Contains(string(b), "token") {
		t.Errorf("login should store a token, not the password:\n%s", b)
	}
	c.ok("stream", "create", "s1") // no credential flags: the stored token
	if out := c.ok("pat", "list"); !strings.Contains(out, "runnel-cli-") {
		t.Errorf("login token not listed: %q", out)
	}

	// A second context pointing at a dead address, selected with use.
	c.ok("context", "create", "dead", "--address", "127.0.0.1:1")
	var ctxs []struct {
		Name    string `json:"name"`
		Address string `json:"address"`
		Active  bool   `json:"active"`
	}
	if err := json.Unmarshal([]byte(c.ok("context", "list", "-o", "json")), &ctxs); err != nil || len(ctxs) != 2 {
		t.Fatalf("context list: %+v (%v)", ctxs, err)
	}
	c.ok("context", "use", "dead")
	fresh := *c
	fresh.addr = "" // RUNNEL_CLI_ADDRESS empty: the context's address applies
	fresh.fails(exitConnection, []string{"127.0.0.1:1"}, "ping")
	c.ok("context", "use", "default")
	c.ok("context", "delete", "dead")
	c.fails(exitUsage, []string{`no context named "dead"`}, "context", "use", "dead")

	c.ok("logout")
	c.fails(exitServer, []string{"Unauthenticated"}, "stream", "list")
	c.asRoot().ok("stream", "get", "s1")
	if out := c.asRoot().ok("pat", "list"); strings.Contains(out, "runnel-cli-") {
		t.Errorf("logout left its token on the server: %q", out)
	}

	c.ok("login", "--username", rootUser, "--password", rootPassword, "--store-password")
	c.ok("stream", "get", "s1")
}

// TestHTTPTransport drives the CLI over the HTTP REST API (--transport
// http) against a real server: the same commands work, and a group poll,
// which HTTP cannot express, fails with FeatureUnavailable.
func TestHTTPTransport(t *testing.T) {
	s := testserver.Start(t, bins.server, "RUNNEL_HTTP_ENABLED=true", "RUNNEL_HTTP_ADDRESS=127.0.0.1:0")
	listening := regexp.MustCompile(`msg=listening transport=http address=(\S+)`)
	var addr string
	testserver.Eventually(t, "the http listener's address in the log", func() bool {
		m := listening.FindStringSubmatch(s.Output())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	c := newCLI(t, s).asRoot()
	c.addr = addr
	c.env = append(c.env, "RUNNEL_CLI_TRANSPORT=http")

	c.ok("ping")
	if out := c.ok("me", "-o", "json"); !strings.Contains(out, `"transport": 3`) { // wire.TransportHTTP
		t.Errorf("me over http: %q", out)
	}
	setupTopic(t, c)
	c.ok("message", "send", "orders", "events", "m0", "m1", "-H", "trace:string:abc")
	all := decodePolled(t, c.ok("message", "poll", "orders", "events", "--first", "--count", "10", "-o", "json"))
	if got := payloads(all); got != "m0,m1" || all[0].Headers["trace"].Value != "abc" {
		t.Fatalf("poll over http: %s %+v", got, all[0].Headers)
	}
	c.ok("consumer-group", "create", "orders", "events", "workers")
	if out := c.ok("consumer-group", "list", "orders", "events"); !strings.Contains(out, "workers") {
		t.Errorf("group list over http: %q", out)
	}
	c.fails(exitServer, []string{"FeatureUnavailable", "JoinConsumerGroup over http"},
		"message", "poll", "orders", "events", "--group", "workers")
	c.ok("consumer-group", "delete", "orders", "events", "workers")
	// The flag --transport wins over the environment, as for the others.
	tcp := *c
	tcp.addr = s.Addr
	tcp.ok("ping", "--transport", "tcp")
}
