package bankhookprom_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/extra/bankhookprom"
	"github.com/bankhook/bankhook/hooktest/samples"
)

func Example() {
	reg := prometheus.NewRegistry() // or prometheus.DefaultRegisterer, served by promhttp.Handler()
	metrics, err := bankhookprom.New(reg, bankhookprom.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := metrics.Receiver("bunq")

	cfg := bunq.Config{Handler: func(context.Context, *bunq.Notification) error { return nil }}
	cfg.Observer = bankhook.MultiObserver(bankhook.ObserverFuncs{ /* your logs: bankhook.NewSlogObserver(bankhook.SlogObserverOptions{}) */ }, m)
	cfg.Middleware = []bankhook.Middleware{m.Middleware} // the gauge of requests in flight
	receiver, err := bunq.NewReceiver(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}

	body, _ := samples.Bunq("MUTATION")
	for _, sender := range []string{"185.40.108.10:40122", "185.40.108.10:40122", "203.0.113.9:1234"} {
		r := httptest.NewRequest(http.MethodPost, "/bunq", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = sender
		receiver.ServeHTTP(httptest.NewRecorder(), r)
	}

	families, _ := reg.Gather()
	for _, f := range families {
		if f.GetType().String() != "COUNTER" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := ""
			for _, l := range m.GetLabel() {
				labels += fmt.Sprintf(" %s=%q", l.GetName(), l.GetValue())
			}
			fmt.Printf("%s%s %v\n", f.GetName(), labels, m.GetCounter().GetValue())
		}
	}
	// Output:
	// bankhook_events_total outcome="handled" receiver="bunq" 1
	// bankhook_events_total outcome="replayed" receiver="bunq" 1
	// bankhook_requests_total reason="" receiver="bunq" status="200" 2
	// bankhook_requests_total reason="ip_denied" receiver="bunq" status="403" 1
	// bankhook_store_errors_total receiver="bunq" 0
}

func ExampleReceiver_DedupeEvictions() {
	reg := prometheus.NewRegistry()
	metrics, err := bankhookprom.New(reg, bankhookprom.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := metrics.Receiver("bunq")
	store := bankhook.NewLRUStore(bankhook.LRUStoreOptions{Capacity: 1}) // far too small: every new event evicts the last one
	m.DedupeEvictions(store.Evictions)

	cfg := bunq.Config{Handler: func(context.Context, *bunq.Notification) error { return nil }}
	cfg.Observer = m
	cfg.Dedupe.Store = store
	receiver, err := bunq.NewReceiver(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"MUTATION", "PAYMENT"} {
		body, _ := samples.Bunq(name)
		r := httptest.NewRequest(http.MethodPost, "/bunq", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = "185.40.108.10:40122"
		receiver.ServeHTTP(httptest.NewRecorder(), r)
	}

	families, _ := reg.Gather()
	for _, f := range families {
		if f.GetName() == "bankhook_dedupe_evictions_total" {
			for _, m := range f.GetMetric() {
				fmt.Println(f.GetName(), m.GetLabel()[0].GetValue(), m.GetCounter().GetValue())
			}
		}
	}
	// Output:
	// bankhook_dedupe_evictions_total bunq 1
}
