package main

import (
	"net"
	"testing"
	"time"

	"github.com/bankhook/bankhook/examples/internal/examplestest"
	"github.com/bankhook/bankhook/examples/internal/service"
	"github.com/gofiber/fiber/v3"
	"github.com/stretchr/testify/require"
)

func TestApp(t *testing.T) {
	examplestest.Run(t, func(t *testing.T, ln net.Listener, cfg service.Config, l *service.Ledger) {
		app, err := newApp(cfg, l)
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
		t.Cleanup(func() {
			require.NoError(t, app.ShutdownWithTimeout(5*time.Second))
			require.NoError(t, <-done)
		})
	})
}
