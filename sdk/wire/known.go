package wire

// KnownCommand reports whether code is a command this protocol defines, so
// a server can answer an unknown code with InvalidCommand even before login.
func KnownCommand(code uint32) bool {
	_, ok := requestDecoders(code)
	return ok
}
