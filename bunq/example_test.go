package bunq_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
)

const paymentBody = `{
  "NotificationUrl": {
    "target_url": "https://hooks.example.com/bunq",
    "category": "MUTATION",
    "event_type": "MUTATION_CREATED",
    "object": {
      "Payment": {
        "id": 108864,
        "created": "2025-03-14 09:12:44.118230",
        "updated": "2025-03-14 09:12:44.118230",
        "monetary_account_id": 213,
        "amount": {"currency": "EUR", "value": "-24.95"},
        "description": "Order 2025-0042",
        "type": "IDEAL",
        "counterparty_alias": {"iban": null, "display_name": "Boekhandel Centrum", "country": "NL"}
      }
    }
  }
}`

func ExampleDecode() {
	n, err := bunq.Decode([]byte(paymentBody))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := n.Object.(*bunq.Payment)
	cents, _ := p.Amount.Value.MinorUnits(2)
	fmt.Println(n.Category, n.EventType, n.Object.ObjectType())
	fmt.Println(p.ID, p.Amount, cents, p.CounterpartyAlias.DisplayName)
	fmt.Println(p.Created.Format(time.RFC3339Nano))
	fmt.Println(n.IdempotencyKey())
	// Output:
	// MUTATION MUTATION_CREATED Payment
	// 108864 -24.95 EUR -2495 Boekhandel Centrum
	// 2025-03-14T09:12:44.11823Z
	// bunq:MUTATION:MUTATION_CREATED:Payment:108864@2025-03-14T09:12:44.11823Z
}

func ExampleDecode_error() {
	_, err := bunq.Decode([]byte(`{"NotificationUrl":{"object":{"Payment":{"amount":{"value":"ten","currency":"EUR"}}}}}`))
	var de *bankhook.DecodeError
	if errors.As(err, &de) {
		fmt.Println(de.Provider, de.Path)
	}
	_, err = bunq.Decode([]byte(`{"NotificationUrl":{"object":{}}}`))
	fmt.Println(err)
	// Output:
	// bunq /NotificationUrl/object/Payment/amount/value
	// bunq: decode /NotificationUrl/object: "object" has no member
}

func ExampleObject() {
	bodies := []string{
		paymentBody,
		`{"NotificationUrl":{"category":"CARD_TRANSACTION_FAILED","event_type":"CARD_TRANSACTION_NOT_ALLOWED",
		  "object":{"MasterCardAction":{"id":7,"amount_billing":{"value":"-812.00","currency":"EUR"},"decision":"INSUFFICIENT_BALANCE"}}}}`,
		`{"NotificationUrl":{"category":"CARD_TOKENIZATION","event_type":"CARD_TOKEN_ACTIVATED",
		  "object":{"CardToken":{"id":3, "status":"ACTIVE"}}}}`,
	}
	for _, body := range bodies {
		n, err := bunq.Decode([]byte(body))
		if err != nil {
			fmt.Println(err)
			continue
		}
		switch o := n.Object.(type) {
		case *bunq.Payment:
			fmt.Println("payment", o.ID, o.Amount)
		case *bunq.MasterCardAction:
			fmt.Println("card", o.ID, o.AmountBilling, o.Decision)
		case *bunq.Unknown:
			fmt.Println("unknown", o.Type, string(o.Raw))
		default:
			fmt.Println("other", o.ObjectType())
		}
	}
	// Output:
	// payment 108864 -24.95 EUR
	// card 7 -812.00 EUR INSUFFICIENT_BALANCE
	// unknown CardToken {"id":3,"status":"ACTIVE"}
}

func ExampleNotificationFilterURLBody() {
	body, err := bunq.NotificationFilterURLBody([]bunq.NotificationFilterURL{
		{Category: bunq.CategoryMutation, NotificationTarget: "https://hooks.example.com/bunq?token=SECRET"},
		{Category: bunq.CategoryRequest, NotificationTarget: "https://hooks.example.com/bunq?token=SECRET"},
	}, bunq.FilterOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(body))

	// No filters: the body that removes every callback.
	body, _ = bunq.NotificationFilterURLBody(nil, bunq.FilterOptions{})
	fmt.Println(string(body))

	// A category newer than this package must be listed explicitly.
	_, err = bunq.NotificationFilterURLBody([]bunq.NotificationFilterURL{
		{Category: "CARD_DISPUTE", NotificationTarget: "https://hooks.example.com/bunq"},
	}, bunq.FilterOptions{ExtraCategories: []bunq.Category{"CARD_DISPUTE"}})
	fmt.Println(err)
	// Output:
	// {"notification_filters":[{"category":"MUTATION","notification_target":"https://hooks.example.com/bunq?token=SECRET"},{"category":"REQUEST","notification_target":"https://hooks.example.com/bunq?token=SECRET"}]}
	// {"notification_filters":[]}
	// <nil>
}

