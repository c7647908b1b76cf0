package vsr

// Command is the kind of a message.
type Command uint8

// Commands. Client-facing: Request, Reply. Everything else is between
// replicas.
const (
	CmdRequest               Command = iota + 1 // client → replica
	CmdReply                                    // replica → client
	CmdPrepare                                  // primary → backups (or relay)
	CmdPrepareOk                                // backup → primary, cumulative
	CmdCommit                                   // primary heartbeat with commit number
	CmdStartViewChange                          // broadcast
	CmdDoViewChange                             // → primary of the new view
	CmdStartView                                // new primary → all
	CmdRequestStartView                         // recovering or lagging replica → primary
	CmdRequestPrepare                           // repair: ask for op (and below) by checksum
	CmdRepair                                   // repair answer: prepares, verified by checksum
	CmdRequestSyncCheckpoint                    // lagging replica → peer: a chunk of its checkpoint
	CmdSyncCheckpoint                           // a chunk of a checkpoint (state transfer)
	CmdViewReport                               // → a recovering replica: the sender's view, echoing its Nonce
)

var commandNames = [...]string{"?", "request", "reply", "prepare", "prepare_ok", "commit",
	"start_view_change", "do_view_change", "start_view", "request_start_view", "request_prepare", "repair",
	"request_sync_checkpoint", "sync_checkpoint", "view_report"}

func (c Command) String() string {
	if int(c) < len(commandNames) {
		return commandNames[c]
	}
	return "?"
}

// ReplyStatus is the outcome carried by a Reply.
type ReplyStatus uint8

// Reply statuses.
const (
	ReplyOK      ReplyStatus = iota
	ReplyEvicted             // session unknown or evicted: register again
)

// Message is one protocol message. Only the fields of its Command are set.
// Messages, their prepares and bodies are immutable once handed out: the
// host may deliver the same pointer to several receivers.
type Message struct {
	Command Command
	Replica int    // sender replica index (unused for clients)
	View    uint64 // sender's view

	// Prepare, Repair.
	Prepares []*Prepare
	Ring     bool // relay along the ring

	// PrepareOk, Commit, RequestPrepare, DoViewChange, StartView (where
	// Op is the head and Checksum its identity).
	Op       uint64
	Commit   uint64
	Checksum Checksum

	// DoViewChange, StartView: log view and suffix headers (highest op
	// first). DoViewChange also describes the sender's journal slots from
	// Commit+1 on (Slots) and DiskTop, the highest op with any durable
	// record; slots past Slots are empty above DiskTop and unknown (never
	// a nack) below it.
	LogView  uint64
	Headers  []Header
	Anchor   uint64   // an executed (so committed) op of the sender...
	AnchorID Checksum // ...and its checksum: verifies the chain below gaps
	Slots    []SlotInfo
	DiskTop  uint64
	// RequestStartView from a recovering replica (NewRecovering), and
	// the ViewReport answering it: a number fresh for the asker's
	// incarnation, so a report sent before its disk was lost never counts.
	Nonce uint64

	// RequestSyncCheckpoint, SyncCheckpoint: a chunk of the checkpoint at
	// Op (Checksum: the id of op Op), Size bytes in all with checksum
	// SyncChecksum; Offset is where the chunk (Body) starts. Commit in
	// RequestPrepare and RequestSyncCheckpoint is the asker's executed op.
	Offset       uint64
	Size         uint64
	SyncChecksum Checksum

	// Request, Reply.
	Client    uint64
	Session   uint64
	Request   uint64
	Operation Operation
	Body      []byte
	Status    ReplyStatus
}

// Envelope addresses a message: to a replica index, or to a client.
type Envelope struct {
	ToClient bool
	To       int    // replica index when !ToClient
	Client   uint64 // client id when ToClient
	Msg      *Message
}
