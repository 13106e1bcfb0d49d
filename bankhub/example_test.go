package bankhub_test

import (
	"fmt"
	"time"

	"github.com/bankhook/bankhook/bankhub"
	"github.com/go-json-experiment/json"
)

func ExampleDecode() {
	body := []byte(`{
		"environment": "production",
		"webhookType": "TRANSACTIONS",
		"webhookCode": "DEFAULT_UPDATE",
		"transaction": {
			"id": "b2e4c6a8-1d3f-4a5b-8c7d-9e0f1a2b3c4d",
			"transactionDate": "2024-05-02",
			"amount": 123456789012345678,
			"description": "CONG TY TNHH AN PHAT thanh toan DH10234",
			"accountNumber": 12345678901234567890,
			"fiId": "mbbank", "fiName": "MB Bank",
			"fiServiceId": "mbbank-business", "fiServiceName": "MB Bank Doanh nghiệp",
			"currency": "VND"
		}
	}`)
	w, err := bankhub.Decode(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	tx := w.Transaction
	fmt.Println(tx.Amount, tx.Currency)
	fmt.Println(tx.AccountNumber)
	fmt.Println(w.IdempotencyKey())

	_, err = bankhub.Decode([]byte(`{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t","amount":"12,5"}}`))
	fmt.Println(err != nil)
	// Output:
	// 123456789012345678 VND
	// 12345678901234567890
	// bankhub:TRANSACTIONS:DEFAULT_UPDATE:b2e4c6a8-1d3f-4a5b-8c7d-9e0f1a2b3c4d
	// true
}

func ExampleWebhook_Event() {
	for _, body := range []string{
		`{"webhookType":"GRANT","webhookCode":"ERROR","grantId":"g-1","error":{"errorCode":"OTP_REQUIRED"}}`,
		`{"webhookType":"GRANT","webhookCode":"USER_PERMISSION_REVOKED","grantId":"g-1"}`,
		`{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t-1","amount":250000,"currency":"VND"}}`,
		`{"webhookType":"TRANSACTIONS","webhookCode":"HISTORICAL_UPDATE","grantId":"g-1"}`,
	} {
		w, err := bankhub.Decode([]byte(body))
		if err != nil {
			fmt.Println(err)
			continue
		}
		switch e := w.Event().(type) {
		case *bankhub.GrantFailed:
			fmt.Println(e.Kind(), e.GrantID, e.Error.ErrorCode)
		case *bankhub.PermissionRevoked:
			fmt.Println(e.Kind(), e.GrantID)
		case *bankhub.NewTransaction:
			fmt.Println(e.Kind(), e.Transaction.ID, e.Transaction.Amount, e.Transaction.Currency)
		case *bankhub.Unknown:
			fmt.Println(e.Kind(), e.Type, e.Code)
		}
	}
	// Output:
	// grant_error g-1 OTP_REQUIRED
	// permission_revoked g-1
	// transaction t-1 250000 VND
	// unknown TRANSACTIONS HISTORICAL_UPDATE
}

func ExampleWebhook_MarshalJSON() {
	w, err := bankhub.Decode([]byte(`{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE",
		"transaction":{"id":"t-1","amount":1500.50,"description":"DH10234","accountNumber":"0801234567890",
		"fiId":"mbbank","fiName":"MB Bank","fiServiceId":"mbbank-business","fiServiceName":"MB Bank Doanh nghiệp","currency":"VND"}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := json.Marshal(w)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	again, err := bankhub.Decode(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(again.IdempotencyKey() == w.IdempotencyKey())
	// Output:
	// {"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE","transaction":{"id":"t-1","amount":"1500.50","description":"DH10234","accountNumber":"0801234567890","fiId":"mbbank","fiName":"MB Bank","fiServiceId":"mbbank-business","fiServiceName":"MB Bank Doanh nghiệp","currency":"VND"}}
	// true
}

func ExampleRetrySchedule() {
	p := bankhub.RetrySchedule()
	fmt.Println(p.Attempts(), "attempts, timeout", p.Timeout)
	var at time.Duration
	for i, d := range p.Delays {
		at += d
		if retry := i + 1; retry <= 6 || retry == len(p.Delays) {
			fmt.Printf("retry %2d at %v\n", retry, at)
		}
	}
	// Output:
	// 17 attempts, timeout 30s
	// retry  1 at 30s
	// retry  2 at 1m0s
	// retry  3 at 2m0s
	// retry  4 at 3m0s
	// retry  5 at 5m0s
	// retry  6 at 8m0s
	// retry 16 at 16h27m0s
}

func ExampleDate() {
	w, err := bankhub.Decode([]byte(`{"webhookType":"TRANSACTIONS","webhookCode":"DEFAULT_UPDATE",
		"transaction":{"id":"t-1","amount":1,"transactionDate":"2024-05-02","bookingDate":"2024-05-02T23:10:00+07:00"}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range []bankhub.Date{w.Transaction.TransactionDate, w.Transaction.BookingDate} {
		fmt.Println(d, d.HasTime(), d.Time().UTC())
	}
	// Output:
	// 2024-05-02 false 2024-05-02 00:00:00 +0000 UTC
	// 2024-05-02T23:10:00+07:00 true 2024-05-02 16:10:00 +0000 UTC
}

func ExampleParseDateTime() {
	t, err := bankhub.ParseDateTime("2024-05-02T14:35:12+07:00")
	fmt.Println(t, t.Time().UTC(), err)
	// Output:
	// 2024-05-02T14:35:12+07:00 2024-05-02 07:35:12 +0000 UTC <nil>
}
