package wire

// GetPersonalAccessTokensRequest (code 41) has an empty payload; the answer
// is PatInfo* (empty when the user has none).
type GetPersonalAccessTokensRequest struct{}

func (GetPersonalAccessTokensRequest) Code() uint32             { return CodeGetPersonalAccessTokens }
func (GetPersonalAccessTokensRequest) AppendTo(b []byte) []byte { return b }

// CreatePersonalAccessTokenRequest (code 42). ExpiryMicros is a duration
// (ExpiryServerDefault, ExpiryNever or µs). Note the Go SDK writes its uint32
// expiry into the high half, so values from it read as expiry << 32.
type CreatePersonalAccessTokenRequest struct {
	Name         string
	ExpiryMicros uint64
}

func (CreatePersonalAccessTokenRequest) Code() uint32 { return CodeCreatePersonalAccessToken }

func (q CreatePersonalAccessTokenRequest) AppendTo(b []byte) []byte {
	b = appendStr8(b, q.Name)
	return appendU64(b, q.ExpiryMicros)
}

// DecodeCreatePersonalAccessTokenRequest decodes a CreatePersonalAccessToken payload.
func DecodeCreatePersonalAccessTokenRequest(p []byte) (CreatePersonalAccessTokenRequest, error) {
	return decodeRequest(p, func(r *reader) CreatePersonalAccessTokenRequest {
		return CreatePersonalAccessTokenRequest{Name: r.name("token name"), ExpiryMicros: r.u64("expiry")}
	})
}

// DeletePersonalAccessTokenRequest (code 43).
type DeletePersonalAccessTokenRequest struct {
	Name string
}

func (DeletePersonalAccessTokenRequest) Code() uint32 { return CodeDeletePersonalAccessToken }

func (q DeletePersonalAccessTokenRequest) AppendTo(b []byte) []byte { return appendStr8(b, q.Name) }

// DecodeDeletePersonalAccessTokenRequest decodes a DeletePersonalAccessToken payload.
func DecodeDeletePersonalAccessTokenRequest(p []byte) (DeletePersonalAccessTokenRequest, error) {
	return decodeRequest(p, func(r *reader) DeletePersonalAccessTokenRequest {
		return DeletePersonalAccessTokenRequest{Name: r.name("token name")}
	})
}

// LoginWithPersonalAccessTokenRequest (code 44), allowed unauthenticated.
type LoginWithPersonalAccessTokenRequest struct {
	Token string
}

func (LoginWithPersonalAccessTokenRequest) Code() uint32 { return CodeLoginWithPersonalAccessToken }

func (q LoginWithPersonalAccessTokenRequest) AppendTo(b []byte) []byte {
	return appendStr8(b, q.Token)
}

// DecodeLoginWithPersonalAccessTokenRequest decodes a LoginWithPersonalAccessToken payload.
func DecodeLoginWithPersonalAccessTokenRequest(p []byte) (LoginWithPersonalAccessTokenRequest, error) {
	return decodeRequest(p, func(r *reader) LoginWithPersonalAccessTokenRequest {
		return LoginWithPersonalAccessTokenRequest{Token: r.name("token")}
	})
}

// RawPersonalAccessToken is the CreatePersonalAccessToken answer: the secret,
// shown once.
type RawPersonalAccessToken struct {
	Token string
}

func (t RawPersonalAccessToken) AppendTo(b []byte) []byte { return appendStr8(b, t.Token) }

// DecodeRawPersonalAccessToken decodes a CreatePersonalAccessToken answer.
func DecodeRawPersonalAccessToken(p []byte) (RawPersonalAccessToken, error) {
	return decodeOne(p, "token", func(r *reader) RawPersonalAccessToken {
		return RawPersonalAccessToken{Token: r.rstr8("token")}
	})
}

// PatInfo is one token in GetPersonalAccessTokens. ExpiryAtMicros is an
// absolute time; 0 means it never expires.
type PatInfo struct {
	Name           string
	ExpiryAtMicros uint64
}

func (t PatInfo) AppendTo(b []byte) []byte {
	b = appendStr8(b, t.Name)
	return appendU64(b, t.ExpiryAtMicros)
}

// AppendPatInfos appends a GetPersonalAccessTokens answer.
func AppendPatInfos(b []byte, ts []PatInfo) []byte {
	for _, t := range ts {
		b = t.AppendTo(b)
	}
	return b
}

// DecodePatInfos decodes a GetPersonalAccessTokens answer.
func DecodePatInfos(p []byte) ([]PatInfo, error) {
	return decodeList(p, "personal access tokens", func(r *reader) PatInfo {
		return PatInfo{Name: r.rstr8("token name"), ExpiryAtMicros: r.u64("expiry at")}
	})
}
