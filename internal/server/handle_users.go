package server

import (
	"context"
	"math"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/internal/auth"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	passwordBytesMin = 3
	passwordBytesMax = 100
)

func checkPassword(pw string) error {
	if len(pw) < passwordBytesMin || len(pw) > passwordBytesMax {
		return wire.ErrInvalidPassword.Detail("password must be %d..%d bytes", passwordBytesMin, passwordBytesMax)
	}
	return nil
}

// loginUser checks the password; a missing user and a wrong password give
// the same answer, so logins cannot probe for usernames.
func (c *session) loginUser(q wire.LoginUserRequest) ([]byte, error) {
	var hash string
	var userID uint32
	var status metadata.UserStatus
	found := false
	c.srv.meta.View(func(st *metadata.State) {
		if u := st.UserByName(q.Username); u != nil {
			hash, userID, status, found = u.PasswordHash, u.ID, u.Status, true
		}
	})
	if !found || !auth.VerifyPassword(hash, q.Password) {
		return nil, wire.ErrInvalidCredentials
	}
	if status != metadata.UserActive {
		return nil, wire.ErrUserInactive
	}
	c.setUser(userID)
	return wire.Identity{UserID: userID}.AppendTo(c.scratch[:0]), nil
}

func (c *session) loginWithToken(q wire.LoginWithPersonalAccessTokenRequest) ([]byte, error) {
	var userID uint32
	var status metadata.UserStatus
	var expiry uint64
	found := false
	c.srv.meta.View(func(st *metadata.State) {
		if u, pat, ok := st.PATByHash(auth.TokenHash(q.Token)); ok {
			userID, status, expiry, found = u.ID, u.Status, pat.ExpiryAtMicros, true
		}
	})
	if !found {
		return nil, wire.ErrInvalidPAT
	}
	if expiry != 0 && expiry <= nowMicros() {
		return nil, wire.ErrPATExpired
	}
	if status != metadata.UserActive {
		return nil, wire.ErrUserInactive
	}
	c.setUser(userID)
	return wire.Identity{UserID: userID}.AppendTo(c.scratch[:0]), nil
}

func userDetails(u *metadata.User) wire.UserDetails {
	return wire.UserDetails{UserHeader: userHeader(u), Permissions: u.Permissions}
}

func userHeader(u *metadata.User) wire.UserHeader {
	return wire.UserHeader{ID: u.ID, CreatedAtMicros: u.CreatedAtMicros, Status: uint8(u.Status), Username: u.Username}
}

// getUser answers an empty payload for "not found" (§8.10). Reading
// yourself needs no permission.
func (c *session) getUser(userID uint32, q wire.GetUserRequest) ([]byte, error) {
	var out []byte
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		u, rerr := st.ResolveUser(q.UserID)
		if rerr == nil && u.ID == userID {
			out = userDetails(u).AppendTo(c.scratch[:0])
			return
		}
		if err = authorizeIn(st, userID, metadata.ActionReadUsers, 0, 0); err != nil {
			return
		}
		if rerr == nil {
			out = userDetails(u).AppendTo(c.scratch[:0])
		}
	})
	return out, err
}

func (c *session) getUsers(userID uint32) ([]byte, error) {
	out := c.scratch[:0]
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		if err = authorizeIn(st, userID, metadata.ActionReadUsers, 0, 0); err != nil {
			return
		}
		for u := range st.Users() {
			out = userHeader(u).AppendTo(out)
		}
	})
	return out, err
}

func (c *session) createUser(ctx context.Context, userID uint32, q wire.CreateUserRequest) ([]byte, error) {
	if err := c.authorize(userID, metadata.ActionManageUsers, 0, 0); err != nil {
		return nil, err
	}
	if err := checkPassword(q.Password); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(q.Password)
	if err != nil {
		return nil, err
	}
	res, err := c.srv.submit(ctx, metadata.CreateUser{Username: q.Username, PasswordHash: hash,
		Status: metadata.UserStatus(q.Status), Permissions: q.Permissions, CreatedAtMicros: nowMicros()})
	if err != nil {
		return nil, err
	}
	var out []byte
	c.srv.meta.View(func(st *metadata.State) {
		if u := st.User(res.UserID); u != nil {
			out = userDetails(u).AppendTo(c.scratch[:0])
		}
	})
	return out, nil
}

