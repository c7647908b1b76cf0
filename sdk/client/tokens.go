package client

import (
	"context"

	"github.com/runnel-io/runnel/sdk/wire"
)

// GetPersonalAccessTokens lists the caller's tokens (an empty list when
// there are none).
func (c *Client) GetPersonalAccessTokens(ctx context.Context) ([]wire.PatInfo, error) {
	return call(ctx, c, wire.GetPersonalAccessTokensRequest{}, wire.DecodePatInfos, nil)
}

// CreatePersonalAccessToken creates a token and returns its secret, which
// the server shows only once. expiryMicros is a duration:
// wire.ExpiryServerDefault, wire.ExpiryNever or a number of µs.
func (c *Client) CreatePersonalAccessToken(ctx context.Context, name string, expiryMicros uint64) (string, error) {
	if err := checkStr8(name, 1, wire.ErrInvalidPATName); err != nil {
		return "", err
	}
	q := wire.CreatePersonalAccessTokenRequest{Name: name, ExpiryMicros: expiryMicros}
	tok, err := call(ctx, c, q, wire.DecodeRawPersonalAccessToken, nil)
	return tok.Token, err
}

// DeletePersonalAccessToken deletes one of the caller's tokens.
func (c *Client) DeletePersonalAccessToken(ctx context.Context, name string) error {
	if err := checkStr8(name, 1, wire.ErrInvalidPATName); err != nil {
		return err
	}
	return c.exec(ctx, wire.DeletePersonalAccessTokenRequest{Name: name})
}

// LoginWithPersonalAccessToken authenticates this connection with a token,
// kept in memory for re-login after a reconnect.
func (c *Client) LoginWithPersonalAccessToken(ctx context.Context, token string) (wire.Identity, error) {
	if err := checkStr8(token, 1, wire.ErrInvalidPAT); err != nil {
		return wire.Identity{}, err
	}
	return c.login(ctx, wire.LoginWithPersonalAccessTokenRequest{Token: token})
}
