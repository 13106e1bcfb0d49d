// Command gin receives bunq callbacks and bankHub webhooks in a gin
// engine, with gin's logger and recovery around them, and books each
// payment as a JSON line on stdout:
//
//	BUNQ_CALLBACK_TOKEN=… BANKHUB_WEBHOOK_TOKEN=… TRUSTED_PROXIES=10.0.0.0/8 go run ./examples/gin
//
// gin.WrapH mounts a receiver as a gin handler. It hands the receiver the
// request as net/http received it: r.RemoteAddr is the TCP peer, and the
// body has not been read, as long as no middleware before it binds or
// reads c.Request.Body.
package main

import (
	"net/http"
	"os"

	"github.com/bankhook/bankhook/examples/internal/service"
	"github.com/gin-gonic/gin"
)

func main() {
	// gin writes its request log and debug output to stdout, which is the
	// ledger's here.
	gin.DefaultWriter = os.Stderr
	service.Serve(routes)
}

// routes mounts the two receivers in a gin engine, under /webhooks,
// behind gin's logger and recovery.
func routes(cfg service.Config, l *service.Ledger) (http.Handler, error) {
	bunqHandler, bankhubHandler, err := service.Receivers(cfg, l)
	if err != nil {
		return nil, err
	}
	r := gin.New()
	// gin trusts X-Forwarded-For from every peer by default when it works
	// out c.ClientIP(), which its logger prints. Trust the proxies bankhook
	// trusts, so the log shows the sender bankhook checked. (bankhook
	// itself never reads c.ClientIP().)
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	r.Use(gin.Logger(), gin.Recovery())
	hooks := r.Group("/webhooks")
	hooks.POST("/bunq", gin.WrapH(bunqHandler))
	hooks.POST("/bankhub", gin.WrapH(bankhubHandler))
	return r, nil
}
