package bunq

import "github.com/bankhook/bankhook/internal/jsonscan"

// This file is Decode's fast path: the callbacks bunq sends most — a
// Payment (MUTATION, PAYMENT) and a MasterCardAction
// (CARD_TRANSACTION_SUCCESSFUL, CARD_TRANSACTION_FAILED) — decoded by hand,
// token by token, instead of by reflection.
//
// It reads the body on a jsonscan.Reader, a jsontext Decoder with
// decodeOptions, the rules the reflective decoder reads it with (syntax,
// UTF-8, unique member names at every level, nesting), and fills the same
// types the reflective decoder fills, with the same rules per Go type (see
// jsonscan). Whenever it meets
// anything else — another object type, a value the rules refuse, a
// required member missing — it gives up, and Decode runs the reflective
// decoder on the body, which returns either the same notification or the
// error naming the offending value. So every error still comes from the
// reflective decoder, and the fast path only has to be right about what it
// accepts: FuzzDecodeFastPath checks it against the reflective decoder.

// decodeFast decodes body when it is a callback the fast path handles,
// and returns nil otherwise.
func decodeFast(body []byte) *Notification {
	r := jsonscan.Get(body, decodeOptions)
	defer jsonscan.Put(r)
	n := fastEnvelope(r)
	if !r.Finish() {
		return nil
	}
	return n
}

// fastEnvelope reads {"NotificationUrl":{…}}.
func fastEnvelope(r *jsonscan.Reader) *Notification {
	if !r.Object() {
		r.Fail() // null: no envelope
		return nil
	}
	var n *Notification
	for r.Member() {
		if string(r.Name()) != "NotificationUrl" {
			r.Skip()
			continue
		}
		if !r.Object() {
			r.Fail()
			return nil
		}
		n = fastNotification(r)
	}
	if n == nil {
		r.Fail()
	}
	return n
}

// fastNotification reads the envelope's members, the opening brace read.
func fastNotification(r *jsonscan.Reader) *Notification {
	var (
		targetURL string
		category  Category
		eventType EventType
		n         *Notification // made with its object
	)
	for r.Member() {
		switch string(r.Name()) {
		case "target_url":
			r.String(&targetURL)
		case "category":
			if err := category.unmarshalValue(r.Value()); err != nil {
				r.Fail()
			}
		case "event_type":
			if err := eventType.unmarshalValue(r.Value()); err != nil {
				r.Fail()
			}
		case "object":
			n = fastObject(r)
		default:
			r.Skip()
		}
	}
	if n == nil {
		r.Fail() // no object: refused, with its path, by the reflective decoder
		return nil
	}
	n.TargetURL, n.Category, n.EventType = targetURL, category, eventType
	return n
}

// block holds a notification, its object, and the nested objects a
// Payment or a MasterCardAction usually has, so that decoding one takes
// one allocation for them all instead of one each; what does not fit (a
// third label, an address) is allocated on its own. The values share the
// block's memory: keeping one of them keeps the block, about 2 KB.
type block[T any] struct {
	n   Notification
	obj T
	nested
}

// nested hands out the block's nested objects.
type nested struct {
	labels          [2]LabelMonetaryAccount
	users           [2]LabelUser
	avatars         [3]Avatar
	geo             Geolocation
	nLabels, nUsers int
	nAvatars, nGeo  int
}

func (b *nested) label() *LabelMonetaryAccount {
	if b.nLabels < len(b.labels) {
		b.nLabels++
		return &b.labels[b.nLabels-1]
	}
	return new(LabelMonetaryAccount)
}

func (b *nested) user() *LabelUser {
	if b.nUsers < len(b.users) {
		b.nUsers++
		return &b.users[b.nUsers-1]
	}
	return new(LabelUser)
}

func (b *nested) avatar() *Avatar {
	if b.nAvatars < len(b.avatars) {
		b.nAvatars++
		return &b.avatars[b.nAvatars-1]
	}
	return new(Avatar)
}

func (b *nested) geolocation() *Geolocation {
	if b.nGeo == 0 {
		b.nGeo++
		return &b.geo
	}
	return new(Geolocation)
}

