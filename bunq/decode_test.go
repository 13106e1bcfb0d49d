package bunq

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/hooktest/samples"
	"github.com/bankhook/bankhook/internal/fixtures"
	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureDir returns the folder of the shared bunq fixtures, skipping tb
// when the shared fixtures are missing (failing it when
// BANKHOOK_REQUIRE_FIXTURES=1).
func fixtureDir(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(fixtures.Dir(tb), "bunq")
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// sampleBody returns the body of the sample callback name
// (hooktest/samples).
func sampleBody(t testing.TB, name string) []byte {
	t.Helper()
	b, ok := samples.Bunq(name)
	require.True(t, ok, "no sample %s", name)
	return b
}

// decodeSample decodes the sample callback name.
func decodeSample(t *testing.T, name string) *Notification {
	t.Helper()
	n, err := Decode(sampleBody(t, name))
	require.NoError(t, err, name)
	return n
}

func decodeFile(t *testing.T, path string) *Notification {
	t.Helper()
	n, err := Decode(readFile(t, path))
	require.NoError(t, err, path)
	return n
}

func mustTime(t *testing.T, s string) Time {
	t.Helper()
	tm, err := ParseTime(s)
	require.NoError(t, err)
	return tm
}

// assertRoundTrip re-encodes n and checks that the result decodes to an
// equal notification with the same key.
func assertRoundTrip(t *testing.T, n *Notification) {
	t.Helper()
	out, err := json.Marshal(n)
	require.NoError(t, err)
	again, err := Decode(out)
	require.NoError(t, err, "re-encoded: %s", out)
	assert.Equal(t, n, again)
	assert.Equal(t, n.IdempotencyKey(), again.IdempotencyKey())
}

func TestDecodeFixtures(t *testing.T) {
	dir := fixtureDir(t)
	tests := []struct {
		file  string
		check func(t *testing.T, n *Notification)
	}{
		{"Mutation.json", func(t *testing.T, n *Notification) {
			assert.Equal(t, CategoryMutation, n.Category)
			assert.Equal(t, EventMutationCreated, n.EventType)
			p := n.Object.(*Payment)
			assert.Equal(t, int64(108864), p.ID)
			assert.Equal(t, int64(213), p.MonetaryAccountID)
			assert.Equal(t, "-24.95", p.Amount.Value.String())
			assert.Equal(t, "EUR", p.Amount.Currency)
			assert.Equal(t, "73d6df4a 680498 Your order #1234567", p.Description)
			assert.Equal(t, mustTime(t, "2017-11-08 11:20:03.950184"), p.Created)
			assert.Equal(t, "Dominic (nick) premium \u2728", p.Alias.LabelUser.PublicNickName)
			assert.Nil(t, p.CounterpartyAlias.Avatar)
			assert.Equal(t, 52.387862883215, p.Geolocation.Latitude)
			assert.Zero(t, p.BatchID)
		}},
		{"BunqMeTab.json", func(t *testing.T, n *Notification) {
			b := n.Object.(*BunqMeTab)
			assert.Equal(t, int64(8), b.ID)
			assert.Equal(t, "https://bunq.me/t/4da1167c-01bc-4a91-a1e1-44a83e4fef2e", b.BunqmeTabShareURL)
			assert.Equal(t, "5.00", b.BunqmeTabEntry.AmountInquired.Value.String())
			assert.Equal(t, "image/png", b.BunqmeTabEntry.Alias.Avatar.Image[0].ContentType)
			assert.Len(t, b.BunqmeTabEntry.MerchantAvailable, 2)
			assert.NotNil(t, b.ResultInquiries)
		}},
		{"ChatMessageAnnouncement.json", func(t *testing.T, n *Notification) {
			c := n.Object.(*ChatMessageAnnouncement)
			assert.Equal(t, int64(3), c.ConversationID)
			assert.Contains(t, c.Content.Text.Text, "https://www.bunq.com/en/direct-debits/")
		}},
		{"DraftPayment.json", func(t *testing.T, n *Notification) {
			d := n.Object.(*DraftPayment)
			require.Len(t, d.Entries, 2)
			assert.Equal(t, "46.26", d.Entries[0].Amount.Value.String())
			assert.Equal(t, "2.56", d.Entries[1].Amount.Value.String())
			assert.Equal(t, "NL32BUNQ2025103506", d.Entries[1].CounterpartyAlias.IBAN)
			assert.Nil(t, d.Object)
			assert.Nil(t, d.Responses)
		}},
		{"MasterCardAction.json", func(t *testing.T, n *Notification) {
			// Decoding goes by the object key, not by the DRAFT_PAYMENT category.
			assert.Equal(t, CategoryDraftPayment, n.Category)
			m := n.Object.(*MasterCardAction)
			assert.Equal(t, "2.00", m.AmountLocal.Value.String())
			assert.Equal(t, "2.00", m.AmountBilling.Value.String())
			assert.Equal(t, "0.00", m.AmountFee.Value.String())
			assert.True(t, m.AmountConverted.IsZero())
			assert.Equal(t, "COUNTRY_NOT_PERMITTED", m.Decision)
			assert.Equal(t, Identifier("5411"), m.CounterpartyAlias.MerchantCategoryCode)
			assert.Equal(t, "MAESTRO", m.LabelCard.Type)
			assert.Equal(t, mustTime(t, "2017-07-10 06:33:10.676651"), m.Updated)
		}},
		{"MonetaryAccountBank.json", func(t *testing.T, n *Notification) {
			m := n.Object.(*MonetaryAccountBank)
			assert.Equal(t, int64(214), m.UserID)
			assert.Equal(t, "10000.00", m.DailyLimit.Value.String())
			assert.True(t, m.Balance.IsZero())
			assert.Equal(t, "NL18BUNQ2025104049", m.Alias[0].Value)
			assert.Equal(t, "europe/amsterdam", m.Timezone)
			assert.Empty(t, m.NotificationFilters)
		}},
		{"PartnerUserProvision.json", func(t *testing.T, n *Notification) {
			assert.Equal(t, CategoryPartnerUserProvision, n.Category)
			assert.Equal(t, EventPartnerUserProvisionProcessUpdated, n.EventType)
			p := n.Object.(*PartnerUserProvision)
			assert.Equal(t, []string{"USER_ANONYMOUS_TRANSACTION_AUDIT"}, p.Products)
			assert.Equal(t, int64(13383), p.OAuthRequest.OAuthClientID)
			assert.Equal(t, "COMPANY", p.OAuthRequest.UserAliasCreated.Type)
			assert.Equal(t, "PENDING_FIRST_USE", p.Credential.Status)
			assert.Equal(t, mustTime(t, "2025-09-03 09:24:14.178685"), p.Credential.ExpiryTime)
			assert.Nil(t, p.Credential.PermittedDevice)
		}},
		{"PaymentBatch.json", func(t *testing.T, n *Notification) {
			b := n.Object.(*PaymentBatch)
			require.Len(t, b.Payments, 3)
			for _, p := range b.Payments {
				assert.Equal(t, "-24.95", p.Amount.Value.String())
			}
		}},
		{"RequestInquiry.json", func(t *testing.T, n *Notification) {
			r := n.Object.(*RequestInquiry)
			assert.Equal(t, "8.77", r.AmountInquired.Value.String())
			assert.True(t, r.AmountResponded.IsZero())
			assert.Equal(t, "REVOKED", r.Status)
			assert.True(t, r.TimeExpiry.IsZero())
			assert.Equal(t, "N. Garland", r.UserAliasRevoked.DisplayName)
		}},
		{"RequestResponse.json", func(t *testing.T, n *Notification) {
			r := n.Object.(*RequestResponse)
			assert.Equal(t, "3.31", r.AmountInquired.Value.String())
			assert.Equal(t, int64(36), r.MonetaryAccountID)
			assert.Nil(t, r.Attachment)
		}},
		{"ScheduledInstance.json", func(t *testing.T, n *Notification) {
			s := n.Object.(*ScheduledInstance)
			assert.Equal(t, "FINISHED_SUCCESSFULLY", s.State)
			sp := s.ScheduledObject.ScheduledPayment
			require.NotNil(t, sp)
			assert.Equal(t, "-34.42", sp.Payment.Amount.Value.String())
			assert.True(t, sp.Schedule.TimeNext.IsZero())
			p := s.ResultObject.Payment
			require.NotNil(t, p)
			assert.Equal(t, int64(133), p.ID)
			assert.Equal(t, "-34.42", p.Amount.Value.String())
		}},
		{"ScheduledPayment.json", func(t *testing.T, n *Notification) {
			s := n.Object.(*ScheduledPayment)
			assert.Equal(t, "YEARLY", s.Schedule.RecurrenceUnit)
			assert.Equal(t, "-8.89", s.Payment.Amount.Value.String())
			assert.Equal(t, "J. Barrett", s.LabelScheduleUserCreated.DisplayName)
			assert.Nil(t, s.LabelScheduleUserCanceled)
		}},
		{"ShareInviteBankInquiry.json", func(t *testing.T, n *Notification) {
			s := n.Object.(*ShareInviteBankInquiry)
			assert.Equal(t, int64(46), s.MonetaryAccountID)
			require.NotNil(t, s.ShareDetail.Payment)
			assert.True(t, s.ShareDetail.Payment.MakePayments)
			assert.Nil(t, s.ShareDetail.Payment.Budget)
			assert.Equal(t, "000", s.CounterUserAlias.Country)
		}},
		{"ShareInviteBankResponse.json", func(t *testing.T, n *Notification) {
			s := n.Object.(*ShareInviteBankResponse)
			assert.Equal(t, "bunq account", s.Description)
			assert.Zero(t, s.MonetaryAccountID)
			assert.Equal(t, mustTime(t, "2017-11-11 02:34:05.864029"), s.EndDate)
		}},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every fixture has a case")
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			n := decodeFile(t, filepath.Join(dir, tc.file))
			tc.check(t, n)
			assertRoundTrip(t, n)
		})
	}
}

