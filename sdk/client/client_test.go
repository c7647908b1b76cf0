package client

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

func dial(t *testing.T, s *fakeServer, opts ...Option) *Client {
	t.Helper()
	c, err := Dial(context.Background(), s.addr(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestPingFraming(t *testing.T) {
	s := startServer(t, func(request) []byte { return okFrame(nil) })
	c := dial(t, s)
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := s.next(t); r.code != wire.CodePing || len(r.payload) != 0 {
		t.Fatalf("got %+v", r)
	}
}

func TestErrorStatusMapping(t *testing.T) {
	codes := make(chan uint32, 1)
	s := startServer(t, func(request) []byte {
		return errFrame(wire.ErrorFromCode(<-codes).(*wire.Error))
	})
	c := dial(t, s)
	ctx := context.Background()
	codes <- 1009
	if err := c.DeleteStream(ctx, wire.NumericID(1)); !errors.Is(err, wire.ErrStreamIDNotFound) {
		t.Fatalf("1009: %v", err)
	}
	codes <- 65000
	err := c.Ping(ctx)
	if !errorsIsStatus(err, 65000) || errors.Is(err, wire.ErrGeneric) {
		t.Fatalf("unknown code: %v", err)
	}
	codes <- 40
	if _, err := c.GetStreams(ctx); !errors.Is(err, wire.ErrUnauthenticated) {
		t.Fatalf("40: %v", err)
	}
	// The connection stays usable after error statuses.
	codes <- 3
	if err := c.Ping(ctx); !errors.Is(err, wire.ErrInvalidCommand) {
		t.Fatalf("3: %v", err)
	}
	if got := s.next(t).conn + s.next(t).conn + s.next(t).conn + s.next(t).conn; got != 0 {
		t.Fatal("error statuses must not drop the connection")
	}
}

func TestEmptyAnswersAreNotFound(t *testing.T) {
	s := startServer(t, func(request) []byte { return okFrame(nil) })
	c := dial(t, s)
	ctx := context.Background()
	id := wire.NumericID(0)
	checks := []struct {
		name string
		err  error
		want *wire.Error
	}{
		{"stream", second(c.GetStream(ctx, id)), wire.ErrStreamIDNotFound},
		{"topic", second(c.GetTopic(ctx, id, id)), wire.ErrTopicIDNotFound},
		{"user", second(c.GetUser(ctx, wire.NamedID("nobody"))), wire.ErrResourceNotFound},
		{"group", second(c.GetConsumerGroup(ctx, id, id, id)), wire.ErrConsumerGroupIDNotFound},
		{"offset", second(c.GetConsumerOffset(ctx, wire.SingleConsumer(id), id, id, wire.OptionalPartitionID{})), wire.ErrConsumerOffsetNotFound},
		{"client", second(c.GetClient(ctx, 7)), wire.ErrClientNotFound},
	}
	for _, ch := range checks {
		if !errors.Is(ch.err, ch.want) {
			t.Errorf("%s: %v, want %v", ch.name, ch.err, ch.want)
		}
	}
	topics, err := c.GetTopics(ctx, id)
	if err != nil || len(topics) != 0 {
		t.Fatalf("empty topics: %v %v", topics, err)
	}
	pats, err := c.GetPersonalAccessTokens(ctx)
	if err != nil || len(pats) != 0 {
		t.Fatalf("empty tokens: %v %v", pats, err)
	}
}

func second[T any](_ T, err error) error { return err }

// TestCommandsOnTheWire drives a few commands against a server that decodes
// them with the shared codec and answers with the shared appenders.
func TestCommandsOnTheWire(t *testing.T) {
	s := startServer(t, func(r request) []byte {
		q, err := wire.DecodeRequest(r.code, r.payload)
		if err != nil {
			return errFrame(wire.ErrInvalidCommand)
		}
		switch q := q.(type) {
		case wire.CreateStreamRequest:
			return okFrame(wire.StreamHeader{ID: 4, Name: q.Name}.AppendTo(nil))
		case wire.CreateTopicRequest:
			d := wire.TopicDetails{TopicHeader: wire.TopicHeader{ID: 1, Name: q.Name, CompressionAlgorithm: q.CompressionAlgorithm}}
			for i := range q.PartitionsCount {
				d.Partitions = append(d.Partitions, wire.PartitionInfo{ID: i})
			}
			return okFrame(d.AppendTo(nil))
		case wire.LoginUserRequest:
			if q.Username != "iggy" || q.Password != "secret" || q.Version != wire.ProtocolVersion {
				return errFrame(wire.ErrInvalidCredentials)
			}
			return okFrame(wire.Identity{UserID: 0}.AppendTo(nil))
		case wire.CreateUserRequest:
			return okFrame(wire.UserDetails{UserHeader: wire.UserHeader{ID: 1, Status: q.Status, Username: q.Username},
				Permissions: q.Permissions}.AppendTo(nil))
		case wire.GetStatsRequest:
			return okFrame(wire.Stats{ServerVersion: "0.8.0", ServerSemver: 8000}.AppendTo(nil))
		}
		return okFrame(nil)
	})
	c := dial(t, s)
	ctx := context.Background()
	if _, err := c.LoginUser(ctx, "iggy", "wrong"); !errors.Is(err, wire.ErrInvalidCredentials) {
		t.Fatalf("bad login: %v", err)
	}
	if id, err := c.LoginUser(ctx, "iggy", "secret"); err != nil || id.UserID != 0 {
		t.Fatalf("login: %v %v", id, err)
	}
	st, err := c.CreateStream(ctx, "events")
	if err != nil || st.ID != 4 || st.Name != "events" {
		t.Fatalf("create stream: %+v %v", st, err)
	}
	td, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: wire.NumericID(4), PartitionsCount: 3, Name: "t"})
	if err != nil || len(td.Partitions) != 3 || td.CompressionAlgorithm != wire.CompressionNone {
		t.Fatalf("create topic: %+v %v", td, err)
	}
	perms := &wire.Permissions{Global: wire.GlobalPermissions{PollMessages: true}}
	u, err := c.CreateUser(ctx, "bob", "pw123", wire.UserActive, perms)
	if err != nil || u.Username != "bob" || !reflect.DeepEqual(u.Permissions, perms) {
		t.Fatalf("create user: %+v %v", u, err)
	}
	stats, err := c.GetStats(ctx)
	if err != nil || stats.ServerSemver != 8000 {
		t.Fatalf("stats: %+v %v", stats, err)
	}
}

func TestSendAndPoll(t *testing.T) {
	sent := make(chan wire.SendMessagesRequest, 1)
	s := startServer(t, func(r request) []byte {
		switch r.code {
		case wire.CodeSendMessages:
			q, err := wire.DecodeSendMessages(r.payload)
			if err != nil {
				return errFrame(wire.ErrInvalidCommand)
			}
			sent <- q
			return okFrame(nil)
		case wire.CodePollMessages:
			q, err := wire.DecodePollMessagesRequest(r.payload)
			if err != nil {
				return errFrame(wire.ErrInvalidCommand)
			}
			// Header plus stored frames, as a server writes them from disk.
			frame := wire.AppendMessage(nil, wire.Message{Payload: []byte("stored"),
				Headers: []wire.HeaderEntry{{Key: wire.StringHeader("k"), Value: wire.StringHeader("v")}}})
			wire.StampMessage(frame, 41, 1000)
			body := wire.AppendPolledHeader(nil, q.PartitionID.ID, 41, 1)
			return okFrame(append(body, frame...))
		}
		return errFrame(wire.ErrInvalidCommand)
	})
	c := dial(t, s)
	ctx := context.Background()
	msgs := []wire.Message{{Payload: []byte("a")}, {Payload: []byte("bb"), OriginTimestampMicros: 5}}
	if err := c.SendMessages(ctx, wire.NumericID(1), wire.NamedID("t"), wire.ByKey([]byte("key")), msgs); err != nil {
		t.Fatal(err)
	}
	q := <-sent
	if q.Count != 2 || string(q.Partitioning.Value) != "key" {
		t.Fatalf("sent %+v", q)
	}
	if h := wire.DecodeMessageHeader(q.Frame(0)); h.OriginTimestamp == 0 {
		t.Fatal("zero origin timestamp must be filled in")
	}
	if h := wire.DecodeMessageHeader(q.Frame(1)); h.OriginTimestamp != 5 {
		t.Fatalf("origin timestamp %d, want 5", h.OriginTimestamp)
	}
	if msgs[0].OriginTimestampMicros != 0 {
		t.Fatal("caller's messages were modified")
	}
	polled, err := c.PollMessages(ctx, wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NumericID(1)),
		StreamID: wire.NumericID(1), TopicID: wire.NumericID(1), PartitionID: wire.Partition(2),
		Strategy: wire.PollNext(), Count: 10})
	if err != nil || polled.PartitionID != 2 || len(polled.Messages) != 1 || polled.Messages[0].Header.Offset != 41 ||
		string(polled.Messages[0].Payload) != "stored" {
		t.Fatalf("poll %+v %v", polled, err)
	}
	if hs, err := polled.Messages[0].Headers(); err != nil || string(hs[0].Value.Data) != "v" {
		t.Fatalf("headers %v %v", hs, err)
	}
	// Client-side checks never reach the server.
	if err := c.SendMessages(ctx, wire.NumericID(1), wire.NumericID(1), wire.Balanced(), nil); !errors.Is(err, wire.ErrInvalidMessagesCount) {
		t.Fatalf("empty batch: %v", err)
	}
	if err := c.SendMessages(ctx, wire.NumericID(1), wire.NumericID(1), wire.ByKey(nil), msgs); !errors.Is(err, wire.ErrInvalidKeyValueLength) {
		t.Fatalf("empty key: %v", err)
	}
}