// fastObject reads {"<Type>":{…}} for the types the fast path handles,
// and returns the notification that holds it.
func fastObject(r *jsonscan.Reader) *Notification {
	if !r.Object() || !r.Member() {
		r.Fail()
		return nil
	}
	var n *Notification
	switch string(r.Name()) {
	case "Payment":
		b := new(block[Payment])
		fastPayment(r, &b.obj, &b.nested)
		b.n.Object, n = &b.obj, &b.n
	case "MasterCardAction":
		b := new(block[MasterCardAction])
		fastMasterCardAction(r, &b.obj, &b.nested)
		b.n.Object, n = &b.obj, &b.n
	default:
		r.Fail()
		return nil
	}
	if r.Member() { // a second object
		r.Fail()
	}
	return n
}

func fastPayment(r *jsonscan.Reader, p *Payment, b *nested) {
	if !r.Object() {
		r.Fail() // a null object is refused
		return
	}
	for r.Member() {
		switch string(r.Name()) {
		case "id":
			r.Int64(&p.ID)
		case "created":
			fastTime(r, &p.Created)
		case "updated":
			fastTime(r, &p.Updated)
		case "monetary_account_id":
			r.Int64(&p.MonetaryAccountID)
		case "amount":
			fastAmount(r, &p.Amount)
		case "description":
			r.String(&p.Description)
		case "type":
			r.String(&p.Type)
		case "sub_type":
			r.String(&p.SubType)
		case "merchant_reference":
			r.String(&p.MerchantReference)
		case "maturity_date":
			r.String(&p.MaturityDate)
		case "alias":
			p.Alias = fastLabelMonetaryAccount(r, b)
		case "counterparty_alias":
			p.CounterpartyAlias = fastLabelMonetaryAccount(r, b)
		case "attachment":
			p.Attachment = fastSlice(r, fastAttachmentRef)
		case "geolocation":
			p.Geolocation = fastGeolocation(r, b)
		case "batch_id":
			r.Int64(&p.BatchID)
		case "scheduled_id":
			r.Int64(&p.ScheduledID)
		case "address_billing":
			p.AddressBilling = fastAddress(r)
		case "address_shipping":
			p.AddressShipping = fastAddress(r)
		case "allow_chat":
			r.Bool(&p.AllowChat)
		case "allow_bunqto":
			r.Bool(&p.AllowBunqto)
		case "bunqto_status":
			r.String(&p.BunqtoStatus)
		case "bunqto_sub_status":
			r.String(&p.BunqtoSubStatus)
		case "bunqto_share_url":
			r.String(&p.BunqtoShareURL)
		case "bunqto_expiry":
			fastTime(r, &p.BunqtoExpiry)
		case "bunqto_time_responded":
			fastTime(r, &p.BunqtoTimeResponded)
		case "balance_after_mutation":
			fastAmount(r, &p.BalanceAfterMutation)
		case "payment_arrival_expected":
			p.PaymentArrivalExpected = fastPaymentArrivalExpected(r)
		default:
			r.Skip()
		}
	}
}