// TestDecodeTestdata: every category has a sample, except those whose
// callback body no document shows, and each sample decodes to the object
// its category usually carries.
func TestDecodeTestdata(t *testing.T) {
	want := map[Category]string{
		CategoryBilling:                   "Invoice",
		CategoryCardTransactionSuccessful: "MasterCardAction",
		CategoryCardTransactionFailed:     "MasterCardAction",
		CategoryChat:                      "ChatMessage",
		CategoryDraftPayment:              "DraftPayment",
		CategoryIdeal:                     "IdealMerchantTransaction",
		CategorySofort:                    "SofortMerchantTransaction",
		CategoryMutation:                  "Payment",
		CategoryOAuth:                     "User",
		CategoryPayment:                   "Payment",
		CategoryRequest:                   "RequestResponse",
		CategoryScheduleResult:            "ScheduledInstance",
		CategoryScheduleStatus:            "ScheduledPayment",
		CategoryShare:                     "ShareInviteBankInquiry",
		CategoryTabResult:                 "BunqMeTabResultResponse",
		CategoryBunqMeTab:                 "BunqMeTabResultInquiry",
		CategorySupport:                   "ChatMessage",
		CategoryPartnerUserProvision:      "PartnerUserProvision",
		CategoryUserInformationInquiry:    "UserInformationInquiry",
		CategoryUserOnboarding:            "UserOnboarding",
		CategoryCard:                      "CardDebit",
		CategoryMasterCardIdentityCheck:   "MasterCardIdentityCheckChallengeRequest",
	}
	// Objects the documents show but this package does not model.
	unmodelled := map[Category]bool{CategoryCard: true, CategoryMasterCardIdentityCheck: true}
	// Categories no document shows a body of.
	noBody := map[Category]bool{
		CategoryMonetaryAccountProfile: true, CategoryPromotion: true, CategoryUserApproval: true,
		CategoryCardTransactionUpdated: true, CategoryCardTransactionRefund: true, CategoryCardTokenization: true,
	}
	require.Len(t, want, len(Categories())-len(noBody), "a sample for every category with a documented body")
	for _, c := range Categories() {
		t.Run(string(c), func(t *testing.T) {
			_, ok := samples.Bunq(string(c))
			if noBody[c] {
				assert.False(t, ok, "a sample for %s would be invented: no document shows its body", c)
				return
			}
			n := decodeSample(t, string(c))
			assert.Equal(t, c, n.Category)
			assert.Equal(t, want[c], n.Object.ObjectType())
			_, unknown := n.Object.(*Unknown)
			assert.Equal(t, unmodelled[c], unknown)
			assertRoundTrip(t, n)
		})
	}
}

