package bunq

import (
	"bytes"
	"encoding/json"

	"github.com/go-json-experiment/json/jsontext"
)

// EventType says what happened within a category ("MUTATION_CREATED",
// "REQUEST_INQUIRY_ACCEPTED", …). bunq publishes no exhaustive list; the
// constants below are the values its documents show (the package
// documentation names them). Values this package does not know decode
// unchanged.
//
// The zero value is the empty event type.
type EventType string

// Event types of the MUTATION category.
const (
	EventMutationCreated  EventType = "MUTATION_CREATED"  // a monetary account's balance decreased
	EventMutationReceived EventType = "MUTATION_RECEIVED" // a monetary account's balance increased
)

// Event types of the PAYMENT category.
const (
	EventPaymentCreated      EventType = "PAYMENT_CREATED"       // the user initiated a payment (sent to the sender)
	EventPaymentReceived     EventType = "PAYMENT_RECEIVED"      // the user received a payment
	EventPaymentClaimed      EventType = "PAYMENT_CLAIMED"       // a payment request was accepted and processed
	EventPaymentRejected     EventType = "PAYMENT_REJECTED"      // a payment was rejected by validation or processing
	EventPaymentRevoked      EventType = "PAYMENT_REVOKED"       // a payment was cancelled before processing
	EventPaymentExpired      EventType = "PAYMENT_EXPIRED"       // a payment expired without being processed
	EventPaymentBatchCreated EventType = "PAYMENT_BATCH_CREATED" // a batch payment was created
	EventPaymentBatchRevoked EventType = "PAYMENT_BATCH_REVOKED" // a batch payment was cancelled
)

// Event types of the CARD_TRANSACTION_SUCCESSFUL and CARD_TRANSACTION_FAILED
// categories.
const (
	EventCardPaymentAllowed        EventType = "CARD_PAYMENT_ALLOWED"         // a card payment was approved and processed
	EventCardWithdrawalAllowed     EventType = "CARD_WITHDRAWAL_ALLOWED"      // an ATM withdrawal was approved and processed
	EventCardReversalAllowed       EventType = "CARD_REVERSAL_ALLOWED"        // a merchant reversed a payment
	EventCardReservationAllowed    EventType = "CARD_RESERVATION_ALLOWED"     // a pre-authorisation reserved an amount
	EventCardReservationFinalized  EventType = "CARD_RESERVATION_FINALIZED"   // a pre-authorisation was finalised with its final amount
	EventCardTransactionNotAllowed EventType = "CARD_TRANSACTION_NOT_ALLOWED" // a card transaction was declined
)

// Event types of the REQUEST category.
const (
	EventRequestInquiryCreated          EventType = "REQUEST_INQUIRY_CREATED"           // a payment request was sent and awaits acceptance
	EventRequestInquiryAccepted         EventType = "REQUEST_INQUIRY_ACCEPTED"          // the recipient accepted the request
	EventRequestInquiryRejected         EventType = "REQUEST_INQUIRY_REJECTED"          // the recipient declined the request
	EventRequestInquiryRevoked          EventType = "REQUEST_INQUIRY_REVOKED"           // the request was cancelled
	EventRequestInquiryExpired          EventType = "REQUEST_INQUIRY_EXPIRED"           // the request expired
	EventRequestResponseCreated         EventType = "REQUEST_RESPONSE_CREATED"          // a request was received
	EventRequestResponseAccepted        EventType = "REQUEST_RESPONSE_ACCEPTED"         // a received request was paid
	EventRequestResponseRejected        EventType = "REQUEST_RESPONSE_REJECTED"         // a received request was declined
	EventRequestResponseRevoked         EventType = "REQUEST_RESPONSE_REVOKED"          // a received request was cancelled by its sender
	EventRequestResponseExpired         EventType = "REQUEST_RESPONSE_EXPIRED"          // a received request expired
	EventRequestResponseRefundRequested EventType = "REQUEST_RESPONSE_REFUND_REQUESTED" // a refund was requested for a paid request
	EventRequestResponseRefunded        EventType = "REQUEST_RESPONSE_REFUNDED"         // a paid request was refunded
)

