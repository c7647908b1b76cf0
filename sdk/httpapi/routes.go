package httpapi

import (
	"net/http"
	"strings"

	"github.com/runnel-io/runnel/sdk/wire"
)

// Route is one endpoint of the API as both sides see it. The server
// attaches a handler to each; the client finds the route of a command by
// Code; the OpenAPI document is generated from the table.
type Route struct {
	Method string // GET, POST, PUT, DELETE
	// Path is in net/http pattern syntax: /streams/{stream_id}.
	Path    string
	Summary string
	Public  bool    // no bearer token needed
	Status  int     // success status
	Query   []Param // query parameters
	Body    any     // zero value of the JSON request body, nil for none
	Out     any     // zero value of the JSON answer; nil for none, a string for text
	// Code is the binary command the route carries (wire.CodeX), 0 for
	// routes of the HTTP layer only (the banner, token refresh).
	Code uint32
}

// Param is a documented query parameter.
type Param struct {
	Name, Kind, Doc string // kind: integer, string, boolean
	Required        bool
}

// Pattern is the route's net/http ServeMux pattern.
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Expand fills the route's path parameters, in order, with values
// (escaped as path segments).
func (r Route) Expand(values ...string) string {
	var b strings.Builder
	rest := r.Path
	for _, v := range values {
		open := strings.IndexByte(rest, '{')
		end := strings.IndexByte(rest, '}')
		if open < 0 || end < open {
			break
		}
		b.WriteString(rest[:open])
		b.WriteString(v)
		rest = rest[end+1:]
	}
	b.WriteString(rest)
	return strings.TrimSuffix(b.String(), "{$}")
}

// PollCountDefault is Iggy's DEFAULT_NUMBER_OF_MESSAGES_TO_POLL.
const PollCountDefault = 10

// Banner is the answer of GET /.
const Banner = "Runnel HTTP API (Iggy 0.8 compatible)"

// Routes is the whole table, in document order.
func Routes() []Route {
	var out []Route
	for _, group := range [][]Route{systemRoutes(), userRoutes(), streamRoutes(), messageRoutes()} {
		out = append(out, group...)
	}
	return out
}

// RouteOf returns the route carrying command code.
func RouteOf(code uint32) (Route, bool) {
	if code == 0 {
		return Route{}, false
	}
	for _, r := range Routes() {
		if r.Code == code {
			return r, true
		}
	}
	return Route{}, false
}

// RefreshRoute is POST /users/refresh-token, which carries no command.
func RefreshRoute() Route {
	for _, r := range userRoutes() {
		if r.Path == "/users/refresh-token" {
			return r
		}
	}
	panic("httpapi: the table lost the refresh route")
}

func systemRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/{$}", Summary: "Server banner", Public: true, Status: http.StatusOK, Out: ""},
		{Method: "GET", Path: "/ping", Summary: "Liveness", Public: true, Status: http.StatusOK, Out: "", Code: wire.CodePing},
		{Method: "GET", Path: "/stats", Summary: "Server statistics", Status: http.StatusOK, Out: Stats{}, Code: wire.CodeGetStats},
		{Method: "GET", Path: "/cluster/metadata", Summary: "Cluster metadata (this single node)", Status: http.StatusOK,
			Out: Cluster{}, Code: wire.CodeGetClusterMetadata},
		{Method: "GET", Path: "/clients", Summary: "List connected clients", Status: http.StatusOK, Out: []Client{},
			Code: wire.CodeGetClients},
		{Method: "GET", Path: "/clients/{client_id}", Summary: "Get one client", Status: http.StatusOK, Out: ClientDetails{},
			Code: wire.CodeGetClient},
		{Method: "GET", Path: "/me", Summary: "The caller's own client (Runnel addition)", Status: http.StatusOK,
			Out: ClientDetails{}, Code: wire.CodeGetMe},
	}
}

func userRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/users/login", Summary: "Log in with username and password; returns JWTs", Public: true,
			Status: http.StatusOK, Body: Login{}, Out: Identity{}, Code: wire.CodeLoginUser},
		{Method: "POST", Path: "/personal-access-tokens/login", Summary: "Log in with a personal access token; returns JWTs",
			Public: true, Status: http.StatusOK, Body: Token{}, Out: Identity{}, Code: wire.CodeLoginWithPersonalAccessToken},
		{Method: "POST", Path: "/users/refresh-token", Summary: "New access token for the session of a refresh token",
			Public: true, Status: http.StatusOK, Body: Token{}, Out: Identity{}},
		{Method: "DELETE", Path: "/users/logout", Summary: "Log out: revoke the session's tokens",
			Status: http.StatusNoContent, Code: wire.CodeLogoutUser},
		{Method: "GET", Path: "/users", Summary: "List users", Status: http.StatusOK, Out: []User{}, Code: wire.CodeGetUsers},
		{Method: "POST", Path: "/users", Summary: "Create a user", Status: http.StatusCreated,
			Body: CreateUser{}, Out: UserDetails{}, Code: wire.CodeCreateUser},
		{Method: "GET", Path: "/users/{user_id}", Summary: "Get a user with permissions", Status: http.StatusOK,
			Out: UserDetails{}, Code: wire.CodeGetUser},
		{Method: "PUT", Path: "/users/{user_id}", Summary: "Update username and/or status", Status: http.StatusNoContent,
			Body: UpdateUser{}, Code: wire.CodeUpdateUser},
		{Method: "DELETE", Path: "/users/{user_id}", Summary: "Delete a user", Status: http.StatusNoContent,
			Code: wire.CodeDeleteUser},
		{Method: "PUT", Path: "/users/{user_id}/permissions", Summary: "Replace a user's permissions",
			Status: http.StatusNoContent, Body: PermissionsBody{}, Code: wire.CodeUpdatePermissions},
		{Method: "PUT", Path: "/users/{user_id}/password", Summary: "Change a user's password", Status: http.StatusNoContent,
			Body: ChangePassword{}, Code: wire.CodeChangePassword},
		{Method: "GET", Path: "/personal-access-tokens", Summary: "List the caller's personal access tokens",
			Status: http.StatusOK, Out: []PAT{}, Code: wire.CodeGetPersonalAccessTokens},
		{Method: "POST", Path: "/personal-access-tokens", Summary: "Create a personal access token (shown once)",
			Status: http.StatusCreated, Body: CreatePAT{}, Out: Token{}, Code: wire.CodeCreatePersonalAccessToken},
		{Method: "DELETE", Path: "/personal-access-tokens/{name}", Summary: "Delete a personal access token",
			Status: http.StatusNoContent, Code: wire.CodeDeletePersonalAccessToken},
	}
}

// topicPath is the prefix of every topic route.
const topicPath = "/streams/{stream_id}/topics/{topic_id}"

func streamRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/streams", Summary: "List streams", Status: http.StatusOK, Out: []Stream{}, Code: wire.CodeGetStreams},
		{Method: "POST", Path: "/streams", Summary: "Create a stream (the server assigns its id)", Status: http.StatusCreated,
			Body: CreateStream{}, Out: Stream{}, Code: wire.CodeCreateStream},
		{Method: "GET", Path: "/streams/{stream_id}", Summary: "Get a stream with its topics", Status: http.StatusOK,
			Out: StreamDetails{}, Code: wire.CodeGetStream},
		{Method: "PUT", Path: "/streams/{stream_id}", Summary: "Rename a stream", Status: http.StatusNoContent,
			Body: Name{}, Code: wire.CodeUpdateStream},
		{Method: "DELETE", Path: "/streams/{stream_id}", Summary: "Delete a stream", Status: http.StatusNoContent,
			Code: wire.CodeDeleteStream},
		{Method: "DELETE", Path: "/streams/{stream_id}/purge", Summary: "Delete every message of a stream",
			Status: http.StatusNoContent, Code: wire.CodePurgeStream},
		{Method: "GET", Path: "/streams/{stream_id}/topics", Summary: "List a stream's topics", Status: http.StatusOK,
			Out: []Topic{}, Code: wire.CodeGetTopics},
		{Method: "POST", Path: "/streams/{stream_id}/topics", Summary: "Create a topic (the server assigns its id)",
			Status: http.StatusCreated, Body: CreateTopic{}, Out: TopicDetails{}, Code: wire.CodeCreateTopic},
		{Method: "GET", Path: topicPath, Summary: "Get a topic with its partitions", Status: http.StatusOK,
			Out: TopicDetails{}, Code: wire.CodeGetTopic},
		{Method: "PUT", Path: topicPath, Summary: "Update a topic", Status: http.StatusNoContent,
			Body: UpdateTopic{}, Code: wire.CodeUpdateTopic},
		{Method: "DELETE", Path: topicPath, Summary: "Delete a topic", Status: http.StatusNoContent, Code: wire.CodeDeleteTopic},
		{Method: "DELETE", Path: topicPath + "/purge", Summary: "Delete every message of a topic", Status: http.StatusNoContent,
			Code: wire.CodePurgeTopic},
		{Method: "POST", Path: topicPath + "/partitions", Summary: "Add partitions to a topic", Status: http.StatusCreated,
			Body: PartitionsCount{}, Code: wire.CodeCreatePartitions},
		{Method: "DELETE", Path: topicPath + "/partitions", Summary: "Remove the last partitions of a topic",
			Status: http.StatusNoContent, Code: wire.CodeDeletePartitions,
			Query: []Param{{Name: "partitions_count", Kind: "integer", Doc: "how many partitions to remove", Required: true}}},
		{Method: "DELETE", Path: topicPath + "/partitions/{partition_id}", Summary: "Delete the oldest segments of a partition",
			Status: http.StatusNoContent, Code: wire.CodeDeleteSegments,
			Query: []Param{{Name: "segments_count", Kind: "integer", Doc: "how many segments to delete", Required: true}}},
	}
}

