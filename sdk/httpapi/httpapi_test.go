package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

func TestMessageIDForms(t *testing.T) {
	for in, want := range map[string]string{
		`12345`: "12345", `"340282366920938463463374607431768211455"`: "340282366920938463463374607431768211455",
		`"af362865-042c-4000-0000-000000000000"`: "232896102592441153464425264804708483072", `null`: "0",
	} {
		id, err := MessageID(json.RawMessage(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		h := wire.DecodeMessageHeader(wire.AppendMessage(nil, wire.Message{ID: id, Payload: []byte{1}}))
		if got := string(MessageIDText(h)); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
		if back, err := MessageID(MessageIDJSON(id)); err != nil || back != id {
			t.Errorf("%s: MessageIDJSON round trip %x %v", in, back, err)
		}
	}
	for _, bad := range []string{`-1`, `"nope"`, `"340282366920938463463374607431768211456"`, `true`} {
		if _, err := MessageID(json.RawMessage(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestBuildRefusesWhatHTTPCannotCarry: commands without a route, and
// group consumers, are FeatureUnavailable naming the command.
func TestBuildRefusesWhatHTTPCannotCarry(t *testing.T) {
	s, tp, g := wire.NumericID(1), wire.NumericID(2), wire.NamedID("g")
	for _, q := range []wire.Request{
		wire.JoinConsumerGroupRequest{StreamID: s, TopicID: tp, GroupID: g},
		wire.LeaveConsumerGroupRequest{StreamID: s, TopicID: tp, GroupID: g},
		wire.PollMessagesRequest{Consumer: wire.GroupConsumer(g), StreamID: s, TopicID: tp, Strategy: wire.PollNext(), Count: 1},
		wire.StoreConsumerOffsetRequest{Consumer: wire.GroupConsumer(g), StreamID: s, TopicID: tp},
	} {
		_, err := Build(q.Code(), q.AppendTo(nil))
		if !errors.Is(err, wire.ErrFeatureUnavailable) || !strings.Contains(err.Error(), CommandName(q)+" over http") {
			t.Errorf("%s: %v", CommandName(q), err)
		}
	}
}

// TestPathsEscapeNames: names travel as escaped path segments.
func TestPathsEscapeNames(t *testing.T) {
	q := wire.GetTopicRequest{StreamID: wire.NamedID("a b/c"), TopicID: wire.NumericID(7)}
	c, err := Build(q.Code(), q.AppendTo(nil))
	if err != nil || c.Path != "/streams/a%20b%2Fc/topics/7" || c.Route.Method != "GET" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestDecodeError(t *testing.T) {
	err := DecodeError(http.StatusNotFound, []byte(`{"id":1009,"code":"stream_id_not_found","reason":"stream 5"}`))
	if !errors.Is(err, wire.ErrStreamIDNotFound) || errors.Is(err, ErrSession) || !strings.Contains(err.Error(), "stream 5") {
		t.Errorf("wire status: %v", err)
	}
	err = DecodeError(http.StatusUnauthorized, []byte(`{"id":0,"code":"invalid_access_token","reason":"expired"}`))
	if !errors.Is(err, ErrSession) || !errors.Is(err, wire.ErrUnauthenticated) {
		t.Errorf("session 401: %v", err)
	}
	err = DecodeError(http.StatusUnauthorized, []byte(`{"id":42,"code":"invalid_credentials","reason":"no"}`))
	if errors.Is(err, ErrSession) || !errors.Is(err, wire.ErrInvalidCredentials) {
		t.Errorf("credentials 401 must not look like a lost session: %v", err)
	}
	if err := DecodeError(http.StatusBadGateway, []byte("oops")); !errors.Is(err, wire.ErrHTTPResponseError) {
		t.Errorf("non-JSON 502: %v", err)
	}
}

// TestEveryCommandRouteIsUnique: RouteOf finds exactly one route per code.
func TestEveryCommandRouteIsUnique(t *testing.T) {
	seen := map[uint32]string{}
	for _, r := range Routes() {
		if r.Code == 0 {
			continue
		}
		if prev, ok := seen[r.Code]; ok {
			t.Errorf("code %d on %s and %s", r.Code, prev, r.Pattern())
		}
		seen[r.Code] = r.Pattern()
	}
	if len(seen) < 40 {
		t.Errorf("only %d command routes", len(seen))
	}
}