func TestDecodeTestdataValues(t *testing.T) {
	t.Run("escapes", func(t *testing.T) {
		c := decodeSample(t, "CHAT").Object.(*ChatMessage)
		assert.Equal(t, "Thanks for lunch! éè 🍕 See https://example.com/r/42", c.Content.Text.Text)
	})
	t.Run("identifier from number", func(t *testing.T) {
		i := decodeSample(t, "BILLING").Object.(*Invoice)
		assert.Equal(t, Identifier("20250401001234"), i.InvoiceNumber)
		assert.Equal(t, "0.21", i.Group[0].Item[0].VAT.String())
		s := decodeSample(t, "SOFORT").Object.(*SofortMerchantTransaction)
		assert.Equal(t, Identifier("123456789012345678"), s.TransactionIdentifier)
	})
	t.Run("anchors", func(t *testing.T) {
		u := decodeSample(t, "OAUTH").Object.(*User)
		assert.Equal(t, "UserApiKey", u.Kind())
		assert.Equal(t, "Budget App B.V.", u.APIKey.RequestedByUser.Company.Name)
		assert.Equal(t, DeliveryURL, u.APIKey.GrantedByUser.Person.NotificationFilters[0].NotificationDeliveryMethod)
		d := decodeSample(t, "DRAFT_PAYMENT").Object.(*DraftPayment)
		assert.Equal(t, "-45.00", d.Object.Payment.Amount.Value.String())
		q := decodeSample(t, "USER_INFORMATION_INQUIRY").Object.(*UserInformationInquiry)
		require.Len(t, q.AllEntry, 1)
		assert.Equal(t, "USER_PERSON_SOURCE_OF_FUND", q.AllEntry[0].Type)
		assert.Equal(t, int64(18), q.AllEntry[0].AssistantConversation.AssistantID)
	})
	t.Run("user onboarding", func(t *testing.T) {
		n := decodeSample(t, "USER_ONBOARDING")
		assert.Equal(t, EventUserOnboardingUpdated, n.EventType)
		assert.Equal(t, &UserOnboarding{
			ID: 4127, Created: mustTime(t, "2025-03-23 08:00:02.612004"), Updated: mustTime(t, "2025-03-23 08:41:17.093518"),
			UserID: 88213, Status: "VERIFIED", ActionRequired: "NONE", WaitingType: "AUTOMATED",
		}, n.Object)
		assert.Equal(t, "bunq:USER_ONBOARDING:USER_ONBOARDING_UPDATED:UserOnboarding:4127@2025-03-23T08:41:17.093518Z", n.IdempotencyKey())
	})
}