// Query parameter names shared by several routes.
const (
	QueryConsumerID  = "consumer_id"
	QueryPartitionID = "partition_id"
)

func messageRoutes() []Route {
	consumer := Param{Name: QueryConsumerID, Kind: "string", Doc: "consumer id (number) or name; default 1"}
	partition := Param{Name: QueryPartitionID, Kind: "integer", Doc: "partition id; default 0"}
	return []Route{
		{Method: "GET", Path: topicPath + "/messages", Summary: "Poll messages (as a single consumer)", Status: http.StatusOK,
			Query: []Param{consumer, partition,
				{Name: "kind", Kind: "string", Doc: "polling strategy: offset (default), timestamp, first, last, next"},
				{Name: "value", Kind: "integer", Doc: "offset or timestamp (µs) for the strategy; default 0"},
				{Name: "count", Kind: "integer", Doc: "messages at most; default 10"},
				{Name: "auto_commit", Kind: "boolean", Doc: "store the offset of the last message polled"}},
			Out: PolledMessages{}, Code: wire.CodePollMessages},
		{Method: "POST", Path: topicPath + "/messages", Summary: "Send messages (payloads base64)", Status: http.StatusCreated,
			Body: SendMessages{}, Code: wire.CodeSendMessages},
		{Method: "GET", Path: topicPath + "/messages/flush/{partition_id}/{fsync}",
			Summary: "Flush a partition's unsaved messages to disk", Status: http.StatusOK, Code: wire.CodeFlushUnsavedBuffer},
		{Method: "GET", Path: topicPath + "/consumer-offsets", Summary: "Get a consumer's stored offset", Status: http.StatusOK,
			Query: []Param{consumer, partition}, Out: Offset{}, Code: wire.CodeGetConsumerOffset},
		{Method: "PUT", Path: topicPath + "/consumer-offsets", Summary: "Store a consumer's offset", Status: http.StatusNoContent,
			Body: StoreOffset{}, Code: wire.CodeStoreConsumerOffset},
		{Method: "DELETE", Path: topicPath + "/consumer-offsets/{consumer_id}", Summary: "Delete a consumer's stored offset",
			Status: http.StatusNoContent, Query: []Param{partition}, Code: wire.CodeDeleteConsumerOffset},
		{Method: "GET", Path: topicPath + "/consumer-groups", Summary: "List consumer groups", Status: http.StatusOK,
			Out: []Group{}, Code: wire.CodeGetConsumerGroups},
		{Method: "POST", Path: topicPath + "/consumer-groups", Summary: "Create a consumer group", Status: http.StatusCreated,
			Body: Name{}, Out: GroupDetails{}, Code: wire.CodeCreateConsumerGroup},
		{Method: "GET", Path: topicPath + "/consumer-groups/{group_id}", Summary: "Get a consumer group with its members",
			Status: http.StatusOK, Out: GroupDetails{}, Code: wire.CodeGetConsumerGroup},
		{Method: "DELETE", Path: topicPath + "/consumer-groups/{group_id}", Summary: "Delete a consumer group",
			Status: http.StatusNoContent, Code: wire.CodeDeleteConsumerGroup},
	}
}
