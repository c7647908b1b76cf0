package wire

// GetUserRequest (code 31) asks for one user's UserDetails; an empty answer
// means "not found".
type GetUserRequest struct {
	UserID Identifier
}

func (GetUserRequest) Code() uint32 { return CodeGetUser }

func (q GetUserRequest) AppendTo(b []byte) []byte { return AppendIdentifier(b, q.UserID) }

// DecodeGetUserRequest decodes a GetUser payload.
func DecodeGetUserRequest(p []byte) (GetUserRequest, error) {
	return decodeRequest(p, func(r *reader) GetUserRequest {
		return GetUserRequest{UserID: r.identifier("user id")}
	})
}

// GetUsersRequest (code 32) has an empty payload; the answer is UserHeader*.
type GetUsersRequest struct{}

func (GetUsersRequest) Code() uint32             { return CodeGetUsers }
func (GetUsersRequest) AppendTo(b []byte) []byte { return b }

// CreateUserRequest (code 33). Username is a Name (1..255 on the wire; the
// handler wants 3..50), Password a plain str8 (handler: 3..100), Status
// UserActive or UserInactive. Permissions nil means none at all.
type CreateUserRequest struct {
	Username    string
	Password    string
	Status      uint8
	Permissions *Permissions
}

func (CreateUserRequest) Code() uint32 { return CodeCreateUser }

func (q CreateUserRequest) AppendTo(b []byte) []byte {
	b = appendStr8(b, q.Username)
	b = appendStr8(b, q.Password)
	b = append(b, q.Status)
	return appendPermissionsField(b, q.Permissions)
}

// DecodeCreateUserRequest decodes a CreateUser payload.
func DecodeCreateUserRequest(p []byte) (CreateUserRequest, error) {
	return decodeRequest(p, func(r *reader) CreateUserRequest {
		return CreateUserRequest{
			Username:    r.name("username"),
			Password:    r.str8("password"),
			Status:      r.userStatus(),
			Permissions: r.permissionsField(),
		}
	})
}

// DeleteUserRequest (code 34).
type DeleteUserRequest struct {
	UserID Identifier
}

func (DeleteUserRequest) Code() uint32 { return CodeDeleteUser }

func (q DeleteUserRequest) AppendTo(b []byte) []byte { return AppendIdentifier(b, q.UserID) }

// DecodeDeleteUserRequest decodes a DeleteUser payload.
func DecodeDeleteUserRequest(p []byte) (DeleteUserRequest, error) {
	return decodeRequest(p, func(r *reader) DeleteUserRequest {
		return DeleteUserRequest{UserID: r.identifier("user id")}
	})
}

// UpdateUserRequest (code 35). An empty Username and a zero Status mean
// "unchanged": the wire forms cannot carry an empty name or status 0, so
// nothing is lost. The Go SDK's extra trailing zero byte is tolerated.
type UpdateUserRequest struct {
	UserID   Identifier
	Username string
	Status   uint8
}

func (UpdateUserRequest) Code() uint32 { return CodeUpdateUser }

func (q UpdateUserRequest) AppendTo(b []byte) []byte {
	b = AppendIdentifier(b, q.UserID)
	if q.Username == "" {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = appendStr8(b, q.Username)
	}
	if q.Status == 0 {
		return append(b, 0)
	}
	return append(b, 1, q.Status)
}

// DecodeUpdateUserRequest decodes an UpdateUser payload.
func DecodeUpdateUserRequest(p []byte) (UpdateUserRequest, error) {
	return decodeRequest(p, func(r *reader) UpdateUserRequest {
		q := UpdateUserRequest{UserID: r.identifier("user id")}
		if r.flag("has username") {
			q.Username = r.name("username")
		}
		if r.flag("has status") {
			q.Status = r.userStatus()
		}
		return q
	})
}

// UpdatePermissionsRequest (code 36). Nil Permissions clears them all.
type UpdatePermissionsRequest struct {
	UserID      Identifier
	Permissions *Permissions
}

func (UpdatePermissionsRequest) Code() uint32 { return CodeUpdatePermissions }

func (q UpdatePermissionsRequest) AppendTo(b []byte) []byte {
	b = AppendIdentifier(b, q.UserID)
	return appendPermissionsField(b, q.Permissions)
}

// DecodeUpdatePermissionsRequest decodes an UpdatePermissions payload.
func DecodeUpdatePermissionsRequest(p []byte) (UpdatePermissionsRequest, error) {
	return decodeRequest(p, func(r *reader) UpdatePermissionsRequest {
		return UpdatePermissionsRequest{UserID: r.identifier("user id"), Permissions: r.permissionsField()}
	})
}

// ChangePasswordRequest (code 37). Both passwords are plain str8; the
// handler checks 3..100.
type ChangePasswordRequest struct {
	UserID          Identifier
	CurrentPassword string
	NewPassword     string
}