// fastMasterCardAction reads a MasterCardAction as the reflective decoder
// reads it. It is flat by design, one case per JSON field of the object
// (longer than 80 lines: one case per field), as fastPayment is.
func fastMasterCardAction(r *jsonscan.Reader, m *MasterCardAction, b *nested) {
	if !r.Object() {
		r.Fail() // a null object is refused
		return
	}
	for r.Member() {
		switch string(r.Name()) {
		case "id":
			r.Int64(&m.ID)
		case "created":
			fastTime(r, &m.Created)
		case "updated":
			fastTime(r, &m.Updated)
		case "monetary_account_id":
			r.Int64(&m.MonetaryAccountID)
		case "card_id":
			r.Int64(&m.CardID)
		case "amount_local":
			fastAmount(r, &m.AmountLocal)
		case "amount_converted":
			fastAmount(r, &m.AmountConverted)
		case "amount_billing":
			fastAmount(r, &m.AmountBilling)
		case "amount_original_local":
			fastAmount(r, &m.AmountOriginalLocal)
		case "amount_original_billing":
			fastAmount(r, &m.AmountOriginalBilling)
		case "amount_fee":
			fastAmount(r, &m.AmountFee)
		case "card_authorisation_id_response":
			fastIdentifier(r, &m.CardAuthorisationIDResponse)
		case "decision":
			r.String(&m.Decision)
		case "payment_status":
			r.String(&m.PaymentStatus)
		case "decision_description":
			r.String(&m.DecisionDescription)
		case "decision_description_translated":
			r.String(&m.DecisionDescriptionTranslated)
		case "decision_together_url":
			r.String(&m.DecisionTogetherURL)
		case "description":
			r.String(&m.Description)
		case "authorisation_status":
			r.String(&m.AuthorisationStatus)
		case "authorisation_type":
			r.String(&m.AuthorisationType)
		case "pan_entry_mode_user":
			r.String(&m.PANEntryModeUser)
		case "settlement_status":
			r.String(&m.SettlementStatus)
		case "clearing_status":
			r.String(&m.ClearingStatus)
		case "maturity_date":
			r.String(&m.MaturityDate)
		case "city":
			r.String(&m.City)
		case "alias":
			m.Alias = fastLabelMonetaryAccount(r, b)
		case "counterparty_alias":
			m.CounterpartyAlias = fastLabelMonetaryAccount(r, b)
		case "label_card":
			m.LabelCard = fastLabelCard(r, b)
		case "merchant_id":
			fastIdentifier(r, &m.MerchantID)
		case "merchant_category_code":
			fastIdentifier(r, &m.MerchantCategoryCode)
		case "token_status":
			r.String(&m.TokenStatus)
		case "reservation_expiry_time":
			fastTime(r, &m.ReservationExpiryTime)
		case "clearing_expiry_time":
			fastTime(r, &m.ClearingExpiryTime)
		case "applied_limit":
			r.String(&m.AppliedLimit)
		case "secure_code_id":
			r.Int64(&m.SecureCodeID)
		case "wallet_provider_id":
			fastIdentifier(r, &m.WalletProviderID)
		case "pos_card_presence":
			r.String(&m.POSCardPresence)
		case "pos_card_holder_presence":
			r.String(&m.POSCardHolderPresence)
		case "eligible_whitelist_id":
			r.Int64(&m.EligibleWhitelistID)
		case "additional_authentication_status":
			r.String(&m.AdditionalAuthenticationStatus)
		case "pin_status":
			r.String(&m.PINStatus)
		case "allow_chat":
			r.Bool(&m.AllowChat)
		default:
			r.Skip()
		}
	}
}

// fastTime reads a Time as (*Time).UnmarshalJSONFrom does.
func fastTime(r *jsonscan.Reader, t *Time) {
	v := r.Value()
	if r.Failed() {
		return
	}
	if err := t.unmarshalValue(v); err != nil {
		r.Fail()
	}
}

// fastIdentifier reads an Identifier as (*Identifier).UnmarshalJSONFrom
// does: a string, a number kept digit for digit, or null.
func fastIdentifier(r *jsonscan.Reader, id *Identifier) {
	r.StringOrNumber((*string)(id))
}

// fastAmount reads an Amount; null leaves it zero.
func fastAmount(r *jsonscan.Reader, a *Amount) {
	if !r.Object() {
		return
	}
	for r.Member() {
		switch string(r.Name()) {
		case "value":
			v := r.Value()
			if r.Failed() {
				return
			}
			if err := a.Value.UnmarshalJSON(v); err != nil {
				r.Fail()
			}
		case "currency":
			r.String(&a.Currency)
		default:
			r.Skip()
		}
	}
}

func fastLabelMonetaryAccount(r *jsonscan.Reader, b *nested) *LabelMonetaryAccount {
	if !r.Object() {
		return nil
	}
	l := b.label()
	for r.Member() {
		switch string(r.Name()) {
		case "iban":
			r.String(&l.IBAN)
		case "display_name":
			r.String(&l.DisplayName)
		case "avatar":
			l.Avatar = fastAvatar(r, b)
		case "label_user":
			l.LabelUser = fastLabelUser(r, b)
		case "country":
			r.String(&l.Country)
		case "bunq_me":
			l.BunqMe = fastPointer(r)
		case "is_light":
			r.Bool(&l.IsLight)
		case "swift_bic":
			r.String(&l.SwiftBIC)
		case "swift_account_number":
			r.String(&l.SwiftAccountNumber)
		case "transferwise_account_number":
			r.String(&l.TransferwiseAccountNumber)
		case "transferwise_bank_code":
			r.String(&l.TransferwiseBankCode)
		case "merchant_category_code":
			fastIdentifier(r, &l.MerchantCategoryCode)
		default:
			r.Skip()
		}
	}
	return l
}