func ExampleRetryFailuresBody() {
	listing, err := bunq.DecodeFailureListing([]byte(`{
	  "Response": [
	    {"NotificationFilterFailure": {"id": 1, "category": "MUTATION", "event_type": "MUTATION_CREATED", "object_id": 1278}},
	    {"NotificationFilterFailure": {"id": 2, "category": "PAYMENT", "event_type": "PAYMENT_RECEIVED", "object_id": 1301}}
	  ],
	  "Pagination": {"future_url": "/v1/user/762/notification-filter-failure?newer_id=2", "newer_url": null, "older_url": null}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range listing.Failures {
		fmt.Println(f.ID, f.Category, f.ObjectID)
	}
	body, err := bunq.RetryFailuresBody(listing.IDs()...)
	fmt.Println(string(body), err)
	_, err = bunq.RetryFailuresBody()
	fmt.Println(err)
	// Output:
	// 1 MUTATION 1278
	// 2 PAYMENT 1301
	// {"notification_filter_failed_ids":"1,2"} <nil>
	// bunq: RetryFailuresBody: no failure ids
}

func ExampleCertificatePinnedBody() {
	// A self-signed certificate stands in for the chain your server presents.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fmt.Println(err)
		return
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hooks.example.com"},
		DNSNames:     []string{"hooks.example.com"},
		NotBefore:    time.Now(),
		NotAfter:     time.Now().AddDate(1, 0, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		fmt.Println(err)
		return
	}
	chain := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})

	body, err := bunq.CertificatePinnedBody(chain)
	if err != nil {
		fmt.Println(err)
		return
	}
	var got struct {
		CertificateChain []struct {
			Certificate string `json:"certificate"`
		} `json:"certificate_chain"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("certificates:", len(got.CertificateChain))
	fmt.Println("same PEM:", got.CertificateChain[0].Certificate == string(chain))

	_, err = bunq.CertificatePinnedBody(append(chain, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})...))
	fmt.Println(err)
	// Output:
	// certificates: 1
	// same PEM: true
	// bunq: certificate chain: block 2: type "PRIVATE KEY", want CERTIFICATE
}

func ExampleRetrySchedule() {
	p := bunq.RetrySchedule()
	fmt.Println(p.Name, p.Attempts(), "attempts over", p.Span(), "timeout", p.Timeout)
	fmt.Println(bunq.ProductionRanges())
	// Output:
	// bunq 6 attempts over 5m0s timeout 0s
	// [185.40.108.0/22]
}

func ExampleNotificationFilterPushBody() {
	body, err := bunq.NotificationFilterPushBody([]bunq.NotificationFilterPush{
		{Category: bunq.CategoryScheduleResult},
	}, bunq.FilterOptions{})
	fmt.Println(string(body), err)
	// Output:
	// {"notification_filters":[{"category":"SCHEDULE_RESULT"}]} <nil>
}

func ExampleNotificationFiltersBody() {
	body, err := bunq.NotificationFiltersBody([]bunq.NotificationFilter{
		{NotificationDeliveryMethod: bunq.DeliveryURL, NotificationTarget: "https://hooks.example.com/bunq", Category: bunq.CategoryPayment},
		{NotificationDeliveryMethod: bunq.DeliveryPush, Category: bunq.CategoryRequest},
	}, bunq.FilterOptions{})
	fmt.Println(string(body), err)

	// Callbacks go to HTTPS URLs only.
	_, err = bunq.NotificationFiltersBody([]bunq.NotificationFilter{
		{NotificationDeliveryMethod: bunq.DeliveryURL, NotificationTarget: "http://hooks.example.com/bunq", Category: bunq.CategoryPayment},
	}, bunq.FilterOptions{})
	fmt.Println(err != nil)
	// Output:
	// {"notification_filters":[{"notification_delivery_method":"URL","notification_target":"https://hooks.example.com/bunq","category":"PAYMENT"},{"notification_delivery_method":"PUSH","notification_target":null,"category":"REQUEST"}]} <nil>
	// true
}

func ExampleParseTime() {
	t, err := bunq.ParseTime("2017-11-08 11:20:03.950184")
	fmt.Println(t.UTC().Format(time.RFC3339Nano), err)
	// Output:
	// 2017-11-08T11:20:03.950184Z <nil>
}