// Event types of the CARD_TRANSACTION_UPDATED and CARD_TRANSACTION_REFUND
// categories.
const (
	EventCardPaymentUpdated            EventType = "CARD_PAYMENT_UPDATED"             // a card transaction was updated; its amount may have changed
	EventCardPaymentSettled            EventType = "CARD_PAYMENT_SETTLED"             // a card transaction received its clearing
	EventCardTransactionRefundApproved EventType = "CARD_TRANSACTION_REFUND_APPROVED" // a refund the user requested was approved
	EventCardTransactionRefundDenied   EventType = "CARD_TRANSACTION_REFUND_DENIED"   // a refund the user requested was denied
)

// Event types of the CARD and CARD_TOKENIZATION categories (Apple Pay and
// Google Pay tokens).
const (
	EventCardUpdated        EventType = "CARD_UPDATED"         // a card's properties were updated
	EventCardTokenActivated EventType = "CARD_TOKEN_ACTIVATED" // a card token was activated for a wallet
	EventCardTokenSuspended EventType = "CARD_TOKEN_SUSPENDED" // a card token was suspended for a while
	EventCardTokenDeleted   EventType = "CARD_TOKEN_DELETED"   // a card token was removed for good
	EventCardTokenUpdated   EventType = "CARD_TOKEN_UPDATED"   // a card token's details changed, for example a later expiry date
)

// Event types of the MASTERCARD_IDENTITY_CHECK category (3-D Secure).
const (
	EventMasterCardIdentityCheckChallengeCreated  EventType = "MASTERCARD_IDENTITY_CHECK_CHALLENGE_CREATED"  // a challenge awaits the user's approval or rejection
	EventMasterCardIdentityCheckChallengeRejected EventType = "MASTERCARD_IDENTITY_CHECK_CHALLENGE_REJECTED" // the challenge was rejected
	EventMasterCardIdentityCheckChallengeFailed   EventType = "MASTERCARD_IDENTITY_CHECK_CHALLENGE_FAILED"   // the challenge failed
	EventMasterCardIdentityCheckChallengeExpired  EventType = "MASTERCARD_IDENTITY_CHECK_CHALLENGE_EXPIRED"  // the challenge expired unanswered
)

// Event types of the DRAFT_PAYMENT, BUNQME_TAB, SHARE, SCHEDULE_RESULT and
// SCHEDULE_STATUS categories, as bunq's SDK test payloads show them, and
// the one a bunq.me payment is seen to arrive with.
const (
	EventDraftPaymentAccepted EventType = "DRAFT_PAYMENT_ACCEPTED" // a draft payment was accepted
	EventBunqMeTabCreated     EventType = "BUNQME_TAB_CREATED"     // a bunq.me tab was created
	// EventBunqMeTabResultInquiryCreated: a bunq.me tab was paid. No bunq
	// document names it; integrations that take payments through bunq.me
	// wait for it (BUNQME_TAB category, BunqMeTabResultInquiry object).
	EventBunqMeTabResultInquiryCreated           EventType = "BUNQME_TAB_RESULT_INQUIRY_CREATED"
	EventShareInviteBankInquiryAccepted          EventType = "SHARE_INVITE_BANK_INQUIRY_ACCEPTED"          // a Connect invitation was accepted
	EventScheduleDefinitionPaymentBatchCancelled EventType = "SCHEDULE_DEFINITION_PAYMENT_BATCH_CANCELLED" // a scheduled payment batch was cancelled
	EventScheduleInstancePaymentBatchSucceeded   EventType = "SCHEDULE_INSTANCE_PAYMENT_BATCH_SUCCEEDED"   // a scheduled payment batch was executed
)

