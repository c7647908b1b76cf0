// Command consumer reads a topic as a single consumer: every partition in
// turn from the first message, committing after each poll, until it has
// --count messages or is interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/consumer"
	"github.com/runnel-io/runnel/sdk/wire"
)

func main() {
	address := flag.String("address", env("RUNNEL_ADDRESS", "127.0.0.1:8090"), "server host:port")
	username := flag.String("username", env("RUNNEL_USERNAME", "iggy"), "user name")
	password := flag.String("password", env("RUNNEL_PASSWORD", "iggy"), "password")
	stream := flag.String("stream", "example", "stream name")
	topic := flag.String("topic", "orders", "topic name")
	name := flag.String("name", "example-consumer", "consumer name (offsets are stored under it)")
	count := flag.Int("count", 0, "stop after this many messages (0: run until interrupted)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *address, *username, *password, *stream, *topic, *name, *count); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, address, username, password, stream, topic, name string, count int) error {
	c, err := client.Dial(ctx, address)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.LoginUser(ctx, username, password); err != nil {
		return err
	}
	k, err := consumer.New(ctx, c, consumer.Config{
		Stream:           wire.NamedID(stream),
		Topic:            wire.NamedID(topic),
		Name:             name,
		Strategy:         wire.PollFirst(),
		BatchMessagesMax: 100,
		PollInterval:     50 * time.Millisecond,
		AutoCommit:       consumer.AutoCommitAfterPoll(),
	})
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := k.Close(closeCtx); err != nil {
			log.Print(err)
		}
	}()

	received := 0
	for msg, err := range k.Messages(ctx) {
		if err != nil {
			log.Print(err)
			continue
		}
		seq := "-"
		if v, ok, _ := msg.Header("seq"); ok {
			n, _ := v.AsUint64()
			seq = fmt.Sprint(n)
		}
		fmt.Printf("partition=%d offset=%d seq=%s payload=%q\n", msg.Partition, msg.Offset, seq, msg.Payload)
		if received++; count > 0 && received >= count {
			break
		}
	}
	fmt.Printf("received %d messages\n", received)
	return nil
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
