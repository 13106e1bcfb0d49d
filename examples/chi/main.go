// Command chi receives bunq callbacks and bankHub webhooks in a chi
// router, with chi's own middleware around them, and books each payment
// as a JSON line on stdout:
//
//	BUNQ_CALLBACK_TOKEN=… BANKHUB_WEBHOOK_TOKEN=… TRUSTED_PROXIES=10.0.0.0/8 go run ./examples/chi
//
// chi routes are http.Handlers, so the receivers mount as they are. The
// one thing to get right is the client address: see routes.
package main

import (
	"log"
	"net/http"

	"github.com/bankhook/bankhook/examples/internal/service"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

func main() { service.Serve(routes) }

// routes mounts the two receivers in a chi router, under /webhooks,
// behind chi's middleware.
func routes(cfg service.Config, l *service.Ledger) (http.Handler, error) {
	bunqHandler, bankhubHandler, err := service.Receivers(cfg, l)
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	// Not middleware.RealIP: it overwrites r.RemoteAddr with
	// True-Client-IP, X-Real-IP or the left-most X-Forwarded-For entry,
	// which whoever sends the request writes, so anyone could claim one of
	// bunq's addresses. bankhook reads the TCP peer from r.RemoteAddr and
	// believes X-Forwarded-For only from TrustedProxies. chi's ClientIPFrom…
	// middleware reads the address the same way for the rest of the app
	// (here the request log) and leaves r.RemoteAddr alone.
	if len(cfg.TrustedProxies) > 0 {
		r.Use(middleware.ClientIPFromXFF(cfg.TrustedProxies...))
	} else {
		r.Use(middleware.ClientIPFromRemoteAddr)
	}
	r.Use(
		middleware.RequestID,
		// stdout is the ledger's; the request log goes to stderr.
		middleware.RequestLogger(&middleware.DefaultLogFormatter{Logger: log.Default(), NoColor: true}),
		middleware.Recoverer,
	)
	r.Route("/webhooks", func(r chi.Router) {
		r.Method(http.MethodPost, "/bunq", bunqHandler)
		r.Method(http.MethodPost, "/bankhub", bankhubHandler)
	})
	return r, nil
}
