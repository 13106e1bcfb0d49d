package service

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/bankhook/bankhook"
)

// Entry is one booked payment.
type Entry struct {
	Bank        string           `json:"bank"`        // "bunq" or "bankhub"
	ID          string           `json:"id"`          // the bank's identifier of the payment
	Amount      bankhook.Decimal `json:"amount"`      // exact; negative when money went out
	Currency    string           `json:"currency"`    // ISO 4217, "EUR"
	Description string           `json:"description"` // the payment's description
}

// Ledger books payments as JSON lines on a writer, standing in for your
// database. A Ledger is safe for concurrent use; it has no zero value:
// build it with NewLedger.
type Ledger struct {
	mu sync.Mutex // guards w: an entry is written whole, never interleaved
	w  io.Writer
}

// NewLedger returns a Ledger writing to w.
func NewLedger(w io.Writer) *Ledger { return &Ledger{w: w} }

// Book writes e as one JSON line. Its error, handed back to the receiver,
// makes the bank deliver the event again.
func (l *Ledger) Book(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("service: book %s payment %s: %w", e.Bank, e.ID, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("service: book %s payment %s: %w", e.Bank, e.ID, err)
	}
	return nil
}
