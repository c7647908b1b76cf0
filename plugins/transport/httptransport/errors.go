package httptransport

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/runnel-io/runnel/sdk/wire"
)

// httpError is an error of the HTTP layer (bad JSON, bad token, ...) with
// the status and code to answer.
type httpError struct {
	status int
	code   string
	reason string
}

func (e *httpError) Error() string { return e.reason }

func badRequest(code, reason string) error {
	return &httpError{status: http.StatusBadRequest, code: code, reason: reason}
}

// errorResponse maps err to an HTTP status and Iggy's error body.
func errorResponse(err error) (int, errorJSON) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, errorJSON{Code: he.code, Reason: he.reason}
	}
	switch {
	case errors.Is(err, errSessionGone):
		return http.StatusUnauthorized, errorJSON{Code: "unauthenticated", Reason: err.Error()}
	case errors.Is(err, errSessionsFull), errors.Is(err, errTransportClose):
		return http.StatusServiceUnavailable, errorJSON{Code: "unavailable", Reason: err.Error()}
	case errors.Is(err, errHandlerPanic):
		return http.StatusInternalServerError, errorJSON{ID: wire.ErrGeneric.Code, Code: "error", Reason: err.Error()}
	}
	var we *wire.Error
	if !errors.As(err, &we) {
		return http.StatusInternalServerError, errorJSON{ID: wire.ErrGeneric.Code, Code: "error", Reason: err.Error()}
	}
	return wireStatus(we), errorJSON{ID: we.Code, Code: snakeCase(we.Name), Reason: err.Error()}
}

// wireStatus follows Iggy's CustomError mapping: not-found codes → 404,
// authentication → 401, permission → 403, the generic error → 500, every
// other (validation, already exists, ...) → 400.
func wireStatus(e *wire.Error) int {
	switch {
	case e.Code == wire.ErrGeneric.Code:
		return http.StatusInternalServerError
	case e.Code == wire.ErrUnauthorized.Code:
		return http.StatusForbidden
	case e.Code == wire.ErrUnauthenticated.Code, e.Code == wire.ErrInvalidCredentials.Code,
		e.Code == wire.ErrInvalidPAT.Code, e.Code == wire.ErrPATExpired.Code,
		e.Code == wire.ErrAccessTokenMissing.Code, e.Code == wire.ErrInvalidAccessToken.Code,
		e.Code == wire.ErrStaleClient.Code:
		return http.StatusUnauthorized
	case strings.HasSuffix(e.Name, "NotFound"):
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

// snakeCase turns "StreamIdNotFound" into "stream_id_not_found".
func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// writeError answers err as JSON.
func writeError(w http.ResponseWriter, err error) {
	status, body := errorResponse(err)
	writeJSON(w, status, body)
}

// writeJSON answers v with status. Encoding failures cannot be reported
// to the client any more (the status is out), so they are dropped.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