func fastLabelUser(r *jsonscan.Reader, b *nested) *LabelUser {
	if !r.Object() {
		return nil
	}
	u := b.user()
	for r.Member() {
		switch string(r.Name()) {
		case "uuid":
			r.String(&u.UUID)
		case "display_name":
			r.String(&u.DisplayName)
		case "country":
			r.String(&u.Country)
		case "avatar":
			u.Avatar = fastAvatar(r, b)
		case "public_nick_name":
			r.String(&u.PublicNickName)
		case "type":
			r.String(&u.Type)
		default:
			r.Skip()
		}
	}
	return u
}

func fastLabelCard(r *jsonscan.Reader, b *nested) *LabelCard {
	if !r.Object() {
		return nil
	}
	c := new(LabelCard)
	for r.Member() {
		switch string(r.Name()) {
		case "uuid":
			r.String(&c.UUID)
		case "type":
			r.String(&c.Type)
		case "second_line":
			r.String(&c.SecondLine)
		case "expiry_date":
			r.String(&c.ExpiryDate)
		case "status":
			r.String(&c.Status)
		case "label_user":
			c.LabelUser = fastLabelUser(r, b)
		default:
			r.Skip()
		}
	}
	return c
}

func fastAvatar(r *jsonscan.Reader, b *nested) *Avatar {
	if !r.Object() {
		return nil
	}
	a := b.avatar()
	for r.Member() {
		switch string(r.Name()) {
		case "uuid":
			r.String(&a.UUID)
		case "anchor_uuid":
			r.String(&a.AnchorUUID)
		case "image":
			a.Image = fastSlice(r, fastImage)
		case "style":
			r.String(&a.Style)
		default:
			r.Skip()
		}
	}
	return a
}

// fastSlice reads an array, each element with elem, or null as nil. An
// empty array gives an empty slice, not nil, as the reflective decoder
// does (nil is for null).
func fastSlice[T any](r *jsonscan.Reader, elem func(*jsonscan.Reader, *T)) []T {
	if !r.Array() {
		return nil
	}
	s := []T{}
	for r.Elem() {
		var e T
		elem(r, &e)
		s = append(s, e)
	}
	return s
}

// The element readers leave a null element zero, as the reflective
// decoder does.

func fastImage(r *jsonscan.Reader, img *Image) {
	if !r.Object() {
		return
	}
	for r.Member() {
		switch string(r.Name()) {
		case "attachment_public_uuid":
			r.String(&img.AttachmentPublicUUID)
		case "content_type":
			r.String(&img.ContentType)
		case "height":
			r.Int(&img.Height)
		case "width":
			r.Int(&img.Width)
		case "urls":
			img.URLs = fastSlice(r, fastAttachmentURL)
		default:
			r.Skip()
		}
	}
}

func fastAttachmentURL(r *jsonscan.Reader, u *AttachmentURL) {
	if !r.Object() {
		return
	}
	for r.Member() {
		switch string(r.Name()) {
		case "type":
			r.String(&u.Type)
		case "url":
			r.String(&u.URL)
		default:
			r.Skip()
		}
	}
}

func fastAttachmentRef(r *jsonscan.Reader, a *AttachmentRef) {
	if !r.Object() {
		return
	}
	for r.Member() {
		switch string(r.Name()) {
		case "id":
			r.Int64(&a.ID)
		case "monetary_account_id":
			r.Int64(&a.MonetaryAccountID)
		default:
			r.Skip()
		}
	}
}

func fastPointer(r *jsonscan.Reader) *Pointer {
	if !r.Object() {
		return nil
	}
	p := new(Pointer)
	for r.Member() {
		switch string(r.Name()) {
		case "type":
			r.String(&p.Type)
		case "value":
			r.String(&p.Value)
		case "name":
			r.String(&p.Name)
		case "service":
			r.String(&p.Service)
		default:
			r.Skip()
		}
	}
	return p
}

