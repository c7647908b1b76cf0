package metadata

import "fmt"

// opVersion is the first byte of every encoded op. Bump it when a field
// changes; DecodeOp then still reads the old layout or refuses it clearly.
const opVersion = 1

// AppendOp appends op's binary form: version u8, op code u8, then the
// fields little-endian (strings u32-length-prefixed). The result is
// self-contained: DecodeOp needs nothing else.
func AppendOp(b []byte, op Op) []byte {
	b = append(b, opVersion, uint8(op.opCode()))
	switch op := op.(type) {
	case CreateStream:
		b = appendStr(b, op.Name)
		return appendU64(b, op.CreatedAtMicros)
	case UpdateStream:
		return appendStr(appendIdentifier(b, op.Stream), op.Name)
	case DeleteStream:
		return appendIdentifier(b, op.Stream)
	case PurgeStream:
		return appendIdentifier(b, op.Stream)
	case CreateTopic:
		b = appendStr(appendIdentifier(b, op.Stream), op.Name)
		b = append(appendU32(b, op.PartitionsCount), op.Compression)
		b = appendU64(appendU64(b, op.MessageExpiryMicros), op.SizeBytesMax)
		return appendU64(append(b, op.ReplicationFactor), op.CreatedAtMicros)
	case UpdateTopic:
		b = appendStr(appendIdentifier(appendIdentifier(b, op.Stream), op.Topic), op.Name)
		b = appendU64(appendU64(append(b, op.Compression), op.MessageExpiryMicros), op.SizeBytesMax)
		return append(b, op.ReplicationFactor)
	case DeleteTopic:
		return appendIdentifier(appendIdentifier(b, op.Stream), op.Topic)
	case PurgeTopic:
		return appendIdentifier(appendIdentifier(b, op.Stream), op.Topic)
	case CreatePartitions:
		b = appendU32(appendIdentifier(appendIdentifier(b, op.Stream), op.Topic), op.Count)
		return appendU64(b, op.CreatedAtMicros)
	case DeletePartitions:
		return appendU32(appendIdentifier(appendIdentifier(b, op.Stream), op.Topic), op.Count)
	case CreateConsumerGroup:
		return appendStr(appendIdentifier(appendIdentifier(b, op.Stream), op.Topic), op.Name)
	case DeleteConsumerGroup:
		return appendIdentifier(appendIdentifier(appendIdentifier(b, op.Stream), op.Topic), op.Group)
	case StoreConsumerOffset:
		b = appendU32(appendIdentifier(appendIdentifier(b, op.Stream), op.Topic), op.PartitionID)
		return appendU64(appendU32(append(b, uint8(op.Kind)), op.ConsumerID), op.Offset)
	case DeleteConsumerOffset:
		b = appendU32(appendIdentifier(appendIdentifier(b, op.Stream), op.Topic), op.PartitionID)
		return appendU32(append(b, uint8(op.Kind)), op.ConsumerID)
	}
	return appendUserOp(b, op)
}

func appendUserOp(b []byte, op Op) []byte {
	switch op := op.(type) {
	case CreateUser:
		b = appendStr(appendStr(b, op.Username), op.PasswordHash)
		b = appendPermissions(append(b, uint8(op.Status)), op.Permissions)
		return appendU64(b, op.CreatedAtMicros)
	case UpdateUser:
		return append(appendStr(appendIdentifier(b, op.User), op.Username), uint8(op.Status))
	case UpdatePermissions:
		return appendPermissions(appendIdentifier(b, op.User), op.Permissions)
	case ChangePassword:
		return appendStr(appendIdentifier(b, op.User), op.PasswordHash)
	case DeleteUser:
		return appendIdentifier(b, op.User)
	case CreatePAT:
		b = appendStr(appendStr(appendU32(b, op.UserID), op.Name), op.TokenHash)
		return appendU64(b, op.ExpiryAtMicros)
	case DeletePAT:
		return appendStr(appendU32(b, op.UserID), op.Name)
	case DeleteExpiredPATs:
		return appendU64(b, op.NowMicros)
	}
	panic(fmt.Sprintf("metadata: AppendOp: unhandled op %T", op)) // the Op set is closed
}

