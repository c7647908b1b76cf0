package metadata

import (
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/runnel-io/runnel/sdk/wire"
)

// RootUserID is the user created on first boot. It cannot be deleted (48)
// and its permissions cannot be changed (49).
const RootUserID uint32 = 0

func checkUsername(name string) error {
	if len(name) < usernameBytesMin || len(name) > usernameBytesMax || !utf8.ValidString(name) {
		return wire.ErrInvalidUsername.Detail("metadata: username must be %d..%d bytes, got %d",
			usernameBytesMin, usernameBytesMax, len(name))
	}
	return nil
}

func checkStatus(st UserStatus) error {
	if st != UserActive && st != UserInactive {
		return wire.ErrInvalidCommand.Detail("metadata: user status %d is not 1 (active) or 2 (inactive)", st)
	}
	return nil
}

func checkHash(h, what string) error {
	if len(h) == 0 || len(h) > hashBytesMax {
		return wire.ErrInvalidCommand.Detail("metadata: %s hash must be 1..%d bytes, got %d", what, hashBytesMax, len(h))
	}
	return nil
}

func (s *State) createUser(op CreateUser) (Result, error) {
	if err := checkUsername(op.Username); err != nil {
		return Result{}, err
	}
	if err := checkHash(op.PasswordHash, "password"); err != nil {
		return Result{}, err
	}
	if err := checkStatus(op.Status); err != nil {
		return Result{}, err
	}
	if _, dup := s.userNames[op.Username]; dup {
		return Result{}, wire.ErrUserAlreadyExists.Detail("metadata: user %q already exists", op.Username)
	}
	if s.users.len() >= int(s.cfg.UsersMax) {
		return Result{}, wire.ErrUsersLimitReached.Detail("metadata: limit of %d users reached", s.cfg.UsersMax)
	}
	u := &User{ID: s.users.nextID(), Username: op.Username, PasswordHash: op.PasswordHash, Status: op.Status,
		Permissions: ClonePermissions(op.Permissions), CreatedAtMicros: op.CreatedAtMicros}
	s.users.insert(u)
	s.userNames[u.Username] = u.ID
	return Result{UserID: u.ID}, nil
}

func (s *State) updateUser(op UpdateUser) (Result, error) {
	if op.Username != "" {
		if err := checkUsername(op.Username); err != nil {
			return Result{}, err
		}
	}
	if op.Status != 0 {
		if err := checkStatus(op.Status); err != nil {
			return Result{}, err
		}
	}
	u, err := s.ResolveUser(op.User)
	if err != nil {
		return Result{}, err
	}
	if other, dup := s.userNames[op.Username]; op.Username != "" && dup && other != u.ID {
		return Result{}, wire.ErrUserAlreadyExists.Detail("metadata: user %q already exists", op.Username)
	}
	if op.Username != "" {
		delete(s.userNames, u.Username)
		u.Username = op.Username
		s.userNames[u.Username] = u.ID
	}
	if op.Status != 0 {
		u.Status = op.Status
	}
	return Result{UserID: u.ID}, nil
}

func (s *State) updatePermissions(op UpdatePermissions) (Result, error) {
	u, err := s.ResolveUser(op.User)
	if err != nil {
		return Result{}, err
	}
	if u.ID == RootUserID {
		return Result{}, wire.ErrCannotChangePermissions.Detail("metadata: the root user's permissions are fixed")
	}
	u.Permissions = ClonePermissions(op.Permissions)
	return Result{UserID: u.ID}, nil
}

func (s *State) changePassword(op ChangePassword) (Result, error) {
	if err := checkHash(op.PasswordHash, "password"); err != nil {
		return Result{}, err
	}
	u, err := s.ResolveUser(op.User)
	if err != nil {
		return Result{}, err
	}
	u.PasswordHash = op.PasswordHash
	return Result{UserID: u.ID}, nil
}

func (s *State) deleteUser(op DeleteUser) (Result, error) {
	u, err := s.ResolveUser(op.User)
	if err != nil {
		return Result{}, err
	}
	if u.ID == RootUserID {
		return Result{}, wire.ErrCannotDeleteUser.Detail("metadata: the root user cannot be deleted")
	}
	for _, p := range u.pats {
		delete(s.patHashes, p.TokenHash)
	}
	delete(s.userNames, u.Username)
	s.users.remove(u.ID)
	return Result{UserID: u.ID}, nil
}

func (s *State) createPAT(op CreatePAT) (Result, error) {
	if err := checkName(op.Name, patNameBytesMin, patNameBytesMax, wire.ErrInvalidPATName, "personal access token"); err != nil {
		return Result{}, err
	}
	if err := checkHash(op.TokenHash, "token"); err != nil {
		return Result{}, err
	}
	u := s.users.get(op.UserID)
	if u == nil {
		return Result{}, wire.ErrResourceNotFound.Detail("metadata: user %d not found", op.UserID)
	}
	if u.pat(op.Name) != nil {
		return Result{}, wire.ErrPATAlreadyExists.Detail("metadata: user %d already has a token %q", u.ID, op.Name)
	}
	if _, dup := s.patHashes[op.TokenHash]; dup {
		return Result{}, wire.ErrPATAlreadyExists.Detail("metadata: token hash already in use")
	}
	if len(u.pats) >= int(s.cfg.PATsPerUserMax) {
		return Result{}, wire.ErrPATLimitReached.Detail("metadata: user %d has %d tokens, the limit", u.ID, len(u.pats))
	}
	u.pats = append(u.pats, &PAT{Name: op.Name, TokenHash: op.TokenHash, ExpiryAtMicros: op.ExpiryAtMicros})
	s.patHashes[op.TokenHash] = patRef{userID: u.ID, name: op.Name}
	return Result{UserID: u.ID}, nil
}

func (s *State) deletePAT(op DeletePAT) (Result, error) {
	u := s.users.get(op.UserID)
	if u == nil {
		return Result{}, wire.ErrResourceNotFound.Detail("metadata: user %d not found", op.UserID)
	}
	i := slices.IndexFunc(u.pats, func(p *PAT) bool { return p.Name == op.Name })
	if i < 0 {
		return Result{}, wire.ErrResourceNotFound.Detail("metadata: user %d has no token %q", u.ID, op.Name)
	}
	delete(s.patHashes, u.pats[i].TokenHash)
	u.pats = slices.Delete(u.pats, i, i+1)
	return Result{UserID: u.ID}, nil
}

func (s *State) deleteExpiredPATs(op DeleteExpiredPATs) {
	for u := range s.users.all() {
		u.pats = slices.DeleteFunc(u.pats, func(p *PAT) bool {
			expired := p.ExpiryAtMicros != 0 && p.ExpiryAtMicros <= op.NowMicros
			if expired {
				delete(s.patHashes, p.TokenHash)
			}
			return expired
		})
	}
}

// ClonePermissions deep-copies p, so the state never shares maps with an
// op or a caller.
func ClonePermissions(p *wire.Permissions) *wire.Permissions {
	if p == nil {
		return nil
	}
	c := &wire.Permissions{Global: p.Global}
	if len(p.Streams) > 0 {
		c.Streams = make(map[uint32]wire.StreamPermissions, len(p.Streams))
		for id, sp := range p.Streams {
			if len(sp.Topics) > 0 {
				sp.Topics = maps.Clone(sp.Topics)
			} else {
				sp.Topics = nil
			}
			c.Streams[id] = sp
		}
	}
	return c
}
