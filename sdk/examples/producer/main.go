// Command producer sends --count messages to a topic (creating the stream
// and topic when missing) through the SDK's background producer, keyed so
// that each customer's messages stay in order, then flushes and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/producer"
	"github.com/runnel-io/runnel/sdk/wire"
)

func main() {
	address := flag.String("address", env("RUNNEL_ADDRESS", "127.0.0.1:8090"), "server host:port")
	username := flag.String("username", env("RUNNEL_USERNAME", "iggy"), "user name")
	password := flag.String("password", env("RUNNEL_PASSWORD", "iggy"), "password")
	stream := flag.String("stream", "example", "stream name")
	topic := flag.String("topic", "orders", "topic name")
	partitions := flag.Uint("partitions", 3, "partitions when the topic is created")
	count := flag.Int("count", 1000, "messages to send")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *address, *username, *password, *stream, *topic, uint32(*partitions), *count); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, address, username, password, stream, topic string, partitions uint32, count int) error {
	c, err := client.Dial(ctx, address)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.LoginUser(ctx, username, password); err != nil {
		return err
	}
	if err := ensureTopic(ctx, c, stream, topic, partitions); err != nil {
		return err
	}

	var failed atomic.Int64
	p, err := producer.New(ctx, c, producer.Config{
		Stream:      wire.NamedID(stream),
		Topic:       wire.NamedID(topic),
		Partitioner: producer.KeyHash(),
		Linger:      2 * time.Millisecond,
		OnError:     func(e *producer.BatchError) { failed.Add(int64(len(e.Messages))); log.Print(e) },
	})
	if err != nil {
		return err
	}
	for i := range count {
		m := producer.Message{
			Key:     fmt.Appendf(nil, "customer-%d", i%10),
			Payload: fmt.Appendf(nil, "order %d", i),
		}.WithHeader("seq", wire.Uint64Header(uint64(i)))
		if err := p.Send(ctx, m); err != nil {
			_ = p.Close(context.Background())
			return err
		}
	}
	closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Close(closeCtx); err != nil {
		return err
	}
	fmt.Printf("sent %d messages to %s/%s (%d failed)\n", int64(count)-failed.Load(), stream, topic, failed.Load())
	return nil
}

// ensureTopic creates the stream and topic unless they exist.
func ensureTopic(ctx context.Context, c *client.Client, stream, topic string, partitions uint32) error {
	if _, err := c.CreateStream(ctx, stream); err != nil && !errors.Is(err, wire.ErrStreamNameExists) {
		return err
	}
	_, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: wire.NamedID(stream), PartitionsCount: partitions, Name: topic})
	if err != nil && !errors.Is(err, wire.ErrTopicNameExists) {
		return err
	}
	return nil
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
