package httptransport

import (
	"fmt"
	"net/http"

	"github.com/runnel-io/runnel/sdk/httpapi"

	"github.com/runnel-io/runnel/sdk/wire"
)

// userHandler serves logins, users and personal access tokens.
func (t *Transport) userHandler(code uint32) func(*call) (any, error) {
	switch code {
	case wire.CodeLoginUser:
		return t.loginUser
	case wire.CodeLoginWithPersonalAccessToken:
		return t.loginPAT
	case wire.CodeLogoutUser:
		return t.logout
	case wire.CodeGetUsers:
		return func(c *call) (any, error) { return list(c, wire.GetUsersRequest{}, wire.DecodeUsers, httpapi.UserOf) }
	case wire.CodeCreateUser:
		return createUser
	case wire.CodeGetUser:
		return getUser
	case wire.CodeUpdateUser:
		return updateUser
	case wire.CodeDeleteUser:
		return func(c *call) (any, error) {
			id, err := c.id("user_id")
			if err != nil {
				return nil, err
			}
			return c.do(wire.DeleteUserRequest{UserID: id})
		}
	case wire.CodeUpdatePermissions:
		return updatePermissions
	case wire.CodeChangePassword:
		return changePassword
	case wire.CodeGetPersonalAccessTokens:
		return func(c *call) (any, error) {
			return list(c, wire.GetPersonalAccessTokensRequest{}, wire.DecodePatInfos, httpapi.PATOf)
		}
	case wire.CodeCreatePersonalAccessToken:
		return createPAT
	case wire.CodeDeletePersonalAccessToken:
		return func(c *call) (any, error) {
			return c.do(wire.DeletePersonalAccessTokenRequest{Name: c.r.PathValue("name")})
		}
	}
	return nil
}

func (t *Transport) loginUser(c *call) (any, error) {
	var in httpapi.Login
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return t.login(c, wire.LoginUserRequest{Username: in.Username, Password: in.Password})
}

func (t *Transport) loginPAT(c *call) (any, error) {
	var in httpapi.Token
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return t.login(c, wire.LoginWithPersonalAccessTokenRequest{Token: in.Token})
}

// login opens a host Conn, logs it in with q and binds it to a new session
// named by the tokens returned.
func (t *Transport) login(c *call, q wire.Request) (any, error) {
	id, err := newSessionID()
	if err != nil {
		return nil, err
	}
	conn, err := t.handler.Connect(t.baseCtx, httpPeer{remote: c.r.RemoteAddr})
	if err != nil {
		return nil, &httpError{status: http.StatusServiceUnavailable, code: "unavailable", reason: fmt.Sprintf("server refused the session: %v", err)}
	}
	s := &httpSession{id: id, conn: conn, remote: c.r.RemoteAddr}
	payload, _, err := s.exec(c.r.Context(), q)
	if err == nil {
		var ident wire.Identity
		if ident, err = wire.DecodeIdentity(payload); err == nil {
			s.userID = ident.UserID
		}
	}
	if err != nil {
		s.end()
		return nil, err
	}
	if err := t.sessions.add(s, t.now().Add(t.cfg.JWT.RefreshTokenExpiry)); err != nil {
		s.end()
		return nil, err
	}
	out, err := t.identity(s, true)
	if err != nil {
		t.sessions.remove(s)
	}
	return out, err
}

// identity issues an access token (and a refresh token at login).
func (t *Transport) identity(s *httpSession, withRefresh bool) (httpapi.Identity, error) {
	out := httpapi.Identity{UserID: s.userID}
	token, exp, err := t.issuer.issue(tokenAccess, s.id, s.userID, t.cfg.JWT.AccessTokenExpiry)
	if err != nil {
		return out, err
	}
	out.AccessToken = &httpapi.TokenInfo{Token: token, Expiry: uint64(exp.Unix())}
	if withRefresh {
		token, exp, err = t.issuer.issue(tokenRefresh, s.id, s.userID, t.cfg.JWT.RefreshTokenExpiry)
		if err != nil {
			return out, err
		}
		out.RefreshToken = &httpapi.TokenInfo{Token: token, Expiry: uint64(exp.Unix())}
	}
	return out, nil
}

func (t *Transport) refresh(c *call) (any, error) {
	var in httpapi.Token
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	cl, err := t.issuer.verify(in.Token, tokenRefresh)
	if err != nil {
		return nil, &httpError{status: http.StatusUnauthorized, code: "invalid_access_token", reason: "invalid or expired refresh token"}
	}
	s := t.sessions.get(cl.Session, t.now())
	if s == nil {
		return nil, &httpError{status: http.StatusUnauthorized, code: "invalid_access_token", reason: errSessionGone.Error()}
	}
	return t.identity(s, false)
}

// logout logs the Conn out (as a TCP client would), then ends the session:
// every token naming it stops working.
func (t *Transport) logout(c *call) (any, error) {
	_, err := c.exec(wire.LogoutUserRequest{})
	t.sessions.remove(c.sess)
	return nil, err
}

func createUser(c *call) (any, error) {
	var in httpapi.CreateUser
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	status, err := httpapi.UserStatusCode(in.Status)
	if err != nil {
		return nil, badRequest("invalid_user_status", err.Error())
	}
	return fetch(c, wire.CreateUserRequest{Username: in.Username, Password: in.Password, Status: status, Permissions: in.Permissions.Wire()},
		wire.DecodeUserDetails, nil, httpapi.UserDetailsOf)
}

func getUser(c *call) (any, error) {
	id, err := c.id("user_id")
	if err != nil {
		return nil, err
	}
	return fetch(c, wire.GetUserRequest{UserID: id}, wire.DecodeUserDetails, wire.ErrResourceNotFound.Detail("user %s", id), httpapi.UserDetailsOf)
}

func updateUser(c *call) (any, error) {
	id, err := c.id("user_id")
	if err != nil {
		return nil, err
	}
	var in httpapi.UpdateUser
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q := wire.UpdateUserRequest{UserID: id}
	if in.Username != nil {
		q.Username = *in.Username
	}
	if in.Status != nil {
		if q.Status, err = httpapi.UserStatusCode(*in.Status); err != nil {
			return nil, badRequest("invalid_user_status", err.Error())
		}
	}
	return c.do(q)
}

func updatePermissions(c *call) (any, error) {
	id, err := c.id("user_id")
	if err != nil {
		return nil, err
	}
	var in httpapi.PermissionsBody
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return c.do(wire.UpdatePermissionsRequest{UserID: id, Permissions: in.Permissions.Wire()})
}

func changePassword(c *call) (any, error) {
	id, err := c.id("user_id")
	if err != nil {
		return nil, err
	}
	var in httpapi.ChangePassword
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return c.do(wire.ChangePasswordRequest{UserID: id, CurrentPassword: in.CurrentPassword, NewPassword: in.NewPassword})
}

func createPAT(c *call) (any, error) {
	var in httpapi.CreatePAT
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return fetch(c, wire.CreatePersonalAccessTokenRequest{Name: in.Name, ExpiryMicros: in.Expiry},
		wire.DecodeRawPersonalAccessToken, nil, func(t wire.RawPersonalAccessToken) httpapi.Token { return httpapi.Token{Token: t.Token} })
}
