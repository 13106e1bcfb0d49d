package output

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRepair(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	a := testLine(t, "bunq", "a", at) + "\n"
	b := testLine(t, "bankhub", "b", at) + "\n"
	c := testLine(t, "bunq", "c", at)
	tests := []struct {
		name   string
		file   string
		action RepairAction
		after  string // the file afterwards; for a refusal, the file is unchanged
		line   int64  // for a refusal, the line named
		reason string
	}{
		{"empty", "", RepairNone, "", 0, ""},
		{"ends with a newline", a + b, RepairNone, a + b, 0, ""},
		{"cut short by a crash", a + b + c[:len(c)/3], RepairCut, a + b, 0, ""},
		{"cut in its first member", a + `{"pro`, RepairCut, a, 0, ""},
		{"only a line cut short", c[:20], RepairCut, "", 0, ""},
		{"whole line without its newline", a + c, RepairEnded, a + c + "\n", 0, ""},
		{"zeros at the end", a + b + "\x00\x00\x00\x00", RepairCut, a + b, 0, ""},
		{"a failed write's part of a line earlier", a + c[:30] + "\n" + b, RepairNone, a + c[:30] + "\n" + b, 0, ""},
		{"blank lines", a + "\n\n" + b, RepairNone, a + "\n\n" + b, 0, ""},
		{"a log", "time=2026-11-25 level=INFO msg=started\nmsg=stopped\n", 0, "", 2, "not JSON"},
		{"a log without a final newline", "msg=started\nmsg=stopped", 0, "", 2, "not JSON"},
		{"another program's JSON lines", a + `{"msg":"hello"}` + "\n", 0, "", 2, `no "provider" member`},
		{"another program's line after a line cut short", a + c[:30] + "\n" + "{}\n", 0, "", 3, `no "provider" member`},
		{"only zeros", "\x00\x00\x00\x00\n\x00\x00", 0, "", 2, reasonNUL + ", and no event line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.jsonl")
			require.NoError(t, os.WriteFile(path, []byte(tt.file), 0o600))
			f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
			require.NoError(t, err)
			defer f.Close()
			r, err := Repair(f, path, 1<<20)
			got, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			if tt.reason != "" {
				var e *NotOutputError
				require.ErrorAs(t, err, &e)
				assert.Equal(t, path, e.Path)
				assert.Equal(t, tt.line, e.Line)
				assert.Contains(t, e.Reason, tt.reason)
				assert.Contains(t, err.Error(), path)
				assert.True(t, strings.HasPrefix(err.Error(), "bankhook: output "), err.Error())
				assert.Equal(t, tt.file, string(got), "a refused file is left as it was")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.action, r.Action, r.Action.String())
			assert.Equal(t, tt.after, string(got))
			if tt.action != RepairNone {
				assert.Equal(t, int64(strings.LastIndexByte(tt.file, '\n')+1), r.Offset)
				assert.Equal(t, len(tt.file)-int(r.Offset), r.Bytes)
			}
		})
	}
}

func TestRepairLineTooLong(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	file := strings.Repeat("z", 3000) + "\n"
	require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	require.NoError(t, err)
	defer f.Close()
	_, err = Repair(f, path, 1000)
	var e *NotOutputError
	require.ErrorAs(t, err, &e)
	assert.Equal(t, int64(1), e.Line)
	assert.Contains(t, e.Reason, "a line longer than 1000 bytes")
}

// TestOpenRepairs checks that Open repairs before the first line is
// written, says so in the log, and refuses another program's file.
func TestOpenRepairs(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	a := testLine(t, "bunq", "a", at) + "\n"
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(a+`{"provider":"bunq","ke`), 0o600))
	var log bytes.Buffer
	w, err := Open(path, nil, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	require.NoError(t, w.WriteLine(t.Context(), []byte(`{"next":1}`)))
	require.NoError(t, w.Close())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, a+`{"next":1}`+"\n", string(got), "the next line starts on a line of its own")
	assert.Contains(t, log.String(), "output repaired: removed a line cut short")
	assert.Contains(t, log.String(), "bytes=22")

	other := filepath.Join(t.TempDir(), "app.log")
	require.NoError(t, os.WriteFile(other, []byte("started\n"), 0o600))
	_, err = Open(other, nil, Options{})
	var e *NotOutputError
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "bankhook: output "+other+", line 1: not a bankhook event line (not JSON); refusing to write to a file that is not serve's output", err.Error())
	got, err = os.ReadFile(other)
	require.NoError(t, err)
	assert.Equal(t, "started\n", string(got))
}
