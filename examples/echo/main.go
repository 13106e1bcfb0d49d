// Command echo receives bunq callbacks and bankHub webhooks in an Echo
// server, with Echo's request logger and recovery around them, and books
// each payment as a JSON line on stdout:
//
//	BUNQ_CALLBACK_TOKEN=… BANKHUB_WEBHOOK_TOKEN=… TRUSTED_PROXIES=10.0.0.0/8 go run ./examples/echo
//
// echo.WrapHandler mounts a receiver as an Echo handler, handing it the
// request as net/http received it: r.RemoteAddr is the TCP peer, and the
// body has not been read, as long as no middleware before it (BodyDump,
// a Bind) reads c.Request().Body.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/bankhook/bankhook/examples/internal/service"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

func main() { service.Serve(routes) }

// routes mounts the two receivers in an Echo server, under
// /webhooks, behind Echo's request logger and recovery.
func routes(cfg service.Config, l *service.Ledger) (http.Handler, error) {
	bunqHandler, bankhubHandler, err := service.Receivers(cfg, l)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.Logger.SetOutput(os.Stderr) // stdout is the ledger's
	if e.IPExtractor, err = ipExtractor(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	e.Use(middleware.RequestLogger(), middleware.Recover())
	hooks := e.Group("/webhooks")
	hooks.POST("/bunq", echo.WrapHandler(bunqHandler))
	hooks.POST("/bankhub", echo.WrapHandler(bankhubHandler))
	return e, nil
}

// ipExtractor returns how c.RealIP(), which the request logger prints,
// finds the client: the right-most X-Forwarded-For hop that is not one of
// proxies, the way bankhook finds the sender, so the log shows the sender
// bankhook checked. Without an IPExtractor, Echo takes the left-most
// X-Forwarded-For entry from any peer, and its extractors trust loopback,
// link-local and private peers unless told not to. (bankhook itself never
// reads c.RealIP().)
func ipExtractor(proxies []string) (echo.IPExtractor, error) {
	trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", p, err)
		}
		trust = append(trust, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(trust...), nil
}
