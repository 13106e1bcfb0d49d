// Command nethttp receives bunq callbacks and bankHub webhooks with the
// standard library alone, and books each payment as a JSON line on
// stdout:
//
//	BUNQ_CALLBACK_TOKEN=… BANKHUB_WEBHOOK_TOKEN=… TRUSTED_PROXIES=10.0.0.0/8 go run ./examples/nethttp
//
// The receivers are http.Handlers: mount them on a ServeMux pattern.
// net/http sets r.RemoteAddr to the TCP peer, which is what bankhook reads
// the sender from (and X-Forwarded-For only when that peer is one of
// TRUSTED_PROXIES); nothing in front of the receivers should rewrite it.
package main

import (
	"net/http"

	"github.com/bankhook/bankhook/examples/internal/service"
)

func main() { service.Serve(routes) }

// routes mounts the two receivers on a ServeMux, under /webhooks.
func routes(cfg service.Config, l *service.Ledger) (http.Handler, error) {
	bunqHandler, bankhubHandler, err := service.Receivers(cfg, l)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	// A method in the pattern: the mux answers anything but POST itself.
	mux.Handle("POST /webhooks/bunq", bunqHandler)
	mux.Handle("POST /webhooks/bankhub", bankhubHandler)
	return mux, nil
}
