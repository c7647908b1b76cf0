package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/httpapi"
	"github.com/runnel-io/runnel/sdk/wire"
)

// fakeREST is the few routes the session logic needs: it counts logins,
// refreshes and logouts, issues tokens that expire as told, and revokes the
// current token on demand.
type fakeREST struct {
	mu                         sync.Mutex
	logins, refreshes, logouts int
	token                      string
	accessExpiry               time.Time // of the next login's access token
	revoked                    bool
}

func (f *fakeREST) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("pong")) })
	mux.HandleFunc("POST /users/login", func(w http.ResponseWriter, r *http.Request) {
		var in httpapi.Login
		json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		defer f.mu.Unlock()
		if in.Password != "pw" {
			writeTestJSON(w, http.StatusUnauthorized, httpapi.Error{ID: wire.ErrInvalidCredentials.Code, Code: "invalid_credentials", Reason: "no"})
			return
		}
		f.logins++
		f.token, f.revoked = "access-"+string(rune('0'+f.logins)), false
		writeTestJSON(w, http.StatusOK, httpapi.Identity{UserID: 7,
			AccessToken:  &httpapi.TokenInfo{Token: f.token, Expiry: uint64(f.accessExpiry.Unix())},
			RefreshToken: &httpapi.TokenInfo{Token: "refresh", Expiry: uint64(time.Now().Add(time.Hour).Unix())}})
	})
	mux.HandleFunc("POST /users/refresh-token", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.refreshes++
		writeTestJSON(w, http.StatusOK, httpapi.Identity{UserID: 7,
			AccessToken: &httpapi.TokenInfo{Token: f.token, Expiry: uint64(time.Now().Add(time.Hour).Unix())}})
	})
	mux.HandleFunc("DELETE /users/logout", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		f.logouts++
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /streams", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.revoked || r.Header.Get("Authorization") != "Bearer "+f.token {
			writeTestJSON(w, http.StatusUnauthorized, httpapi.Error{Code: "invalid_access_token", Reason: "revoked"})
			return
		}
		writeTestJSON(w, http.StatusOK, []httpapi.Stream{{ID: 1, Name: "s", TopicsCount: 0}})
	})
	return mux
}

func writeTestJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeREST) counts() (logins, refreshes, logouts int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, f.refreshes, f.logouts
}

func openFake(t *testing.T, f *fakeREST) *Client {
	t.Helper()
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Open(ctx, "runnel+http://u:pw@"+strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHTTPLogsInAgainAfter401: a revoked token (401 without a wire status)
// makes the client log in again and retry, as TCP re-logs in after a
// reconnect; the caller sees only success.
func TestHTTPLogsInAgainAfter401(t *testing.T) {
	f := &fakeREST{accessExpiry: time.Now().Add(time.Hour)}
	c := openFake(t, f)
	ctx := context.Background()
	if ss, err := c.GetStreams(ctx); err != nil || len(ss) != 1 || ss[0].Name != "s" {
		t.Fatalf("streams: %+v %v", ss, err)
	}
	f.mu.Lock()
	f.revoked = true
	f.mu.Unlock()
	if _, err := c.GetStreams(ctx); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if logins, refreshes, _ := f.counts(); logins != 2 || refreshes != 0 {
		t.Errorf("logins %d refreshes %d, want 2 and 0", logins, refreshes)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, logouts := f.counts(); logouts != 1 {
		t.Errorf("close logged out %d times, want 1", logouts)
	}
}

// TestHTTPRefreshesBeforeExpiry: an access token at its expiry is
// refreshed with the refresh token before the next call, once.
func TestHTTPRefreshesBeforeExpiry(t *testing.T) {
	f := &fakeREST{accessExpiry: time.Now()} // expires within the second
	c := openFake(t, f)
	defer c.Close()
	for range 2 {
		if _, err := c.GetStreams(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if logins, refreshes, _ := f.counts(); logins != 1 || refreshes != 1 {
		t.Errorf("logins %d refreshes %d, want 1 and 1", logins, refreshes)
	}
}

// TestHTTPWrongPasswordIsNotRetried: InvalidCredentials is a wire status,
// not a lost session: no second login attempt.
func TestHTTPWrongPasswordIsNotRetried(t *testing.T) {
	f := &fakeREST{accessExpiry: time.Now().Add(time.Hour)}
	c := openFake(t, f)
	defer c.Close()
	if _, err := c.LoginUser(context.Background(), "u", "bad"); !errors.Is(err, wire.ErrInvalidCredentials) {
		t.Fatalf("bad password: %v", err)
	}
	if err := c.JoinConsumerGroup(context.Background(), wire.NumericID(1), wire.NumericID(1), wire.NumericID(1)); !errors.Is(err, wire.ErrFeatureUnavailable) {
		t.Fatalf("join: %v", err)
	}
	if logins, _, _ := f.counts(); logins != 1 {
		t.Errorf("%d logins, want 1", logins)
	}
}
