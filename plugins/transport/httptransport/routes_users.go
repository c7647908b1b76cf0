package httptransport

import (
	"fmt"
	"net/http"

	"github.com/runnel-io/runnel/sdk/wire"
)

// userRoutes: logins, tokens, users and personal access tokens.
func (t *Transport) userRoutes() []route {
	return []route{
		{method: "POST", path: "/users/login", summary: "Log in with username and password; returns JWTs", public: true,
			status: http.StatusOK, body: loginJSON{}, out: identityJSON{}, serve: t.loginUser},
		{method: "POST", path: "/personal-access-tokens/login", summary: "Log in with a personal access token; returns JWTs", public: true,
			status: http.StatusOK, body: tokenJSON{}, out: identityJSON{}, serve: t.loginPAT},
		{method: "POST", path: "/users/refresh-token", summary: "New access token for the session of a refresh token", public: true,
			status: http.StatusOK, body: tokenJSON{}, out: identityJSON{}, serve: t.refresh},
		{method: "DELETE", path: "/users/logout", summary: "Log out: revoke the session's tokens",
			status: http.StatusNoContent, serve: t.logout},
		{method: "GET", path: "/users", summary: "List users", status: http.StatusOK, out: []userJSON{},
			serve: func(c *call) (any, error) { return list(c, wire.GetUsersRequest{}, wire.DecodeUsers, userOf) }},
		{method: "POST", path: "/users", summary: "Create a user", status: http.StatusCreated,
			body: createUserJSON{}, out: userDetailsJSON{}, serve: createUser},
		{method: "GET", path: "/users/{user_id}", summary: "Get a user with permissions", status: http.StatusOK,
			out: userDetailsJSON{}, serve: getUser},
		{method: "PUT", path: "/users/{user_id}", summary: "Update username and/or status", status: http.StatusNoContent,
			body: updateUserJSON{}, serve: updateUser},
		{method: "DELETE", path: "/users/{user_id}", summary: "Delete a user", status: http.StatusNoContent,
			serve: func(c *call) (any, error) {
				id, err := c.id("user_id")
				if err != nil {
					return nil, err
				}
				return c.do(wire.DeleteUserRequest{UserID: id})
			}},
		{method: "PUT", path: "/users/{user_id}/permissions", summary: "Replace a user's permissions", status: http.StatusNoContent,
			body: permissionsBodyJSON{}, serve: updatePermissions},
		{method: "PUT", path: "/users/{user_id}/password", summary: "Change a user's password", status: http.StatusNoContent,
			body: changePasswordJSON{}, serve: changePassword},
		{method: "GET", path: "/personal-access-tokens", summary: "List the caller's personal access tokens", status: http.StatusOK,
			out: []patJSON{}, serve: func(c *call) (any, error) {
				return list(c, wire.GetPersonalAccessTokensRequest{}, wire.DecodePatInfos, patOf)
			}},
		{method: "POST", path: "/personal-access-tokens", summary: "Create a personal access token (shown once)", status: http.StatusCreated,
			body: createPATJSON{}, out: tokenJSON{}, serve: createPAT},
		{method: "DELETE", path: "/personal-access-tokens/{name}", summary: "Delete a personal access token", status: http.StatusNoContent,
			serve: func(c *call) (any, error) {
				return c.do(wire.DeletePersonalAccessTokenRequest{Name: c.r.PathValue("name")})
			}},
	}
}

func (t *Transport) loginUser(c *call) (any, error) {
	var in loginJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return t.login(c, wire.LoginUserRequest{Username: in.Username, Password: in.Password})
}

func (t *Transport) loginPAT(c *call) (any, error) {
	var in tokenJSON
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
func (t *Transport) identity(s *httpSession, withRefresh bool) (identityJSON, error) {
	out := identityJSON{UserID: s.userID}
	token, exp, err := t.issuer.issue(tokenAccess, s.id, s.userID, t.cfg.JWT.AccessTokenExpiry)
	if err != nil {
		return out, err
	}
	out.AccessToken = &tokenInfoJSON{Token: token, Expiry: uint64(exp.Unix())}
	if withRefresh {
		token, exp, err = t.issuer.issue(tokenRefresh, s.id, s.userID, t.cfg.JWT.RefreshTokenExpiry)
		if err != nil {
			return out, err
		}
		out.RefreshToken = &tokenInfoJSON{Token: token, Expiry: uint64(exp.Unix())}
	}
	return out, nil
}

func (t *Transport) refresh(c *call) (any, error) {
	var in tokenJSON
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
	var in createUserJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	status, err := userStatusCode(in.Status)
	if err != nil {
		return nil, badRequest("invalid_user_status", err.Error())
	}
	return fetch(c, wire.CreateUserRequest{Username: in.Username, Password: in.Password, Status: status, Permissions: in.Permissions.wire()},
		wire.DecodeUserDetails, nil, userDetailsOf)
}

func getUser(c *call) (any, error) {
	id, err := c.id("user_id")
	if err != nil {
		return nil, err
	}
	return fetch(c, wire.GetUserRequest{UserID: id}, wire.DecodeUserDetails, wire.ErrResourceNotFound.Detail("user %s", id), userDetailsOf)
}

func userDetailsOf(u wire.UserDetails) userDetailsJSON {
	return userDetailsJSON{userJSON: userOf(u.UserHeader), Permissions: permissionsOf(u.Permissions)}
}

func updateUser(c *call) (any, error) {
	id, err := c.id("user_id")
	if err != nil {
		return nil, err
	}
	var in updateUserJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q := wire.UpdateUserRequest{UserID: id}
	if in.Username != nil {
		q.Username = *in.Username
	}
	if in.Status != nil {
		if q.Status, err = userStatusCode(*in.Status); err != nil {
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
	var in permissionsBodyJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return c.do(wire.UpdatePermissionsRequest{UserID: id, Permissions: in.Permissions.wire()})
}

func changePassword(c *call) (any, error) {
	id, err := c.id("user_id")
	if err != nil {
		return nil, err
	}
	var in changePasswordJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return c.do(wire.ChangePasswordRequest{UserID: id, CurrentPassword: in.CurrentPassword, NewPassword: in.NewPassword})
}

func createPAT(c *call) (any, error) {
	var in createPATJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return fetch(c, wire.CreatePersonalAccessTokenRequest{Name: in.Name, ExpiryMicros: in.Expiry},
		wire.DecodeRawPersonalAccessToken, nil, func(t wire.RawPersonalAccessToken) tokenJSON { return tokenJSON{Token: t.Token} })
}

func patOf(p wire.PatInfo) patJSON {
	out := patJSON{Name: p.Name}
	if p.ExpiryAtMicros != 0 {
		at := p.ExpiryAtMicros
		out.ExpiryAt = &at
	}
	return out
}