// DecodeOp parses one op written by AppendOp. It accepts only the exact
// bytes AppendOp produces and wraps ErrCorrupt on anything else.
func DecodeOp(b []byte) (Op, error) {
	d := &decoder{b: b}
	if v := d.u8(); v != opVersion {
		d.fail("op version %d, want %d", v, opVersion)
		return nil, d.err
	}
	code := opCode(d.u8())
	op := d.op(code)
	if op == nil {
		op = d.userOp(code)
	}
	if op == nil && d.err == nil {
		d.fail("unknown op code %d", code)
	}
	if err := d.end(); err != nil {
		return nil, fmt.Errorf("metadata: decode op %d: %w", code, err)
	}
	return op, nil
}

func (d *decoder) op(code opCode) Op {
	switch code {
	case codeCreateStream:
		return CreateStream{Name: d.str(), CreatedAtMicros: d.u64()}
	case codeUpdateStream:
		return UpdateStream{Stream: d.identifier(), Name: d.str()}
	case codeDeleteStream:
		return DeleteStream{Stream: d.identifier()}
	case codePurgeStream:
		return PurgeStream{Stream: d.identifier()}
	case codeCreateTopic:
		return CreateTopic{Stream: d.identifier(), Name: d.str(), PartitionsCount: d.u32(), Compression: d.u8(),
			MessageExpiryMicros: d.u64(), SizeBytesMax: d.u64(), ReplicationFactor: d.u8(), CreatedAtMicros: d.u64()}
	case codeUpdateTopic:
		return UpdateTopic{Stream: d.identifier(), Topic: d.identifier(), Name: d.str(), Compression: d.u8(),
			MessageExpiryMicros: d.u64(), SizeBytesMax: d.u64(), ReplicationFactor: d.u8()}
	case codeDeleteTopic:
		return DeleteTopic{Stream: d.identifier(), Topic: d.identifier()}
	case codePurgeTopic:
		return PurgeTopic{Stream: d.identifier(), Topic: d.identifier()}
	case codeCreatePartitions:
		return CreatePartitions{Stream: d.identifier(), Topic: d.identifier(), Count: d.u32(), CreatedAtMicros: d.u64()}
	case codeDeletePartitions:
		return DeletePartitions{Stream: d.identifier(), Topic: d.identifier(), Count: d.u32()}
	case codeCreateConsumerGroup:
		return CreateConsumerGroup{Stream: d.identifier(), Topic: d.identifier(), Name: d.str()}
	case codeDeleteConsumerGroup:
		return DeleteConsumerGroup{Stream: d.identifier(), Topic: d.identifier(), Group: d.identifier()}
	case codeStoreConsumerOffset:
		return StoreConsumerOffset{Stream: d.identifier(), Topic: d.identifier(), PartitionID: d.u32(),
			Kind: ConsumerKind(d.u8()), ConsumerID: d.u32(), Offset: d.u64()}
	case codeDeleteConsumerOffset:
		return DeleteConsumerOffset{Stream: d.identifier(), Topic: d.identifier(), PartitionID: d.u32(),
			Kind: ConsumerKind(d.u8()), ConsumerID: d.u32()}
	}
	return nil
}

func (d *decoder) userOp(code opCode) Op {
	switch code {
	case codeCreateUser:
		return CreateUser{Username: d.str(), PasswordHash: d.str(), Status: UserStatus(d.u8()),
			Permissions: d.permissions(), CreatedAtMicros: d.u64()}
	case codeUpdateUser:
		return UpdateUser{User: d.identifier(), Username: d.str(), Status: UserStatus(d.u8())}
	case codeUpdatePermissions:
		return UpdatePermissions{User: d.identifier(), Permissions: d.permissions()}
	case codeChangePassword:
		return ChangePassword{User: d.identifier(), PasswordHash: d.str()}
	case codeDeleteUser:
		return DeleteUser{User: d.identifier()}
	case codeCreatePAT:
		return CreatePAT{UserID: d.u32(), Name: d.str(), TokenHash: d.str(), ExpiryAtMicros: d.u64()}
	case codeDeletePAT:
		return DeletePAT{UserID: d.u32(), Name: d.str()}
	case codeDeleteExpiredPATs:
		return DeleteExpiredPATs{NowMicros: d.u64()}
	}
	return nil
}
