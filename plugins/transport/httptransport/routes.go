package httptransport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/httpapi"
	"github.com/runnel-io/runnel/sdk/wire"
)

// route is one endpoint of the shared table (sdk/httpapi: method, path,
// JSON types, the command it carries) with the handler that serves it.
type route struct {
	httpapi.Route
	serve func(c *call) (any, error)
}

// text is an answer written as text/plain.
type text string

// routes is the whole table, in document order. A table entry without a
// handler is a bug of this package, caught by its tests at the first mux.
func (t *Transport) routes() []route {
	table := httpapi.Routes()
	out := make([]route, 0, len(table))
	for _, rt := range table {
		serve := t.handlerOf(rt)
		if serve == nil {
			panic(fmt.Sprintf("httptransport: no handler for %s", rt.Pattern()))
		}
		out = append(out, route{Route: rt, serve: serve})
	}
	return out
}

// handlerOf picks the handler of a table entry: by the command it
// carries, or by path for the routes of the HTTP layer.
func (t *Transport) handlerOf(rt httpapi.Route) func(*call) (any, error) {
	switch rt.Path {
	case "/{$}":
		return func(*call) (any, error) { return text(httpapi.Banner), nil }
	case "/users/refresh-token":
		return t.refresh
	}
	for _, group := range []func(uint32) func(*call) (any, error){t.systemHandler, t.userHandler, streamHandler, messageHandler} {
		if serve := group(rt.Code); serve != nil {
			return serve
		}
	}
	return nil
}

// mux routes every table entry, the host's extra handlers and /openapi.json.
func (t *Transport) mux(h transport.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	if extra, ok := h.(transport.HTTPRoutes); ok {
		for path, handler := range extra.HTTPRoutes() {
			mux.Handle(path, handler)
		}
	}
	for _, rt := range t.routes() {
		mux.HandleFunc(rt.Pattern(), t.serveRoute(rt))
	}
	doc, err := json.Marshal(httpapi.OpenAPI(httpapi.Routes()))
	if err != nil { // only static types go in: a failure is a bug
		panic(fmt.Sprintf("httptransport: openapi document: %v", err))
	}
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorJSON{Code: "not_found", Reason: fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)})
	})
	return mux
}

// middleware counts requests for the drain and applies CORS.
func (t *Transport) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !t.enter() {
			writeError(w, errTransportClose)
			return
		}
		defer t.inflight.Done()
		if t.cors(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cors adds the CORS headers and answers preflight requests (true: done).
func (t *Transport) cors(w http.ResponseWriter, r *http.Request) bool {
	c := t.cfg.CORS
	origin := r.Header.Get("Origin")
	if !c.Enabled || origin == "" {
		return false
	}
	anyOrigin := slices.Contains(c.AllowedOrigins, "*")
	if !anyOrigin && !slices.Contains(c.AllowedOrigins, origin) {
		return false // the browser blocks the answer
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	if anyOrigin {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowedMethods, ", "))
	if len(c.AllowedHeaders) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowedHeaders, ", "))
	}
	h.Set("Access-Control-Max-Age", "3600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// serveRoute wraps a table entry: body limit, authentication, answer.
func (t *Transport) serveRoute(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, t.cfg.BodyBytesMax)
		c := &call{t: t, r: r}
		if !rt.Public {
			s, err := t.authenticate(r)
			if err != nil {
				writeError(w, err)
				return
			}
			c.sess = s
		}
		out, err := rt.serve(c)
		if err != nil {
			writeError(w, err)
			return
		}
		switch v := out.(type) {
		case nil:
			w.WriteHeader(rt.Status)
		case text:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(rt.Status)
			_, _ = io.WriteString(w, string(v))
		default:
			writeJSON(w, rt.Status, v)
		}
	}
}

// authenticate finds the session of the request's bearer access token.
func (t *Transport) authenticate(r *http.Request) (*httpSession, error) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || token == "" {
		return nil, &httpError{status: http.StatusUnauthorized, code: "access_token_missing", reason: "missing Authorization: Bearer <access token>"}
	}
	c, err := t.issuer.verify(strings.TrimSpace(token), tokenAccess)
	if err != nil {
		return nil, &httpError{status: http.StatusUnauthorized, code: "invalid_access_token", reason: err.Error()}
	}
	s := t.sessions.get(c.Session, t.now())
	if s == nil {
		return nil, &httpError{status: http.StatusUnauthorized, code: "invalid_access_token", reason: errSessionGone.Error()}
	}
	return s, nil
}

