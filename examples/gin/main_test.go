package main

import (
	"testing"

	"github.com/bankhook/bankhook/examples/internal/examplestest"
)

func TestRoutes(t *testing.T) { examplestest.RunHandler(t, routes) }
