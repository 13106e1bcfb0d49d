package main

import (
	"net"
	"testing"

	"github.com/bankhook/bankhook/examples/internal/examplestest"
	"github.com/bankhook/bankhook/examples/internal/service"
	"github.com/stretchr/testify/require"
)

func TestRoutes(t *testing.T) {
	examplestest.Run(t, func(t *testing.T, ln net.Listener, cfg service.Config, l *service.Ledger) {
		h, err := routes(cfg, l)
		require.NoError(t, err)
		examplestest.Serve(t, ln, h)
	})
}