func (ChangePasswordRequest) Code() uint32 { return CodeChangePassword }

func (q ChangePasswordRequest) AppendTo(b []byte) []byte {
	b = AppendIdentifier(b, q.UserID)
	b = appendStr8(b, q.CurrentPassword)
	return appendStr8(b, q.NewPassword)
}

// DecodeChangePasswordRequest decodes a ChangePassword payload.
func DecodeChangePasswordRequest(p []byte) (ChangePasswordRequest, error) {
	return decodeRequest(p, func(r *reader) ChangePasswordRequest {
		return ChangePasswordRequest{
			UserID:          r.identifier("user id"),
			CurrentPassword: r.str8("current password"),
			NewPassword:     r.str8("new password"),
		}
	})
}

// ProtocolVersion is what the Iggy 0.8 SDK sends in LoginUser.
const ProtocolVersion = "0.8.0"

// LoginUserRequest (code 38). Version and Context are informational; the
// server ignores them. A payload that ends after the password is accepted
// with both empty.
type LoginUserRequest struct {
	Username string
	Password string
	Version  string
	Context  string
}

func (LoginUserRequest) Code() uint32 { return CodeLoginUser }

func (q LoginUserRequest) AppendTo(b []byte) []byte {
	b = appendStr8(b, q.Username)
	b = appendStr8(b, q.Password)
	b = appendStr32(b, q.Version)
	return appendStr32(b, q.Context)
}

// DecodeLoginUserRequest decodes a LoginUser payload.
func DecodeLoginUserRequest(p []byte) (LoginUserRequest, error) {
	return decodeRequest(p, func(r *reader) LoginUserRequest {
		q := LoginUserRequest{Username: r.name("username"), Password: r.str8("password")}
		if r.err == nil && r.remaining() > 0 {
			q.Version = r.str32("version")
		}
		if r.err == nil && r.remaining() > 0 {
			q.Context = r.str32("context")
		}
		return q
	})
}

// LogoutUserRequest (code 39) has an empty payload.
type LogoutUserRequest struct{}

func (LogoutUserRequest) Code() uint32             { return CodeLogoutUser }
func (LogoutUserRequest) AppendTo(b []byte) []byte { return b }

// Identity is the LoginUser / LoginWithPersonalAccessToken answer.
type Identity struct {
	UserID uint32
}

func (i Identity) AppendTo(b []byte) []byte { return appendU32(b, i.UserID) }

// DecodeIdentity decodes a login answer.
func DecodeIdentity(p []byte) (Identity, error) {
	return decodeOne(p, "identity", func(r *reader) Identity { return Identity{UserID: r.u32("user id")} })
}

// UserHeader is one user in GetUsers and the start of UserDetails.
type UserHeader struct {
	ID              uint32
	CreatedAtMicros uint64
	Status          uint8
	Username        string
}

func (u UserHeader) AppendTo(b []byte) []byte {
	b = appendU32(b, u.ID)
	b = appendU64(b, u.CreatedAtMicros)
	b = append(b, u.Status)
	return appendStr8(b, u.Username)
}

func (r *reader) userHeader() UserHeader {
	return UserHeader{ID: r.u32("user id"), CreatedAtMicros: r.u64("created at"), Status: r.u8("status"),
		Username: r.rstr8("username")}
}

// AppendUsers appends a GetUsers answer.
func AppendUsers(b []byte, us []UserHeader) []byte {
	for _, u := range us {
		b = u.AppendTo(b)
	}
	return b
}

// DecodeUsers decodes a GetUsers answer.
func DecodeUsers(p []byte) ([]UserHeader, error) {
	return decodeList(p, "users", (*reader).userHeader)
}

// UserDetails is the GetUser / CreateUser answer.
type UserDetails struct {
	UserHeader
	Permissions *Permissions
}

// AppendTo writes the header, then 01 + u32 length + block, or four zero
// bytes when the user has no permissions (as Rust does).
func (u UserDetails) AppendTo(b []byte) []byte {
	b = u.UserHeader.AppendTo(b)
	if u.Permissions == nil {
		return appendU32(b, 0)
	}
	return appendPermissionsField(b, u.Permissions)
}

// DecodeUserDetails decodes a GetUser / CreateUser answer.
func DecodeUserDetails(p []byte) (UserDetails, error) {
	return decodeOne(p, "user", func(r *reader) UserDetails {
		u := UserDetails{UserHeader: r.userHeader()}
		if r.err != nil || r.remaining() == 0 || r.u8("has permissions") != 1 {
			return u
		}
		block := r.take(int(r.u32("permissions length")), "permissions")
		if r.err != nil {
			return u
		}
		perms, err := DecodePermissions(block)
		if err != nil {
			r.fail(err)
		}
		u.Permissions = perms
		return u
	})
}
