// Command consumer-group reads a topic as a member of a consumer group
// (created when missing): run several and the server spreads the
// partitions over them, moving partitions when members come and go. Each
// message is committed after it was handled. It stops after --count
// messages or when interrupted, and leaves the group.
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
	group := flag.String("group", "example-group", "consumer group name")
	count := flag.Int("count", 0, "stop after this many messages (0: run until interrupted)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *address, *username, *password, *stream, *topic, *group, *count); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, address, username, password, stream, topic, group string, count int) error {
	c, err := client.Dial(ctx, address)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.LoginUser(ctx, username, password); err != nil {
		return err
	}
	k, err := consumer.New(ctx, c, consumer.Config{
		Stream:       wire.NamedID(stream),
		Topic:        wire.NamedID(topic),
		Name:         group,
		Group:        true,
		PollInterval: 50 * time.Millisecond,
		AutoCommit:   consumer.AutoCommitAfterMessage(),
	})
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := k.Close(closeCtx); err != nil { // commits and leaves the group
			log.Print(err)
		}
	}()

	received := 0
	for msg, err := range k.Messages(ctx) {
		if err != nil {
			log.Print(err)
			continue
		}
		fmt.Printf("group=%s partition=%d offset=%d payload=%q\n", group, msg.Partition, msg.Offset, msg.Payload)
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
