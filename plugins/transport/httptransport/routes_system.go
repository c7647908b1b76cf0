package httptransport

import (
	"github.com/runnel-io/runnel/sdk/httpapi"
	"github.com/runnel-io/runnel/sdk/wire"
)

// systemHandler serves liveness, statistics, clients, cluster metadata.
func (t *Transport) systemHandler(code uint32) func(*call) (any, error) {
	switch code {
	case wire.CodePing:
		return func(*call) (any, error) { return text("pong"), nil }
	case wire.CodeGetStats:
		return func(c *call) (any, error) {
			return fetch(c, wire.GetStatsRequest{}, wire.DecodeStats, nil, httpapi.StatsOf)
		}
	case wire.CodeGetClusterMetadata:
		return func(c *call) (any, error) {
			return fetch(c, wire.GetClusterMetadataRequest{}, wire.DecodeClusterMetadata, nil, httpapi.ClusterOf)
		}
	case wire.CodeGetClients:
		return func(c *call) (any, error) {
			return list(c, wire.GetClientsRequest{}, wire.DecodeClients, httpapi.ClientOf)
		}
	case wire.CodeGetClient:
		return getClient
	case wire.CodeGetMe:
		return func(c *call) (any, error) {
			return fetch(c, wire.GetMeRequest{}, wire.DecodeClientDetails, wire.ErrClientNotFound, httpapi.ClientDetailsOf)
		}
	}
	return nil
}

func getClient(c *call) (any, error) {
	id, err := c.u32("client_id", 0, true)
	if err != nil {
		return nil, err
	}
	return fetch(c, wire.GetClientRequest{ClientID: id}, wire.DecodeClientDetails,
		wire.ErrClientNotFound.Detail("client %d", id), httpapi.ClientDetailsOf)
}
