package bankhub

import "github.com/bankhook/bankhook"

// Transaction is the "transaction" object of a TRANSACTIONS/DEFAULT_UPDATE
// webhook: a banking transaction on an account connected through bankHub.
//
// [Decode] requires ID (the idempotency key is built from it) and Amount
// (money is never defaulted: a transaction without an amount is refused,
// not handled as 0). The other members bankHub documents as required
// (TransactionDate, Description, AccountNumber, FIID, FIName,
// FIServiceID, FIServiceName, Currency) are decoded when present and are
// zero when bankHub leaves them out: refusing the webhook for a missing
// description would only make bankHub retry it for a day and then drop it.
//
// Text members documented as strings also accept JSON numbers, kept digit
// for digit ("accountNumber": 12345678901234567890 gives
// "12345678901234567890"), and null, which gives "".
//
// The zero value is an empty transaction. A Transaction is plain data,
// safe for concurrent reads.
type Transaction struct {
	// ID is bankHub's internal identifier of the transaction. It is the
	// same in every retry of a webhook.
	ID string `json:"id"`
	// TransactionCode is the financial service's transaction code. It
	// cannot be used to check the transaction with the bank. Not every
	// service has one (MBBank does, OCB does not); "" when absent.
	TransactionCode string `json:"transactionCode,omitzero"`
	// Reference is the financial service's reference code, the official
	// code shown in Internet banking and the one to check with the bank.
	// It can repeat in some cases, and some banks (Agribank, Eximbank) do
	// not have it; "" when absent. TransactionCode or Reference, or both,
	// identify the transaction at the bank.
	Reference string `json:"reference,omitzero"`
	// TransactionDate is the transaction's value date.
	TransactionDate Date `json:"transactionDate,omitzero"`
	// TransactionDateTime is the transaction's value date and time; zero
	// when absent.
	TransactionDateTime DateTime `json:"transactionDateTime,omitzero"`
	// BookingDate is when the transaction was posted on the financial
	// institution's books, a date or a date and time; zero when absent.
	BookingDate Date `json:"bookingDate,omitzero"`
	// Amount is the exact amount of the transaction, in Currency. bankHub
	// sends a JSON number; every digit is kept (VND amounts reach 18
	// digits, beyond float64). It encodes as a JSON string.
	Amount bankhook.Decimal `json:"amount"`
	// Description is the transaction's detailed description, usually the
	// payer's transfer message.
	Description string `json:"description"`
	// RunningBalance is the account's balance after the transaction; nil
	// when bankHub sends none. (omitempty, not omitzero: a balance of 0 is
	// a balance, and only nil is left out.)
	RunningBalance *bankhook.Decimal `json:"runningBalance,omitempty"`
	// AccountNumber is the number of the connected bank account.
	AccountNumber string `json:"accountNumber"`
	// VirtualAccountNumber is the virtual account the payment was made
	// to; "" when absent.
	VirtualAccountNumber string `json:"virtualAccountNumber,omitzero"`
	// VirtualAccountName is the virtual account's name; "" when absent.
	VirtualAccountName string `json:"virtualAccountName,omitzero"`
	// PaymentChannel is the payment channel; "" when absent.
	PaymentChannel Channel `json:"paymentChannel,omitzero"`
	// CounterAccountNumber is the counterpart's account number; "" when
	// absent.
	CounterAccountNumber string `json:"counterAccountNumber,omitzero"`
	// CounterAccountName is the counterpart's account name; "" when absent.
	CounterAccountName string `json:"counterAccountName,omitzero"`
	// CounterAccountBankID is the BIN of the counterpart's bank ("970436");
	// "" when absent.
	CounterAccountBankID string `json:"counterAccountBankId,omitzero"`
	// CounterAccountBankName is the counterpart's bank name; "" when absent.
	CounterAccountBankName string `json:"counterAccountBankName,omitzero"`
	// PaymentMeta carries the partner's data about the payment; zero when
	// absent or null.
	PaymentMeta PaymentMeta `json:"paymentMeta,omitzero"`
	// FIID is the financial institution's identifier.
	FIID string `json:"fiId"`
	// FIName is the financial institution's name.
	FIName string `json:"fiName"`
	// FIServiceID is the identifier of the financial institution's service.
	FIServiceID string `json:"fiServiceId"`
	// FIServiceName is the name of the financial institution's service.
	FIServiceName string `json:"fiServiceName"`
	// Currency is the currency of Amount and RunningBalance ("VND").
	Currency string `json:"currency"`
}

// PaymentMeta is a transaction's "paymentMeta" object.
//
// The zero value carries nothing. It is plain data, safe for concurrent
// reads.
type PaymentMeta struct {
	// ReferenceNumber is the partner's order code; "" when absent.
	ReferenceNumber string `json:"referenceNumber,omitzero"`
}

// Channel is a transaction's payment channel. Values other than the
// documented ones decode unchanged.
type Channel string

// The payment channels bankHub documents.
const (
	ChannelNapas247 Channel = "Napas247" // NAPAS 24/7 fast interbank transfer
	ChannelInternal Channel = "Nội bộ"   // transfer inside the same bank
	ChannelCitad    Channel = "Citad"    // the State Bank's interbank settlement system
	ChannelSwift    Channel = "Swift"    // international transfer
)
