package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeLock starts serve on an output file, then a second serve on
// the same file, through --out or through a standard output redirected
// to it: the second exits with the usage error's status (2) and names
// the file, and the first keeps working.
func TestServeLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	first := startServe(t, "--allow", "127.0.0.1", "--out", path)

	tests := []struct {
		name   string
		out    string // --out of the second serve
		stdout bool   // the second serve's standard output is the file
		named  string // what its error names
	}{
		{"--out FILE", path, false, path},
		{"--out - redirected to FILE", "-", true, "standard output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--allow", "127.0.0.1", "--out", tt.out)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if tt.stdout {
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
				require.NoError(t, err)
				defer f.Close()
				cmd.Stdout = f
			}
			err := cmd.Run()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the second serve exits with an error; stderr:\n%s", stderr.String())
			assert.Equal(t, exitUsage, exit.ExitCode(), stderr.String())
			assert.Contains(t, stderr.String(), tt.named, "the error names the file")
			assert.Contains(t, stderr.String(), "in use by another writer")
			assert.NotContains(t, stderr.String(), "listening on")

			a := post(t, nil, first.url+"/bunq", "application/json", bunqSample(t, "MUTATION"))
			require.Equal(t, http.StatusOK, a.status, "the first serve keeps working: %s", a.body)
		})
	}
	lines := first.stop()
	require.Len(t, lines, 1, "one event, one line; the second serves wrote nothing")
	assert.Equal(t, "bunq", lines[0].Provider)

	// Once the first has stopped, the file is free again.
	again := startServe(t, "--allow", "127.0.0.1", "--out", path)
	again.stop()
}
