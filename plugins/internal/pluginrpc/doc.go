// Package pluginrpc is the wire between the host and an external plugin
// bundle: the go-plugin handshake and plugin sets, and the gRPC adapters
// that make a remote implementation satisfy the same Go interface as a
// built-in one (archiver.Archiver, storage.Store, transport.Transport).
//
// There is no protoc in the build, so the gRPC services are described by
// hand (grpc.ServiceDesc with handler funcs, see service.go) and every
// message is a pre-generated well-known type, wrapperspb.BytesValue. That
// keeps gRPC's default proto codec (go-plugin's own services — health,
// broker, stdio, controller — share the server, so a forced custom codec
// would have to special-case them) while the payload inside is ours:
//
//   - control messages (requests, replies, ObjectInfo lists) are JSON in
//     the BytesValue: small, rare, easy to evolve by adding fields;
//   - bulk bytes are the BytesValue itself, raw, in chunks of at most
//     ChunkBytesMax (1 MiB) on client- or server-streaming calls, so no
//     message comes near gRPC's 4 MiB default limit and no object needs
//     to fit in memory.
//
// Errors cross as gRPC status codes plus a detail naming the sentinel
// ("archiver.not_found"); the client rebuilds an error whose text is the
// plugin's message and which unwraps to the same sentinel, so errors.Is
// holds on both sides. A dead connection becomes ErrUnavailable; a
// cancelled or expired context becomes context.Canceled or
// context.DeadlineExceeded. gRPC carries the caller's context to the
// plugin, so cancelling it cancels the remote call.
//
// Storage is the hot path, so its bytes never travel in gRPC: the host
// creates a shared memory region (a memfd, mapped by both processes) and
// a SOCK_SEQPACKET socket pair, and the child inherits both through
// exec.Cmd.ExtraFiles (descriptors 3 and 4). Append, ReadAt and Sync are
// fixed-size request and completion packets on that socket naming spans
// of the region (datapath.go); a call larger than a slot is pipelined
// slot by slot, so the host copies the next slot while the plugin writes
// the previous one. gRPC carries the rest (Configure, Open, Segments,
// Truncate, ...). The socket is private to the two processes, so it needs
// no TLS. Requests on the data path do not carry the caller's context to
// the plugin: a cancelled call returns at once, and the slots it used are
// never reused (the plugin may still be writing them).
//
// A transport runs in the plugin and calls the host back: the host
// serves runnel.plugin.v1.TransportHost on a go-plugin broker connection
// (TransportClient.Serve), and the plugin's transport gets a stub Handler
// that opens one bidirectional Conn stream per client connection, with
// the connection's context. Connect is the stream's first message (a
// refusal is the stream's error status), each Handle one request frame
// and one response frame (binary, see transport_service.go), and
// Disconnected the plugin's CloseSend, answered when the host's
// Disconnected has returned. Per-connection order is the stream's order;
// cancelling the connection's context in the plugin cancels the stream,
// which cancels the host's Handle ctx. Serve and Close are streams too,
// so their ends can be signalled (CloseSend, a "force" message) rather
// than cancelled: the plugin drains and reports, and the host waits.
//
// Bump ProtocolVersion on any incompatible change to a service here.
package pluginrpc
