package httpe2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"testing"
	"time"

	iggy "github.com/apache/iggy/foreign/go/client"
	"github.com/apache/iggy/foreign/go/client/tcp"
	iggcon "github.com/apache/iggy/foreign/go/contracts"

	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

type polled struct {
	PartitionID   uint32 `json:"partition_id"`
	CurrentOffset uint64 `json:"current_offset"`
	Count         uint32 `json:"count"`
	Messages      []struct {
		Header struct {
			ID            json.Number `json:"id"` // u128 does not fit a Go integer
			Offset        uint64      `json:"offset"`
			PayloadLength uint32      `json:"payload_length"`
		} `json:"header"`
		Payload     []byte `json:"payload"`
		UserHeaders []byte `json:"user_headers"`
	} `json:"messages"`
}

// sendBody is a SendMessages body to partition p with the given payloads
// and ids (decimal u128 strings).
func sendBody(p uint32, ids []string, payloads [][]byte) map[string]any {
	var pid [4]byte
	binary.LittleEndian.PutUint32(pid[:], p)
	msgs := make([]map[string]any, len(payloads))
	for i, pl := range payloads {
		msgs[i] = map[string]any{"id": ids[i], "payload": base64.StdEncoding.EncodeToString(pl)}
	}
	return map[string]any{"partitioning": map[string]any{"kind": "partition_id", "value": base64.StdEncoding.EncodeToString(pid[:])}, "messages": msgs}
}

// randomPayloads makes n binary (non-UTF-8) payloads.
func randomPayloads(seed uint64, n, size int) [][]byte {
	r := rand.New(rand.NewPCG(seed, seed))
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, size)
		for j := range out[i] {
			out[i][j] = byte(r.Uint32())
		}
		out[i][0] = 0xff // never valid UTF-8
	}
	return out
}