func (c *session) deleteUser(ctx context.Context, userID uint32, q wire.DeleteUserRequest) ([]byte, error) {
	if err := c.authorize(userID, metadata.ActionManageUsers, 0, 0); err != nil {
		return nil, err
	}
	res, err := c.srv.submit(ctx, metadata.DeleteUser{User: q.UserID})
	if err != nil {
		return nil, err
	}
	c.srv.clients.forgetUser(res.UserID)
	return nil, nil
}

func (c *session) updateUser(ctx context.Context, userID uint32, q wire.UpdateUserRequest) ([]byte, error) {
	if err := c.authorize(userID, metadata.ActionManageUsers, 0, 0); err != nil {
		return nil, err
	}
	_, err := c.srv.submit(ctx, metadata.UpdateUser{User: q.UserID, Username: q.Username, Status: metadata.UserStatus(q.Status)})
	return nil, err
}

func (c *session) updatePermissions(ctx context.Context, userID uint32, q wire.UpdatePermissionsRequest) ([]byte, error) {
	if err := c.authorize(userID, metadata.ActionManageUsers, 0, 0); err != nil {
		return nil, err
	}
	_, err := c.srv.submit(ctx, metadata.UpdatePermissions{User: q.UserID, Permissions: q.Permissions})
	return nil, err
}

// changePassword needs the current password always, and manage_users when
// the target is someone else.
func (c *session) changePassword(ctx context.Context, userID uint32, q wire.ChangePasswordRequest) ([]byte, error) {
	var hash string
	var targetID uint32
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		var u *metadata.User
		if u, err = st.ResolveUser(q.UserID); err != nil {
			return
		}
		targetID, hash = u.ID, u.PasswordHash
		if u.ID != userID {
			err = authorizeIn(st, userID, metadata.ActionManageUsers, 0, 0)
		}
	})
	if err != nil {
		return nil, err
	}
	if err := checkPassword(q.NewPassword); err != nil {
		return nil, err
	}
	if !auth.VerifyPassword(hash, q.CurrentPassword) {
		return nil, wire.ErrInvalidCredentials.Detail("current password does not match")
	}
	newHash, err := auth.HashPassword(q.NewPassword)
	if err != nil {
		return nil, err
	}
	_, err = c.srv.submit(ctx, metadata.ChangePassword{User: wire.NumericID(targetID), PasswordHash: newHash})
	return nil, err
}

// getTokens lists the caller's tokens; none is an empty payload, as in Rust.
func (c *session) getTokens(userID uint32) ([]byte, error) {
	out := c.scratch[:0]
	c.srv.meta.View(func(st *metadata.State) {
		if u := st.User(userID); u != nil {
			for pat := range u.PATs() {
				out = wire.PatInfo{Name: pat.Name, ExpiryAtMicros: pat.ExpiryAtMicros}.AppendTo(out)
			}
		}
	})
	return out, nil
}

func (c *session) createToken(ctx context.Context, userID uint32, q wire.CreatePersonalAccessTokenRequest) ([]byte, error) {
	token, hash, err := auth.NewToken()
	if err != nil {
		return nil, err
	}
	var expiryAt uint64 // never
	if q.ExpiryMicros != wire.ExpiryServerDefault && q.ExpiryMicros != wire.ExpiryNever {
		now := nowMicros()
		expiryAt = now + q.ExpiryMicros
		if expiryAt < now { // saturate instead of wrapping into the past
			expiryAt = math.MaxUint64
		}
	}
	if _, err := c.srv.submit(ctx, metadata.CreatePAT{UserID: userID, Name: q.Name, TokenHash: hash, ExpiryAtMicros: expiryAt}); err != nil {
		return nil, err
	}
	return wire.RawPersonalAccessToken{Token: token}.AppendTo(c.scratch[:0]), nil
}

func (c *session) deleteToken(ctx context.Context, userID uint32, q wire.DeletePersonalAccessTokenRequest) ([]byte, error) {
	_, err := c.srv.submit(ctx, metadata.DeletePAT{UserID: userID, Name: q.Name})
	return nil, err
}