// call is one request being served.
type call struct {
	t    *Transport
	r    *http.Request
	sess *httpSession // nil on public routes
}

// exec runs q on the caller's session.
func (c *call) exec(q wire.Request) ([]byte, error) {
	payload, closeAfter, err := c.sess.exec(c.r.Context(), q)
	if closeAfter {
		c.t.sessions.remove(c.sess)
	}
	return payload, err
}

// do runs q and ignores any answer payload.
func (c *call) do(q wire.Request) (any, error) {
	_, err := c.exec(q)
	return nil, err
}

// fetch runs q and converts its decoded answer; an empty answer is
// notFound when that is set (Iggy answers a missing entity with nothing).
func fetch[T, J any](c *call, q wire.Request, decode func([]byte) (T, error), notFound error, conv func(T) J) (any, error) {
	payload, err := c.exec(q)
	if err != nil {
		return nil, err
	}
	if len(payload) == 0 && notFound != nil {
		return nil, notFound
	}
	v, err := decode(payload)
	if err != nil {
		return nil, fmt.Errorf("httptransport: decode %T answer: %w", q, err)
	}
	return conv(v), nil
}

// list is fetch for list answers, which are never nil in JSON.
func list[T, J any](c *call, q wire.Request, decode func([]byte) ([]T, error), conv func(T) J) (any, error) {
	return fetch(c, q, decode, nil, func(items []T) []J {
		out := make([]J, 0, len(items))
		for _, it := range items {
			out = append(out, conv(it))
		}
		return out
	})
}

// decode reads the JSON body into v. Unknown fields are ignored, as Iggy's
// serde does; syntax and type errors are 400, an oversized body 413.
func (c *call) decode(v any) error {
	dec := json.NewDecoder(c.r.Body)
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON value")
	}
	if err == nil {
		return nil
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &httpError{status: http.StatusRequestEntityTooLarge, code: "payload_too_large",
			reason: fmt.Sprintf("request body exceeds body_size_max (%d bytes)", tooBig.Limit)}
	}
	if errors.Is(err, io.EOF) {
		return badRequest("invalid_json", "empty request body, want a JSON object")
	}
	return badRequest("invalid_json", "invalid JSON body: "+err.Error())
}

// id reads a path identifier: a number is a numeric id, anything else a
// name (Iggy's Identifier::from_str_value).
func (c *call) id(name string) (wire.Identifier, error) {
	return parseID(name, c.r.PathValue(name))
}

func parseID(what, s string) (wire.Identifier, error) {
	id, err := httpapi.ParseID(what, s)
	if err != nil {
		return id, badRequest("invalid_identifier", err.Error())
	}
	return id, nil
}

// u32 reads a uint32 from a path value or query parameter; def when absent.
func (c *call) u32(name string, def uint32, fromPath bool) (uint32, error) {
	s := c.r.URL.Query().Get(name)
	if fromPath {
		s = c.r.PathValue(name)
	}
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, badRequest("invalid_parameter", fmt.Sprintf("%s %q: want an unsigned 32-bit number", name, s))
	}
	return uint32(n), nil
}

func (c *call) u64(name string, def uint64) (uint64, error) {
	s := c.r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, badRequest("invalid_parameter", fmt.Sprintf("%s %q: want an unsigned 64-bit number", name, s))
	}
	return n, nil
}

func (c *call) flag(name string, fromPath bool) (bool, error) {
	s := c.r.URL.Query().Get(name)
	if fromPath {
		s = c.r.PathValue(name)
	}
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, badRequest("invalid_parameter", fmt.Sprintf("%s %q: want true or false", name, s))
	}
	return v, nil
}

// optPartition reads partition_id from the query; absent is partition 0,
// Iggy's serde default.
func (c *call) optPartition() (wire.OptionalPartitionID, error) {
	p, err := c.u32("partition_id", 0, false)
	return wire.Partition(p), err
}
