// Command fiber receives bunq callbacks and bankHub webhooks in a Fiber
// app, with Fiber's recover and logger middleware around them, and books
// each payment as a JSON line on stdout:
//
//	BUNQ_CALLBACK_TOKEN=… BANKHUB_WEBHOOK_TOKEN=… TRUSTED_PROXIES=10.0.0.0/8 go run ./examples/fiber
//
// Fiber runs on fasthttp, not net/http: the receivers mount through
// Fiber's adaptor, which builds a net/http request from fasthttp's, with
// r.RemoteAddr set to the TCP peer, which is what bankhook reads the
// sender from. See newApp for the body limit.
package main

import (
	"log"
	"os"
	"time"

	"github.com/bankhook/bankhook/examples/internal/service"
	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/adaptor"
	"github.com/gofiber/fiber/v3/middleware/logger"
	"github.com/gofiber/fiber/v3/middleware/recover"
)

func main() {
	cfg, err := service.FromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	app, err := newApp(cfg, service.NewLedger(os.Stdout))
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(app.Listen(cfg.Addr, fiber.ListenConfig{DisableStartupMessage: true}))
}

// newApp mounts the two receivers under /webhooks.
func newApp(cfg service.Config, l *service.Ledger) (*fiber.App, error) {
	bunqHandler, bankhubHandler, err := service.Receivers(cfg, l)
	if err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{
		// fasthttp reads the whole body into memory before any handler
		// runs, so this, not the receivers' own 1 MiB limit, is what
		// bounds memory: keep them equal.
		BodyLimit:    1 << 20,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 35 * time.Second, // above the receivers' 25 s handler deadline
		IdleTimeout:  time.Minute,
		// No ProxyHeader: bankhook never reads c.IP(), it walks
		// X-Forwarded-For itself, from TrustedProxies only; and with it
		// c.IP() reads X-Forwarded-For from the left, the part the client
		// writes. The request log shows the TCP peer.
	})
	// stdout is the ledger's; the request log goes to stderr.
	app.Use(recover.New(), logger.New(logger.Config{Stream: os.Stderr}))
	hooks := app.Group("/webhooks")
	hooks.Post("/bunq", adaptor.HTTPHandler(bunqHandler))
	hooks.Post("/bankhub", adaptor.HTTPHandler(bankhubHandler))
	return app, nil
}
