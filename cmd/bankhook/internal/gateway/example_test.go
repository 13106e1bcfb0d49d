package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/bankhook/bankhook/cmd/bankhook/internal/gateway"
	"github.com/bankhook/bankhook/hooktest/samples"
)

// ExampleGateway serves bankHub on a loopback listener, delivers one of
// its samples, and shuts down: the event is in --out.
func ExampleGateway() {
	dir, err := os.MkdirTemp("", "gateway")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "events.jsonl")

	cfg := gateway.Config{BankhubPath: "/bankhub", BankhubAllow: gateway.DevRanges, Out: out}
	g, err := gateway.New(context.Background(), cfg, gateway.Options{})
	if err != nil {
		panic(err)
	}
	defer g.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Serve(ctx, ln) }()

	body, _ := samples.Bankhub("GRANT_ERROR")
	resp, err := http.Post("http://"+ln.Addr().String()+"/bankhub", "application/json", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)

	stop()
	fmt.Println("served:", <-served)
	fmt.Println("closed:", g.Close())
	lines, _ := os.ReadFile(out)
	fmt.Println("lines:", bytes.Count(lines, []byte("\n")))
	// Output:
	// 200 OK
	// served: <nil>
	// closed: <nil>
	// lines: 1
}