func TestHTTPLifecycle(t *testing.T) {
	s := startServer(t)
	a := newAPI(t, s)

	if r := a.call("GET", "/ping", nil); r.status != http.StatusOK || string(r.body) != "pong" {
		t.Fatalf("/ping: %d %q", r.status, r.body)
	}
	if r := a.call("GET", "/streams", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("/streams without a token: %d %s", r.status, r.body)
	}
	a.login()

	var stream struct {
		ID   uint32 `json:"id"`
		Name string `json:"name"`
	}
	a.must("POST", "/streams", map[string]any{"name": "orders"}, http.StatusCreated, &stream)
	if stream.ID != 0 || stream.Name != "orders" {
		t.Fatalf("created stream %+v", stream)
	}
	if r := a.call("POST", "/streams", map[string]any{"name": "orders"}); r.status != http.StatusBadRequest {
		t.Fatalf("duplicate stream: %d %s", r.status, r.body)
	} else if id, code := r.errorBody(t); id != 1012 || code != "stream_name_already_exists" {
		t.Fatalf("duplicate stream error %d %q", id, code)
	}
	var topic struct {
		ID              uint32 `json:"id"`
		PartitionsCount uint32 `json:"partitions_count"`
		Partitions      []struct {
			ID uint32 `json:"id"`
		} `json:"partitions"`
		CompressionAlgorithm string `json:"compression_algorithm"`
	}
	a.must("POST", "/streams/orders/topics", map[string]any{"name": "created", "partitions_count": 2}, http.StatusCreated, &topic)
	if topic.PartitionsCount != 2 || len(topic.Partitions) != 2 || topic.CompressionAlgorithm != "none" {
		t.Fatalf("created topic %+v", topic)
	}

	payloads := randomPayloads(1, 3, 200)
	ids := []string{"1", "340282366920938463463374607431768211455", "12345678901234567890"}
	a.must("POST", topicPath("orders", "created")+"/messages", sendBody(1, ids, payloads), http.StatusCreated, nil)

	var got polled
	a.must("GET", topicPath(0, 0)+"/messages?consumer_id=7&partition_id=1&kind=offset&value=0&count=10", nil, http.StatusOK, &got)
	if got.PartitionID != 1 || got.Count != 3 || len(got.Messages) != 3 || got.CurrentOffset != 2 {
		t.Fatalf("poll: %+v", got)
	}
	for i, m := range got.Messages {
		if !bytes.Equal(m.Payload, payloads[i]) || string(m.Header.ID) != ids[i] || m.Header.Offset != uint64(i) {
			t.Fatalf("message %d: id %s offset %d payload %x, want id %s payload %x", i, m.Header.ID, m.Header.Offset, m.Payload, ids[i], payloads[i])
		}
	}

	// Consumer offsets: store, read back, delete, then 404.
	offsets := topicPath("orders", "created") + "/consumer-offsets"
	a.must("PUT", offsets, map[string]any{"consumer_id": 7, "partition_id": 1, "offset": 1}, http.StatusNoContent, nil)
	var off struct {
		PartitionID   uint32 `json:"partition_id"`
		CurrentOffset uint64 `json:"current_offset"`
		StoredOffset  uint64 `json:"stored_offset"`
	}
	a.must("GET", offsets+"?consumer_id=7&partition_id=1", nil, http.StatusOK, &off)
	if off.PartitionID != 1 || off.CurrentOffset != 2 || off.StoredOffset != 1 {
		t.Fatalf("offset %+v", off)
	}
	a.must("GET", topicPath(0, 0)+"/messages?consumer_id=7&partition_id=1&kind=next&count=10&auto_commit=true", nil, http.StatusOK, &got)
	if len(got.Messages) != 1 || got.Messages[0].Header.Offset != 2 {
		t.Fatalf("poll next after stored offset 1: %+v", got)
	}
	a.must("DELETE", offsets+"/7?partition_id=1", nil, http.StatusNoContent, nil)
	if r := a.call("GET", offsets+"?consumer_id=7&partition_id=1", nil); r.status != http.StatusNotFound {
		t.Fatalf("deleted offset: %d %s", r.status, r.body)
	}

	// Stats, clients, metadata, groups, users, PATs answer with JSON.
	var stats struct {
		StreamsCount  uint32 `json:"streams_count"`
		MessagesCount uint64 `json:"messages_count"`
	}
	a.must("GET", "/stats", nil, http.StatusOK, &stats)
	if stats.StreamsCount != 1 || stats.MessagesCount != 3 {
		t.Fatalf("stats %+v", stats)
	}
	var clients []struct {
		Transport string  `json:"transport"`
		UserID    *uint32 `json:"user_id"`
	}
	a.must("GET", "/clients", nil, http.StatusOK, &clients)
	if len(clients) != 1 || clients[0].Transport != "http" || clients[0].UserID == nil {
		t.Fatalf("clients %+v", clients)
	}
	var group struct {
		ID      uint32 `json:"id"`
		Name    string `json:"name"`
		Members []any  `json:"members"`
	}
	a.must("POST", topicPath(0, 0)+"/consumer-groups", map[string]any{"name": "billing"}, http.StatusCreated, &group)
	a.must("GET", topicPath(0, 0)+"/consumer-groups/billing", nil, http.StatusOK, &group)
	if group.Name != "billing" || group.Members == nil {
		t.Fatalf("group %+v", group)
	}
	a.must("POST", "/users", map[string]any{"username": "alice", "password": "secret-pass", "status": "active"}, http.StatusCreated, nil)
	var users []struct {
		Username string `json:"username"`
		Status   string `json:"status"`
	}
	a.must("GET", "/users", nil, http.StatusOK, &users)
	if len(users) != 2 || users[1].Username != "alice" || users[1].Status != "active" {
		t.Fatalf("users %+v", users)
	}
	var pat struct {
		Token string `json:"token"`
	}
	a.must("POST", "/personal-access-tokens", map[string]any{"name": "ci-token", "expiry": 0}, http.StatusCreated, &pat)
	b := newAPI(t, s)
	var id identity
	b.must("POST", "/personal-access-tokens/login", map[string]any{"token": pat.Token}, http.StatusOK, &id)
	b.token = id.AccessToken.Token
	b.must("GET", "/streams/orders", nil, http.StatusOK, nil)

	// Logout revokes: the same token is refused afterwards.
	a.must("DELETE", "/users/logout", nil, http.StatusNoContent, nil)
	if r := a.call("GET", "/streams", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("after logout: %d %s", r.status, r.body)
	}
	b.must("GET", "/streams", nil, http.StatusOK, nil) // other sessions are untouched
}

