package client

import (
	"context"

	"github.com/runnel-io/runnel/sdk/wire"
)

// GetUser returns a user by id or name; a missing user is
// wire.ErrResourceNotFound.
func (c *Client) GetUser(ctx context.Context, user wire.Identifier) (wire.UserDetails, error) {
	if err := checkIDs(user); err != nil {
		return wire.UserDetails{}, err
	}
	return call(ctx, c, wire.GetUserRequest{UserID: user}, wire.DecodeUserDetails, wire.ErrResourceNotFound)
}

// GetUsers lists all users.
func (c *Client) GetUsers(ctx context.Context) ([]wire.UserHeader, error) {
	return call(ctx, c, wire.GetUsersRequest{}, wire.DecodeUsers, nil)
}

// CreateUser creates a user; status is wire.UserActive or wire.UserInactive
// and nil permissions grant nothing.
func (c *Client) CreateUser(ctx context.Context, username, password string, status uint8, permissions *wire.Permissions) (wire.UserDetails, error) {
	if err := checkStr8(username, 1, wire.ErrInvalidUsername); err != nil {
		return wire.UserDetails{}, err
	}
	if err := checkStr8(password, 0, wire.ErrInvalidPassword); err != nil {
		return wire.UserDetails{}, err
	}
	q := wire.CreateUserRequest{Username: username, Password: password, Status: status, Permissions: permissions}
	return call(ctx, c, q, wire.DecodeUserDetails, nil)
}

// DeleteUser deletes a user.
func (c *Client) DeleteUser(ctx context.Context, user wire.Identifier) error {
	if err := checkIDs(user); err != nil {
		return err
	}
	return c.exec(ctx, wire.DeleteUserRequest{UserID: user})
}

// UpdateUser renames a user and/or changes its status; "" and 0 leave a
// field unchanged.
func (c *Client) UpdateUser(ctx context.Context, user wire.Identifier, username string, status uint8) error {
	if err := checkIDs(user); err != nil {
		return err
	}
	if err := checkStr8(username, 0, wire.ErrInvalidUsername); err != nil {
		return err
	}
	return c.exec(ctx, wire.UpdateUserRequest{UserID: user, Username: username, Status: status})
}

// UpdatePermissions replaces a user's permissions; nil removes them all.
func (c *Client) UpdatePermissions(ctx context.Context, user wire.Identifier, permissions *wire.Permissions) error {
	if err := checkIDs(user); err != nil {
		return err
	}
	return c.exec(ctx, wire.UpdatePermissionsRequest{UserID: user, Permissions: permissions})
}

// ChangePassword changes a user's password.
func (c *Client) ChangePassword(ctx context.Context, user wire.Identifier, current, next string) error {
	if err := checkIDs(user); err != nil {
		return err
	}
	for _, pw := range []string{current, next} {
		if err := checkStr8(pw, 0, wire.ErrInvalidPassword); err != nil {
			return err
		}
	}
	return c.exec(ctx, wire.ChangePasswordRequest{UserID: user, CurrentPassword: current, NewPassword: next})
}

// LoginUser authenticates this connection. The credentials are kept in
// memory so a reconnect can log in again.
func (c *Client) LoginUser(ctx context.Context, username, password string) (wire.Identity, error) {
	if err := checkStr8(username, 1, wire.ErrInvalidUsername); err != nil {
		return wire.Identity{}, err
	}
	if err := checkStr8(password, 0, wire.ErrInvalidPassword); err != nil {
		return wire.Identity{}, err
	}
	q := wire.LoginUserRequest{Username: username, Password: password, Version: wire.ProtocolVersion}
	return c.login(ctx, q)
}

// LogoutUser ends the session on this connection and forgets the
// credentials.
func (c *Client) LogoutUser(ctx context.Context) error {
	if err := c.exec(ctx, wire.LogoutUserRequest{}); err != nil {
		return err
	}
	c.mu.Lock()
	c.lastLogin = nil
	c.mu.Unlock()
	return nil
}

func (c *Client) login(ctx context.Context, q wire.Request) (wire.Identity, error) {
	id, err := call(ctx, c, q, wire.DecodeIdentity, nil)
	if err != nil {
		return wire.Identity{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastLogin = q
	if err := c.followLeader(ctx); err != nil {
		return wire.Identity{}, err
	}
	return id, nil
}
