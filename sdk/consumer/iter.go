package consumer

import (
	"context"
	"iter"
)

// Messages returns an iterator over the topic's messages. It polls with
// BatchMessagesMax, waits PollInterval after an empty poll, yields
// transient errors (and carries on if the loop does) and auto-commits as
// configured, counting a message delivered when it is yielded. When ctx
// ends it commits what auto-commit owes and stops; see the package comment
// for messages already fetched.
//
//	for msg, err := range c.Messages(ctx) {
//		if err != nil { log.Print(err); continue }
//		handle(msg)
//	}
func (k *Consumer) Messages(ctx context.Context) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		for {
			m, ok, err := k.next(ctx)
			if err != nil {
				if !yield(Message{}, err) || k.isClosed() {
					return
				}
				_ = sleep(ctx, k.cfg.PollInterval) // the next call sees ctx's end
				continue
			}
			if !ok {
				return
			}
			more := yield(m, nil)
			if err := k.afterMessage(ctx); err != nil && !yield(Message{}, err) {
				return
			}
			if !more {
				return
			}
		}
	}
}

// next returns the next message to deliver, polling as needed; ok is false
// when ctx ended (after the final commit).
func (k *Consumer) next(ctx context.Context) (Message, bool, error) {
	for {
		k.mu.Lock()
		if k.closed {
			k.mu.Unlock()
			return Message{}, false, ErrClosed
		}
		stopping := ctx.Err() != nil
		if len(k.pending) > 0 && (!stopping || k.serverCommits()) {
			m := k.pending[0]
			k.pending = k.pending[1:]
			k.track.deliver(m.Partition, m.Offset)
			k.mu.Unlock()
			return m, true, nil
		}
		if stopping {
			err := k.finalCommit(ctx)
			k.mu.Unlock()
			return Message{}, false, err
		}
		msgs, err := k.fetch(ctx)
		if err == nil && len(msgs) == 0 {
			err = k.autoCommit(ctx, eventIdle)
		}
		k.pending = msgs
		k.mu.Unlock()
		if err != nil {
			return Message{}, true, err
		}
		if len(msgs) == 0 {
			_ = sleep(ctx, k.cfg.PollInterval) // ctx's end is handled above
		}
	}
}

// finalCommit stores what auto-commit owes when the iterator stops. The
// caller holds mu.
func (k *Consumer) finalCommit(ctx context.Context) error {
	if !k.track.owesOnClose() {
		return nil
	}
	rctx, cancel := k.requestContext(ctx)
	defer cancel()
	return k.store(rctx, k.track.owed())
}

func (k *Consumer) afterMessage(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	return k.autoCommit(ctx, eventMessage)
}

func (k *Consumer) isClosed() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.closed
}