func TestClientSideValidation(t *testing.T) {
	s := startServer(t, func(request) []byte { return okFrame(nil) })
	c := dial(t, s)
	ctx := context.Background()
	long := string(bytes.Repeat([]byte("x"), 256))
	cases := []struct {
		err  error
		want *wire.Error
	}{
		{second(c.CreateStream(ctx, "")), wire.ErrInvalidStreamName},
		{second(c.CreateStream(ctx, long)), wire.ErrInvalidStreamName},
		{c.DeleteStream(ctx, wire.NamedID("")), wire.ErrInvalidIdentifier},
		{second(c.CreateConsumerGroup(ctx, wire.NumericID(1), wire.NumericID(1), "")), wire.ErrInvalidConsumerGroupName},
		{second(c.LoginUser(ctx, "", "pw")), wire.ErrInvalidUsername},
		{second(c.CreatePersonalAccessToken(ctx, long, 0)), wire.ErrInvalidPATName},
		{second(c.GetClient(ctx, 0)), wire.ErrInvalidClientID},
	}
	for i, ch := range cases {
		if !errors.Is(ch.err, ch.want) {
			t.Errorf("case %d: %v, want %v", i, ch.err, ch.want)
		}
	}
	if err := c.Ping(ctx); err != nil { // the only request the server saw
		t.Fatal(err)
	}
	if r := s.next(t); r.code != wire.CodePing {
		t.Fatalf("server saw %d first", r.code)
	}
}