// TestHTTPAndTCPSeeTheSameBytes: a message sent over HTTP polls identically
// over TCP with the Iggy Go SDK, and the other way round.
func TestHTTPAndTCPSeeTheSameBytes(t *testing.T) {
	s := startServer(t)
	a := newAPI(t, s)
	a.login()
	a.must("POST", "/streams", map[string]any{"name": "x"}, http.StatusCreated, nil)
	a.must("POST", "/streams/x/topics", map[string]any{"name": "y", "partitions_count": 1}, http.StatusCreated, nil)

	cli, err := iggy.NewIggyClient(iggy.WithTcp(tcp.WithServerAddress(s.Addr)))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.LoginUser(testserver.RootUser, testserver.RootPassword); err != nil {
		t.Fatal(err)
	}
	sid, _ := iggcon.NewIdentifier("x")
	tid, _ := iggcon.NewIdentifier("y")

	httpPayloads := randomPayloads(2, 4, 1000)
	a.must("POST", "/streams/x/topics/y/messages", sendBody(0, []string{"11", "12", "13", "14"}, httpPayloads), http.StatusCreated, nil)

	var tcpPayloads [][]byte
	var tcpMsgs []iggcon.IggyMessage
	for i, p := range randomPayloads(3, 3, 500) {
		var mid [16]byte
		mid[0] = byte(100 + i)
		m, err := iggcon.NewIggyMessage(p, iggcon.WithID(mid))
		if err != nil {
			t.Fatal(err)
		}
		tcpPayloads, tcpMsgs = append(tcpPayloads, p), append(tcpMsgs, m)
	}
	if err := cli.SendMessages(sid, tid, iggcon.PartitionId(0), tcpMsgs); err != nil {
		t.Fatal(err)
	}
	all := append(append([][]byte{}, httpPayloads...), tcpPayloads...)
	allIDs := []string{"11", "12", "13", "14", "100", "101", "102"}

	p0 := uint32(0)
	consumerID, _ := iggcon.NewIdentifier(uint32(1))
	overTCP, err := cli.PollMessages(sid, tid, iggcon.NewSingleConsumer(consumerID), iggcon.OffsetPollingStrategy(0), 100, false, &p0)
	if err != nil {
		t.Fatal(err)
	}
	var overHTTP polled
	a.must("GET", "/streams/x/topics/y/messages?partition_id=0&count=100", nil, http.StatusOK, &overHTTP)
	if len(overTCP.Messages) != len(all) || len(overHTTP.Messages) != len(all) {
		t.Fatalf("polled %d over TCP and %d over HTTP, want %d", len(overTCP.Messages), len(overHTTP.Messages), len(all))
	}
	for i := range all {
		tm, hm := overTCP.Messages[i], overHTTP.Messages[i]
		if !bytes.Equal(tm.Payload, all[i]) || !bytes.Equal(hm.Payload, all[i]) {
			t.Fatalf("message %d: payloads differ (tcp %x, http %x, sent %x)", i, tm.Payload[:8], hm.Payload[:8], all[i][:8])
		}
		var want [16]byte
		var n uint64
		fmt.Sscan(allIDs[i], &n)
		binary.LittleEndian.PutUint64(want[:], n)
		if [16]byte(tm.Header.Id) != want || string(hm.Header.ID) != allIDs[i] || tm.Header.Offset != hm.Header.Offset {
			t.Fatalf("message %d: tcp id %x offset %d, http id %s offset %d, want id %s", i, tm.Header.Id, tm.Header.Offset, hm.Header.ID, hm.Header.Offset, allIDs[i])
		}
	}
}

