package httptransport

import (
	"net/http"

	"github.com/runnel-io/runnel/sdk/wire"
)

// banner is the answer of GET /.
const banner = "Runnel HTTP API (Iggy 0.8 compatible)"

// systemRoutes: liveness, statistics, clients, cluster metadata.
func (t *Transport) systemRoutes() []route {
	return []route{
		{method: "GET", path: "/{$}", summary: "Server banner", public: true, status: http.StatusOK, out: "",
			serve: func(*call) (any, error) { return text(banner), nil }},
		{method: "GET", path: "/ping", summary: "Liveness", public: true, status: http.StatusOK, out: "",
			serve: func(*call) (any, error) { return text("pong"), nil }},
		{method: "GET", path: "/stats", summary: "Server statistics", status: http.StatusOK, out: statsJSON{},
			serve: func(c *call) (any, error) { return fetch(c, wire.GetStatsRequest{}, wire.DecodeStats, nil, statsOf) }},
		{method: "GET", path: "/cluster/metadata", summary: "Cluster metadata (this single node)", status: http.StatusOK, out: clusterJSON{},
			serve: func(c *call) (any, error) {
				return fetch(c, wire.GetClusterMetadataRequest{}, wire.DecodeClusterMetadata, nil, clusterOf)
			}},
		{method: "GET", path: "/clients", summary: "List connected clients", status: http.StatusOK, out: []clientJSON{},
			serve: func(c *call) (any, error) { return list(c, wire.GetClientsRequest{}, wire.DecodeClients, clientOf) }},
		{method: "GET", path: "/clients/{client_id}", summary: "Get one client", status: http.StatusOK, out: clientDetailsJSON{},
			serve: func(c *call) (any, error) {
				id, err := c.u32("client_id", 0, true)
				if err != nil {
					return nil, err
				}
				return fetch(c, wire.GetClientRequest{ClientID: id}, wire.DecodeClientDetails, wire.ErrClientNotFound.Detail("client %d", id), clientDetailsOf)
			}},
		{method: "GET", path: "/me", summary: "The caller's own client (Runnel addition)", status: http.StatusOK, out: clientDetailsJSON{},
			serve: func(c *call) (any, error) {
				return fetch(c, wire.GetMeRequest{}, wire.DecodeClientDetails, wire.ErrClientNotFound, clientDetailsOf)
			}},
	}
}
