// Package wire is the Iggy 0.8 binary protocol: request and response
// framing, the message frame layout, every command's payload codec and the
// error codes. The client SDK and the server share it, so both sides agree
// on every byte by construction.
//
// Requests: each command has a XRequest struct with AppendTo (client side)
// and DecodeXRequest (server side); DecodeRequest dispatches on the command
// code. SendMessages has its own validating decoder, DecodeSendMessages,
// which returns the messages section as a sub-slice of the payload.
//
// Responses: each answer type (StreamDetails, TopicDetails, Stats, ...) has
// AppendTo (server side) and a DecodeX function (client side); lists use
// AppendXs / DecodeXs. PollMessages answers are AppendPolledHeader followed
// by stored frames.
//
// Errors: every status is an *Error sentinel (ErrStreamIDNotFound, ...)
// matched with errors.Is; ErrorFromCode and StatusCode convert between
// codes and errors.
package wire