// TestDeadlineThenReconnectAndRelogin: a server that never answers makes
// the call fail with the context's error; the next call dials again and
// replays the login before its own request.
func TestDeadlineThenReconnectAndRelogin(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	s := startServer(t, func(r request) []byte {
		switch r.code {
		case wire.CodeLoginUser:
			return okFrame(wire.Identity{UserID: 9}.AppendTo(nil))
		case wire.CodeGetStreams:
			if r.conn == 0 {
				return nil // never answer on the first connection
			}
		}
		return okFrame(nil)
	})
	c := dial(t, s, WithReconnect(3, time.Millisecond))
	if _, err := c.LoginUser(context.Background(), "iggy", "iggy"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.GetStreams(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("ping after reconnect: %v", err)
	}
	want := []struct {
		conn int
		code uint32
	}{
		{0, wire.CodeLoginUser}, {0, wire.CodeGetClusterMetadata}, {0, wire.CodeGetStreams},
		{1, wire.CodeLoginUser}, {1, wire.CodeGetClusterMetadata}, {1, wire.CodePing},
	}
	for _, w := range want {
		if r := s.next(t); r.conn != w.conn || r.code != w.code {
			t.Fatalf("got conn %d code %d, want %+v", r.conn, r.code, w)
		}
	}
	// Logout forgets the credentials: the next reconnect does not log in.
	if err := c.LogoutUser(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.next(t)
	s.dropAll()
	var err error
	for range 100 { // the first ping may still find the dead socket
		if err = c.Ping(context.Background()); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	for r := s.next(t); r.code != wire.CodePing || r.conn < 2; r = s.next(t) {
		if r.code == wire.CodeLoginUser {
			t.Fatal("logged in again after logout")
		}
	}
}

func TestCancelInterruptsBlockedCall(t *testing.T) {
	s := startServer(t, func(request) []byte { return nil })
	c := dial(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Ping(ctx) }()
	s.next(t) // the request is on the server: the client is blocked reading
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestStaleClientDropsConnection(t *testing.T) {
	s := startServer(t, func(r request) []byte {
		if r.conn == 0 {
			return errFrame(wire.ErrStaleClient)
		}
		return okFrame(nil)
	})
	c := dial(t, s, WithReconnect(1, time.Millisecond))
	if err := c.Ping(context.Background()); !errors.Is(err, wire.ErrStaleClient) {
		t.Fatalf("got %v", err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("ping on a new connection: %v", err)
	}
}

// A misbehaving server that puts a payload on an error frame must not
// desynchronise the client.
func TestErrorPayloadDrained(t *testing.T) {
	s := startServer(t, func(r request) []byte {
		if r.code == wire.CodeDeleteStream {
			b := errFrame(wire.ErrStreamIDNotFound)
			b[4] = 3 // length 3
			return append(b, 1, 2, 3)
		}
		return okFrame(wire.Identity{UserID: 5}.AppendTo(nil))
	})
	c := dial(t, s)
	if err := c.DeleteStream(context.Background(), wire.NumericID(1)); !errors.Is(err, wire.ErrStreamIDNotFound) {
		t.Fatalf("got %v", err)
	}
	if id, err := c.LoginUser(context.Background(), "iggy", "iggy"); err != nil || id.UserID != 5 {
		t.Fatalf("next call out of sync: %+v %v", id, err)
	}
}

func TestResponseLimit(t *testing.T) {
	s := startServer(t, func(request) []byte { return okFrame(make([]byte, 100)) })
	c := dial(t, s, WithResponseBytesMax(10), WithReconnect(0, 0))
	var tooLarge *wire.ResponseTooLargeError
	if _, err := c.GetStreams(context.Background()); !errors.As(err, &tooLarge) {
		t.Fatalf("got %v", err)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, wire.ErrNotConnected) {
		t.Fatalf("connection must be dropped after an oversized answer: %v", err)
	}
}

// Concurrent callers each get their own answer: requests are serialised.
func TestConcurrentCallsStayInOrder(t *testing.T) {
	s := startServer(t, func(r request) []byte {
		q, _ := wire.DecodeGetClientRequest(r.payload)
		return okFrame(wire.ClientDetails{ClientInfo: wire.ClientInfo{ClientID: q.ClientID}}.AppendTo(nil))
	})
	c := dial(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := uint32(g*1000 + i + 1)
				d, err := c.GetClient(context.Background(), id)
				if err != nil || d.ClientID != id {
					errs <- fmt.Errorf("asked %d, got %d (%v)", id, d.ClientID, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClosedClient(t *testing.T) {
	s := startServer(t, func(request) []byte { return okFrame(nil) })
	c := dial(t, s)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestParseConnString(t *testing.T) {
	cs, err := ParseConnString("runnel://iggy:s%2Fecret@127.0.0.1:9000?tls=true&tls_domain=example.com&reconnection_retries=5&reconnection_interval=2s")
	if err != nil || cs.Addr != "127.0.0.1:9000" || cs.Username != "iggy" || cs.Password != "s/ecret" || cs.Token != "" {
		t.Fatalf("user form: %+v %v", cs, err)
	}
	cfg := defaultConfig()
	for _, o := range cs.Options {
		o(&cfg)
	}
	if !cfg.tlsEnabled || cfg.tlsServerName != "example.com" || cfg.reconnectAttempts != 5 || cfg.reconnectBackoff != 2*time.Second {
		t.Fatalf("options: %+v", cfg)
	}
	cs, err = ParseConnString("iggy+tcp://tok%2Fen@localhost")
	if err != nil || cs.Token != "tok/en" || cs.Addr != "localhost:8090" || cs.Username != "" {
		t.Fatalf("token form: %+v %v", cs, err)
	}
	cs, err = ParseConnString("runnel://[::1]:8091")
	if err != nil || cs.Addr != "[::1]:8091" || cs.Token != "" || cs.Username != "" {
		t.Fatalf("no credentials: %+v %v", cs, err)
	}
	for _, bad := range []string{
		"http://a:b@host:1", "runnel://", "runnel://host:1/path", "runnel://host:1?tls=maybe",
		"runnel://host:1?unknown=1", "runnel://host:1?reconnection_retries=-1", "::not a url",
	} {
		if _, err := ParseConnString(bad); err == nil {
			t.Errorf("%q parsed", bad)
		} else if bad != "::not a url" && !errors.Is(err, wire.ErrInvalidConnectionString) {
			t.Errorf("%q: %v is not InvalidConnectionString", bad, err)
		}
	}
}

func TestOpenLogsIn(t *testing.T) {
	s := startServer(t, func(r request) []byte { return okFrame(wire.Identity{UserID: 3}.AppendTo(nil)) })
	ctx := context.Background()
	c, err := Open(ctx, "runnel://alice:pw123@"+s.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q, err := wire.DecodeLoginUserRequest(s.next(t).payload)
	if err != nil || q.Username != "alice" || q.Password != "pw123" {
		t.Fatalf("login %+v %v", q, err)
	}
	if r := s.next(t); r.code != wire.CodeGetClusterMetadata {
		t.Fatalf("after login got code %d, want the leader check", r.code)
	}
	c2, err := Open(ctx, "runnel://my-token@"+s.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	r := s.next(t)
	tq, err := wire.DecodeLoginWithPersonalAccessTokenRequest(r.payload)
	if r.code != wire.CodeLoginWithPersonalAccessToken || err != nil || tq.Token != "my-token" {
		t.Fatalf("token login %+v %v", tq, err)
	}
}

func TestOpenFailsOnBadLogin(t *testing.T) {
	s := startServer(t, func(request) []byte { return errFrame(wire.ErrInvalidCredentials) })
	if _, err := Open(context.Background(), "runnel://a:b@"+s.addr()); !errors.Is(err, wire.ErrInvalidCredentials) {
		t.Fatalf("got %v", err)
	}
}

func TestTLS(t *testing.T) {
	certPEM, serverCfg := selfSignedTLS(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServerTLS(t, serverCfg, func(request) []byte { return okFrame(nil) })
	_, port, _ := net.SplitHostPort(s.addr())
	ctx := context.Background()

	c, err := Dial(ctx, s.addr(), WithTLSCAFile(caFile), WithTLSServerName("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()

	if _, err := Dial(ctx, s.addr(), WithTLS(nil)); err == nil {
		t.Fatal("untrusted certificate accepted")
	}
	c, err = Dial(ctx, s.addr(), WithTLSInsecureSkipVerify())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	c, err = Open(ctx, "runnel://localhost:"+port+"?tls=true&tls_ca_file="+caFile)
	if err != nil {
		t.Fatalf("conn string with TLS: %v", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if _, err := Dial(ctx, s.addr(), WithTLSCAFile(filepath.Join(t.TempDir(), "missing.pem"))); err == nil {
		t.Fatal("missing CA file accepted")
	}
}

// selfSignedTLS makes a certificate for localhost and 127.0.0.1.
func selfSignedTLS(t *testing.T) ([]byte, *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, &tls.Config{Certificates: []tls.Certificate{pair}}
}