func TestDecodeUnknownObject(t *testing.T) {
	body := `{"NotificationUrl":{"target_url":"https://x","category":"CARD_DISPUTE","event_type":"CARD_DISPUTE_OPENED",
		"object":{"CardToken":{ "id" : 5, "tags":["a","b"] }}}}`
	n, err := Decode([]byte(body))
	require.NoError(t, err)
	u, ok := n.Object.(*Unknown)
	require.True(t, ok)
	assert.Equal(t, "CardToken", u.Type)
	assert.Equal(t, `{"id":5,"tags":["a","b"]}`, string(u.Raw))
	assert.Equal(t, Category("CARD_DISPUTE"), n.Category)
	assert.False(t, n.Category.Known())
	assert.Equal(t, EventType("CARD_DISPUTE_OPENED"), n.EventType)
	assert.False(t, n.EventType.Known())
	out, err := json.Marshal(n)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"object":{"CardToken":{"id":5,"tags":["a","b"]}}`)
	assertRoundTrip(t, n)
}

func TestDecodeLiberal(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, n *Notification)
	}{
		{"nulls everywhere", `{"NotificationUrl":{"target_url":null,"category":null,"event_type":null,"object":{"Payment":
			{"id":null,"created":null,"amount":null,"alias":null,"attachment":null,"description":null,"allow_chat":null}}}}`,
			func(t *testing.T, n *Notification) {
				p := n.Object.(*Payment)
				assert.Zero(t, p.ID)
				assert.True(t, p.Amount.IsZero())
				assert.Nil(t, p.Alias)
			}},
		{"numeric amount", `{"NotificationUrl":{"object":{"Payment":{"amount":{"value":-24.95,"currency":"EUR"}}}}}`,
			func(t *testing.T, n *Notification) {
				assert.Equal(t, "-24.95", n.Object.(*Payment).Amount.Value.String())
			}},
		{"unknown fields and escaped names", `{"NotificationUrl":{"extra":[1,{"a":2}],"cat\u0065gory":"MUTATION","object":{"Pay\u006dent":{"id":7,"new_field":{"x":1}}}}}`,
			func(t *testing.T, n *Notification) {
				assert.Equal(t, CategoryMutation, n.Category)
				assert.Equal(t, int64(7), n.Object.(*Payment).ID)
			}},
		{"empty time string", `{"NotificationUrl":{"object":{"Payment":{"created":""}}}}`,
			func(t *testing.T, n *Notification) {
				assert.True(t, n.Object.(*Payment).Created.IsZero())
			}},
		{"big identifier", `{"NotificationUrl":{"object":{"MasterCardAction":{"merchant_id":123456789012345678901234567890}}}}`,
			func(t *testing.T, n *Notification) {
				assert.Equal(t, Identifier("123456789012345678901234567890"), n.Object.(*MasterCardAction).MerchantID)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Decode([]byte(tc.body))
			require.NoError(t, err)
			tc.check(t, n)
			assertRoundTrip(t, n)
		})
	}
}

func TestDecodeHostile(t *testing.T) {
	deep := strings.Repeat(`[`, 100000) + strings.Repeat(`]`, 100000)
	tests := []struct {
		name string
		body string
		path string
	}{
		{"empty", ``, ""},
		{"whitespace", "  \n", ""},
		{"truncated", `{"NotificationUrl":{"object":{"Payment":{"amount":{"value":"1`, "/NotificationUrl/object/Payment/amount/value"},
		{"truncated envelope", `{"NotificationUrl":`, "/NotificationUrl"},
		{"array", `[]`, ""},
		{"string body", `"NotificationUrl"`, ""},
		{"null body", `null`, ""},
		{"null envelope", `{"NotificationUrl":null}`, "/NotificationUrl"},
		{"no envelope", `{"notificationurl":{"object":{"Payment":{}}}}`, "/NotificationUrl"},
		{"envelope is array", `{"NotificationUrl":[]}`, "/NotificationUrl"},
		{"object absent", `{"NotificationUrl":{"category":"MUTATION"}}`, "/NotificationUrl/object"},
		{"object null", `{"NotificationUrl":{"object":null}}`, "/NotificationUrl/object"},
		{"object empty", `{"NotificationUrl":{"object":{}}}`, "/NotificationUrl/object"},
		{"object is a string", `{"NotificationUrl":{"object":"Payment"}}`, "/NotificationUrl/object"},
		{"object is an array", `{"NotificationUrl":{"object":[{"Payment":{}}]}}`, "/NotificationUrl/object"},
		{"two objects", `{"NotificationUrl":{"object":{"Payment":{},"Invoice":{}}}}`, "/NotificationUrl/object"},
		{"null payment", `{"NotificationUrl":{"object":{"Payment":null}}}`, "/NotificationUrl/object/Payment"},
		{"empty object type", `{"NotificationUrl":{"object":{"":{}}}}`, "/NotificationUrl/object/"},
		{"payment is a string", `{"NotificationUrl":{"object":{"Payment":"x"}}}`, "/NotificationUrl/object/Payment"},
		{"non-numeric amount", `{"NotificationUrl":{"object":{"Payment":{"amount":{"value":"ten","currency":"EUR"}}}}}`, "/NotificationUrl/object/Payment/amount/value"},
		{"amount is a bool", `{"NotificationUrl":{"object":{"Payment":{"amount":{"value":true}}}}}`, "/NotificationUrl/object/Payment/amount/value"},
		{"bad time", `{"NotificationUrl":{"object":{"Payment":{"updated":"2017-02-30 10:00:00.000000"}}}}`, "/NotificationUrl/object/Payment/updated"},
		{"id is a string", `{"NotificationUrl":{"object":{"Payment":{"id":"12"}}}}`, "/NotificationUrl/object/Payment/id"},
		{"duplicate names", `{"NotificationUrl":{"object":{"Payment":{"amount":{"value":"1.00","value":"1000.00"}}}}}`, "/NotificationUrl/object/Payment/amount/value"},
		{"duplicate envelope", `{"NotificationUrl":{"object":{"Payment":{}}},"NotificationUrl":{"object":{"Payment":{}}}}`, "/NotificationUrl"},
		{"invalid UTF-8", "{\"NotificationUrl\":{\"object\":{\"Payment\":{\"description\":\"\xff\"}}}}", "/NotificationUrl/object/Payment/description"},
		{"trailing data", `{"NotificationUrl":{"object":{"Payment":{}}}} {}`, ""},
		{"deep nesting in unknown field", `{"NotificationUrl":{"x":` + deep + `,"object":{"Payment":{}}}}`, "/NotificationUrl/x"},
		{"deep nesting in unknown object", `{"NotificationUrl":{"object":{"Deep":` + deep + `}}}`, "/NotificationUrl/object/Deep"},
		{"deep nesting at top", deep, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n *Notification
			var err error
			require.NotPanics(t, func() { n, err = Decode([]byte(tc.body)) })
			require.Error(t, err)
			assert.Nil(t, n)
			var de *bankhook.DecodeError
			require.True(t, errors.As(err, &de), "%T", err)
			assert.Equal(t, "bunq", de.Provider)
			assert.True(t, strings.HasPrefix(de.Path, tc.path), "path %q, want prefix %q (%v)", de.Path, tc.path, err)
			assert.True(t, strings.HasPrefix(err.Error(), "bunq: decode "), err.Error())
			assert.NotEmpty(t, de.Err)
		})
	}
}

func TestDecodeErrorPathIsExact(t *testing.T) {
	tests := []struct{ name, body, path string }{
		{"amount value", `{"NotificationUrl":{"object":{"Payment":{"amount":{"value":"x"}}}}}`, "/NotificationUrl/object/Payment/amount/value"},
		{"nested array", `{"NotificationUrl":{"object":{"PaymentBatch":{"payments":[{},{"id":"x"}]}}}}`, "/NotificationUrl/object/PaymentBatch/payments/1/id"},
		{"null envelope", `{"NotificationUrl":null}`, "/NotificationUrl"},
		{"escaped object key", `{"NotificationUrl":{"object":{"a/b~c":null}}}`, "/NotificationUrl/object/a~1b~0c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.body))
			var de *bankhook.DecodeError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.path, de.Path)
		})
	}
}

func TestNotificationEncodingJSON(t *testing.T) {
	body := sampleBody(t, "PAYMENT")
	want, err := Decode(body)
	require.NoError(t, err)

	t.Run("unmarshal", func(t *testing.T) {
		var got Notification
		require.NoError(t, stdjsonUnmarshal(body, &got))
		assert.Equal(t, want, &got)
	})
	t.Run("marshal", func(t *testing.T) {
		out, err := stdjsonMarshal(want)
		require.NoError(t, err)
		again, err := Decode(out)
		require.NoError(t, err)
		assert.Equal(t, want, again)
	})
	t.Run("no object", func(t *testing.T) {
		_, err := json.Marshal(&Notification{Category: CategoryPayment})
		assert.Error(t, err)
	})
	t.Run("reformatted", func(t *testing.T) {
		var v any
		require.NoError(t, json.Unmarshal(body, &v))
		compact, err := json.Marshal(v)
		require.NoError(t, err)
		require.False(t, bytes.Equal(compact, body))
		again, err := Decode(compact)
		require.NoError(t, err)
		assert.Equal(t, want, again)
	})
}
