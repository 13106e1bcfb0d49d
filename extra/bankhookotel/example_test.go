package bankhookotel_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/extra/bankhookotel"
	"github.com/bankhook/bankhook/hooktest/samples"
)

func Example() {
	// Your tracer provider, exporting wherever your traces go; an
	// in-memory one here.
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer tp.Shutdown(context.Background())

	m, err := bankhookotel.New("bunq", bankhookotel.Options{TracerProvider: tp})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := bunq.Config{Handler: func(ctx context.Context, n *bunq.Notification) error {
		// ctx carries the delivery's span: this span is its child.
		_, span := tp.Tracer("ledger").Start(ctx, "book "+n.Object.ObjectType())
		defer span.End()
		return nil
	}}
	cfg.Observer = bankhook.MultiObserver(bankhook.ObserverFuncs{ /* your logs: bankhook.NewSlogObserver(bankhook.SlogObserverOptions{}) */ }, m)
	cfg.Middleware = []bankhook.Middleware{m.Middleware}
	receiver, err := bunq.NewReceiver(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}

	body, _ := samples.Bunq("MUTATION")
	r := httptest.NewRequest(http.MethodPost, "/bunq", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = "185.40.108.10:40122"
	receiver.ServeHTTP(httptest.NewRecorder(), r)

	for _, s := range spans.Ended() {
		fmt.Println(s.Name(), "parent:", s.Parent().IsValid())
		for _, kv := range s.Attributes() {
			if kv.Key == bankhookotel.AttrIdempotencyKey || kv.Key == "http.response.status_code" {
				fmt.Println(" ", kv.Key, kv.Value.String())
			}
		}
	}
	// Output:
	// book Payment parent: true
	// bankhook bunq parent: false
	//   http.response.status_code 200
	//   bankhook.idempotency_key bunq:MUTATION:MUTATION_CREATED:Payment:2938471@2025-03-14T09:12:44.11823Z
}