// Event types of the user provisioning categories and SUPPORT.
const (
	EventPartnerUserProvisionProcessUpdated           EventType = "PARTNER_USER_PROVISION_PROCESS_UPDATED"             // a partner user's provisioning properties changed
	EventUserOnboardingUpdated                        EventType = "USER_ONBOARDING_UPDATED"                            // who must act next on an onboarding (action_required) changed
	EventUserInformationInquiryExpectingReplyFromUser EventType = "USER_INFORMATION_INQUIRY_EXPECTING_REPLY_FROM_USER" // a compliance inquiry awaits the user's answer
	EventUserInformationInquiryExpectingReplyFromBunq EventType = "USER_INFORMATION_INQUIRY_EXPECTING_REPLY_FROM_BUNQ" // a compliance inquiry awaits bunq's review
	EventUserInformationInquiryFinalized              EventType = "USER_INFORMATION_INQUIRY_FINALIZED"                 // a compliance inquiry was finalised
	EventSupportMessageUserTextReceived               EventType = "SUPPORT_MESSAGE_USER_TEXT_RECEIVED"                 // a support message from the user was received
)

// eventTypes lists the constants above, for allocation-free decoding.
var eventTypes = [...]EventType{
	EventMutationCreated, EventMutationReceived,
	EventPaymentCreated, EventPaymentReceived, EventPaymentClaimed, EventPaymentRejected,
	EventPaymentRevoked, EventPaymentExpired, EventPaymentBatchCreated, EventPaymentBatchRevoked,
	EventCardPaymentAllowed, EventCardWithdrawalAllowed, EventCardReversalAllowed,
	EventCardReservationAllowed, EventCardReservationFinalized, EventCardTransactionNotAllowed,
	EventRequestInquiryCreated, EventRequestInquiryAccepted, EventRequestInquiryRejected,
	EventRequestInquiryRevoked, EventRequestInquiryExpired, EventRequestResponseCreated,
	EventRequestResponseAccepted, EventRequestResponseRejected, EventRequestResponseRevoked,
	EventRequestResponseExpired, EventRequestResponseRefundRequested, EventRequestResponseRefunded,
	EventCardPaymentUpdated, EventCardPaymentSettled,
	EventCardTransactionRefundApproved, EventCardTransactionRefundDenied,
	EventCardUpdated, EventCardTokenActivated, EventCardTokenSuspended, EventCardTokenDeleted, EventCardTokenUpdated,
	EventMasterCardIdentityCheckChallengeCreated, EventMasterCardIdentityCheckChallengeRejected,
	EventMasterCardIdentityCheckChallengeFailed, EventMasterCardIdentityCheckChallengeExpired,
	EventDraftPaymentAccepted, EventBunqMeTabCreated, EventBunqMeTabResultInquiryCreated,
	EventShareInviteBankInquiryAccepted, EventScheduleDefinitionPaymentBatchCancelled,
	EventScheduleInstancePaymentBatchSucceeded,
	EventPartnerUserProvisionProcessUpdated, EventUserOnboardingUpdated, EventUserInformationInquiryExpectingReplyFromUser,
	EventUserInformationInquiryExpectingReplyFromBunq, EventUserInformationInquiryFinalized,
	EventSupportMessageUserTextReceived,
}

// EventTypes returns every event type this package has a constant for.
// The slice is a fresh copy.
func EventTypes() []EventType {
	out := make([]EventType, len(eventTypes))
	copy(out, eventTypes[:])
	return out
}

// Known reports whether e is one of [EventTypes].
func (e EventType) Known() bool {
	_, ok := lookupEventType([]byte(e))
	return ok
}

// String returns the event type as bunq writes it.
func (e EventType) String() string { return string(e) }

func lookupEventType(b []byte) (EventType, bool) {
	for _, e := range eventTypes {
		if string(e) == string(b) {
			return e, true
		}
	}
	return "", false
}

// UnmarshalJSONFrom decodes a JSON string (null gives ""). A known value
// shares the constant's memory instead of allocating.
func (e *EventType) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return e.unmarshalValue(v)
}

// UnmarshalJSON is the encoding/json form of UnmarshalJSONFrom.
func (e *EventType) UnmarshalJSON(b []byte) error {
	return e.unmarshalValue(bytes.TrimSpace(b))
}

func (e *EventType) unmarshalValue(v []byte) error {
	s, err := internString(v, "event type")
	if err != nil {
		return err
	}
	if k, ok := lookupEventType(s); ok {
		*e = k
	} else {
		*e = EventType(s)
	}
	return nil
}

var _ json.Unmarshaler = (*EventType)(nil)