func fastGeolocation(r *jsonscan.Reader, b *nested) *Geolocation {
	if !r.Object() {
		return nil
	}
	g := b.geolocation()
	for r.Member() {
		switch string(r.Name()) {
		case "latitude":
			r.Float64(&g.Latitude)
		case "longitude":
			r.Float64(&g.Longitude)
		case "altitude":
			r.Float64(&g.Altitude)
		case "radius":
			r.Float64(&g.Radius)
		default:
			r.Skip()
		}
	}
	return g
}

func fastAddress(r *jsonscan.Reader) *Address {
	if !r.Object() {
		return nil
	}
	a := new(Address)
	for r.Member() {
		switch string(r.Name()) {
		case "street":
			r.String(&a.Street)
		case "house_number":
			r.String(&a.HouseNumber)
		case "po_box":
			r.String(&a.POBox)
		case "postal_code":
			r.String(&a.PostalCode)
		case "city":
			r.String(&a.City)
		case "country":
			r.String(&a.Country)
		case "extra":
			r.String(&a.Extra)
		case "mailbox_name":
			r.String(&a.MailboxName)
		case "province":
			r.String(&a.Province)
		case "is_user_address_updated":
			r.Bool(&a.IsUserAddressUpdated)
		default:
			r.Skip()
		}
	}
	return a
}

func fastPaymentArrivalExpected(r *jsonscan.Reader) *PaymentArrivalExpected {
	if !r.Object() {
		return nil
	}
	e := new(PaymentArrivalExpected)
	for r.Member() {
		switch string(r.Name()) {
		case "status":
			r.String(&e.Status)
		case "time":
			fastTime(r, &e.Time)
		default:
			r.Skip()
		}
	}
	return e
}

// bodyKey returns the IdempotencyKey of the notification body decodes
// to, read from the body without decoding it, for the receiver's dedupe
// stage: a duplicate is then answered from the store without being
// decoded. It reads the key of a Payment or a MasterCardAction with an id
// and an update time, by the same rules as Decode, and stops as soon as it
// has the key, so the rest of the body is not read, nor checked: the
// receiver checks a duplicate's body before answering it from the store,
// and decodes a new event's body in full. For any other body ok is false
// and the body must be decoded for its key. FuzzDecodeFastPath checks that
// the key is the decoded notification's whenever Decode accepts the body.
func bodyKey(body []byte) (key string, ok bool) {
	r := jsonscan.Get(body, decodeOptions)
	defer jsonscan.Put(r)
	var (
		category          Category
		eventType         EventType
		objectType        string
		id                int64
		updated           Time
		haveCat, haveType bool
	)
	if !r.Object() {
		return "", false
	}
	for r.Member() {
		if string(r.Name()) != "NotificationUrl" {
			r.Skip()
			continue
		}
		if !r.Object() {
			return "", false
		}
		for r.Member() {
			switch string(r.Name()) {
			case "category":
				haveCat = category.unmarshalValue(r.Value()) == nil
			case "event_type":
				haveType = eventType.unmarshalValue(r.Value()) == nil
			case "object":
				if !r.Object() || !r.Member() {
					return "", false
				}
				switch objectType = string(r.Name()); objectType {
				case "Payment", "MasterCardAction":
				default:
					return "", false
				}
				if !r.Object() {
					return "", false
				}
				for r.Member() {
					switch string(r.Name()) {
					case "id":
						r.Int64(&id)
					case "updated":
						fastTime(r, &updated)
					default:
						r.Skip()
					}
					if id != 0 && !updated.IsZero() && haveCat && haveType {
						// A body Decode accepts has no second "id",
						// "updated", "category" or "event_type".
						return identityKey(category, eventType, objectType, id, updated), !r.Failed()
					}
				}
				if r.Member() { // a second object
					return "", false
				}
			default:
				r.Skip()
			}
		}
	}
	if r.Failed() || !haveCat || !haveType || objectType == "" || id == 0 || updated.IsZero() {
		return "", false
	}
	return identityKey(category, eventType, objectType, id, updated), true
}