func TestHTTPBadInput(t *testing.T) {
	s := startServer(t, "RUNNEL_HTTP_BODY_SIZE_MAX=4KiB")
	a := newAPI(t, s)
	if r := a.call("POST", "/users/login", map[string]any{"username": "iggy", "password": "wrong"}); r.status != http.StatusUnauthorized {
		t.Fatalf("bad password: %d %s", r.status, r.body)
	}
	a.login()

	for _, tc := range []struct {
		name, method, path string
		body               []byte
		status             int
		code               string
	}{
		{"bad json", "POST", "/streams", []byte(`{"name": `), http.StatusBadRequest, "invalid_json"},
		{"wrong type", "POST", "/streams", []byte(`{"name": 5}`), http.StatusBadRequest, "invalid_json"},
		{"empty body", "POST", "/streams", nil, http.StatusBadRequest, "invalid_json"},
		{"oversized", "POST", "/streams", append(append([]byte(`{"name":"`), bytes.Repeat([]byte("a"), 8<<10)...), `"}`...), http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"unknown route", "GET", "/no/such/thing", nil, http.StatusNotFound, "not_found"},
		{"missing stream", "GET", "/streams/nope", nil, http.StatusNotFound, "stream_id_not_found"},
		{"bad partitioning", "POST", "/streams/0/topics/0/messages", []byte(`{"partitioning":{"kind":"sideways"},"messages":[{"payload":"aGk="}]}`), http.StatusBadRequest, "invalid_key_value_length"},
		{"bad base64", "POST", "/streams/0/topics/0/messages", []byte(`{"partitioning":{"kind":"balanced"},"messages":[{"payload":"!!"}]}`), http.StatusBadRequest, "invalid_json"},
		{"bad query", "GET", "/streams/0/topics/0/messages?count=lots", nil, http.StatusBadRequest, "invalid_parameter"},
	} {
		r := a.raw(tc.method, tc.path, "application/json", tc.body)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, r.status, tc.status, r.body)
			continue
		}
		if _, code := r.errorBody(t); code != tc.code {
			t.Errorf("%s: code %q, want %q", tc.name, code, tc.code)
		}
	}

	for _, token := range []string{"garbage", "a.b.c", a.token + "x"} {
		bad := newAPI(t, s)
		bad.token = token
		if r := bad.call("GET", "/streams", nil); r.status != http.StatusUnauthorized {
			t.Errorf("token %q: %d %s", token, r.status, r.body)
		}
	}

	// Garbage bytes instead of HTTP get 400 from the server, which keeps serving.
	conn, err := net.Dial("tcp", s.base[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = conn.Write([]byte("\x00\x01\x02garbage\r\n\r\n"))
	buf := make([]byte, 64)
	n, _ := conn.Read(buf)
	conn.Close()
	if !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 400")) {
		t.Errorf("garbage got %q, want a 400", buf[:n])
	}
	a.must("GET", "/streams", nil, http.StatusOK, nil)
	if r := a.call("GET", "/openapi.json", nil); r.status != http.StatusOK || !contains(r.body, `"openapi":"3.0.3"`) {
		t.Fatalf("/openapi.json: %d", r.status)
	}
}

// TestHTTPTokenExpiry: access tokens expire, refresh renews them until the
// refresh token expires, and the expired session is swept (Disconnected).
func TestHTTPTokenExpiry(t *testing.T) {
	s := startServer(t, "RUNNEL_HTTP_JWT_ACCESS_TOKEN_EXPIRY=1s", "RUNNEL_HTTP_JWT_REFRESH_TOKEN_EXPIRY=3s")
	a := newAPI(t, s)
	login := a.login()

	var renewed identity
	a.must("POST", "/users/refresh-token", map[string]string{"token": login.RefreshToken.Token}, http.StatusOK, &renewed)
	if renewed.AccessToken == nil || renewed.AccessToken.Token == login.AccessToken.Token {
		t.Fatalf("refresh gave %+v", renewed)
	}
	if r := a.call("POST", "/users/refresh-token", map[string]string{"token": login.AccessToken.Token}); r.status != http.StatusUnauthorized {
		t.Fatalf("an access token used as refresh token: %d", r.status)
	}

	testserver.Eventually(t, "the first access token to expire", func() bool {
		return a.call("GET", "/streams", nil).status == http.StatusUnauthorized
	})
	testserver.Eventually(t, "the refresh token to expire", func() bool {
		return a.call("POST", "/users/refresh-token", map[string]string{"token": login.RefreshToken.Token}).status == http.StatusUnauthorized
	})
	// The sweep ends the session (Disconnected): the server forgets the
	// client, as a TCP client sees.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Open(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testserver.Eventually(t, "the expired session's client to be dropped", func() bool {
		clients, err := c.GetClients(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ci := range clients {
			if ci.Transport == wire.TransportHTTP {
				return false
			}
		}
		return true
	})
}
