package bankhub_test

import (
	"testing"
	"time"

	"github.com/bankhook/bankhook/bankhub"
	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDate(t *testing.T) {
	ict := time.FixedZone("", 7*3600)
	tests := []struct {
		name    string
		in      string
		hasTime bool
		time    time.Time
		wantErr bool
	}{
		{name: "date", in: "2024-05-02", time: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)},
		{name: "leap day", in: "2024-02-29", time: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{name: "date-time with offset", in: "2024-05-02T14:35:14+07:00", hasTime: true, time: time.Date(2024, 5, 2, 14, 35, 14, 0, ict)},
		{name: "date-time in UTC with a fraction", in: "2024-05-02T07:35:14.250Z", hasTime: true, time: time.Date(2024, 5, 2, 7, 35, 14, 250e6, time.UTC)},
		{name: "empty", in: ""},
		{name: "no leap day", in: "2023-02-29", wantErr: true},
		{name: "one-digit month", in: "2024-5-02", wantErr: true},
		{name: "date-time without offset", in: "2024-05-02T14:35:14", wantErr: true},
		{name: "space for T", in: "2024-05-02 14:35:14+07:00", wantErr: true},
		{name: "words", in: "yesterday", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := bankhub.ParseDate(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "bankhub: date ")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.in, d.String(), "a Date keeps the text it was given")
			assert.Equal(t, tt.in == "", d.IsZero())
			assert.Equal(t, tt.hasTime, d.HasTime())
			assert.True(t, tt.time.Equal(d.Time()), "Time() = %v, want %v", d.Time(), tt.time)
			if tt.hasTime {
				_, offset := d.Time().Zone()
				_, want := tt.time.Zone()
				assert.Equal(t, want, offset, "Time keeps the offset it was sent with")
			}
		})
	}
}

func TestParseDateTime(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		time    time.Time
		wantErr bool
	}{
		{name: "offset", in: "2024-05-02T14:35:12+07:00", time: time.Date(2024, 5, 2, 7, 35, 12, 0, time.UTC)},
		{name: "Z with trailing zeros", in: "2024-05-02T07:35:12.000Z", time: time.Date(2024, 5, 2, 7, 35, 12, 0, time.UTC)},
		{name: "+00:00", in: "2024-05-02T07:35:12+00:00", time: time.Date(2024, 5, 2, 7, 35, 12, 0, time.UTC)},
		{name: "empty", in: ""},
		{name: "date only", in: "2024-05-02", wantErr: true},
		{name: "no offset", in: "2024-05-02T14:35:12", wantErr: true},
		{name: "hour 24", in: "2024-05-02T24:00:00Z", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := bankhub.ParseDateTime(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "bankhub: date-time ")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.in, d.String())
			assert.Equal(t, tt.in == "", d.IsZero())
			assert.True(t, tt.time.Equal(d.Time()), "Time() = %v, want %v", d.Time(), tt.time)
		})
	}
}

func TestDateJSONRoundTrip(t *testing.T) {
	type dates struct {
		D  bankhub.Date     `json:"d"`
		DT bankhub.DateTime `json:"dt"`
	}
	tests := []struct {
		name string
		in   string
		out  string
	}{
		{name: "kept byte for byte", in: `{"d":"2024-05-02T14:35:14.500+07:00","dt":"2024-05-02T07:35:12.000Z"}`, out: `{"d":"2024-05-02T14:35:14.500+07:00","dt":"2024-05-02T07:35:12.000Z"}`},
		{name: "null is zero", in: `{"d":null,"dt":null}`, out: `{"d":"","dt":""}`},
		{name: "empty is zero", in: `{"d":"","dt":""}`, out: `{"d":"","dt":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v dates
			require.NoError(t, json.Unmarshal([]byte(tt.in), &v))
			b, err := json.Marshal(v)
			require.NoError(t, err)
			assert.Equal(t, tt.out, string(b))
		})
	}
}
