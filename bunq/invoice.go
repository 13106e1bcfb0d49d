package bunq

import "github.com/bankhook/bankhook"

// Invoice is an invoice bunq sends the user: what the BILLING category
// carries.
type Invoice struct {
	ID                      int64                 `json:"id"`                         // id of the invoice
	Created                 Time                  `json:"created"`                    // when it was created
	Updated                 Time                  `json:"updated"`                    // last update
	InvoiceDate             string                `json:"invoice_date"`               // "YYYY-MM-DD"
	InvoiceNumber           Identifier            `json:"invoice_number"`             // the invoice number
	Status                  string                `json:"status"`                     // the invoice status
	Category                string                `json:"category"`                   // category shown to the user
	Description             string                `json:"description"`                // description given by bunq
	ExternalURL             string                `json:"external_url"`               // external URL given by bunq
	Group                   []InvoiceItemGroup    `json:"group"`                      // the item groups
	TotalVATInclusive       Amount                `json:"total_vat_inclusive"`        // total including VAT
	TotalVATExclusive       Amount                `json:"total_vat_exclusive"`        // total excluding VAT
	TotalVAT                Amount                `json:"total_vat"`                  // the VAT on the total
	Alias                   *LabelMonetaryAccount `json:"alias"`                      // the customer
	Address                 *Address              `json:"address"`                    // the customer's address
	CounterpartyAlias       *LabelMonetaryAccount `json:"counterparty_alias"`         // the company invoicing
	CounterpartyAddress     *Address              `json:"counterparty_address"`       // the company's address
	ChamberOfCommerceNumber Identifier            `json:"chamber_of_commerce_number"` // the company's registration number
	VATNumber               Identifier            `json:"vat_number"`                 // the company's VAT number
}

// ObjectType returns "Invoice".
func (*Invoice) ObjectType() string { return "Invoice" }

func (i *Invoice) identity() (int64, Time) { return i.ID, i.Updated }

// InvoiceItemGroup is a group of items on an invoice.
type InvoiceItemGroup struct {
	Type                      string        `json:"type"`                        // type of the item group
	TypeDescription           string        `json:"type_description"`            // description of the group's type
	TypeDescriptionTranslated string        `json:"type_description_translated"` // translated description of the group's type
	InstanceDescription       string        `json:"instance_description"`        // identifier of the item group
	ProductVATExclusive       Amount        `json:"product_vat_exclusive"`       // unit price excluding VAT
	ProductVATInclusive       Amount        `json:"product_vat_inclusive"`       // unit price including VAT
	Item                      []InvoiceItem `json:"item"`                        // the items in the group
}

// InvoiceItem is one line of an invoice. VAT and Quantity are exact
// decimals, decoded from JSON numbers.
type InvoiceItem struct {
	ID                        int64            `json:"id"`                          // id of the invoice item
	BillingDate               string           `json:"billing_date"`                // "YYYY-MM-DD"
	TypeDescription           string           `json:"type_description"`            // the price description
	TypeDescriptionTranslated string           `json:"type_description_translated"` // translated price description
	UnitVATExclusive          Amount           `json:"unit_vat_exclusive"`          // unit price excluding VAT
	UnitVATInclusive          Amount           `json:"unit_vat_inclusive"`          // unit price including VAT
	VAT                       bankhook.Decimal `json:"vat"`                         // VAT fraction, 0.21
	Quantity                  bankhook.Decimal `json:"quantity"`                    // number of items priced
	TotalVATExclusive         Amount           `json:"total_vat_exclusive"`         // item price excluding VAT
	TotalVATInclusive         Amount           `json:"total_vat_inclusive"`         // item price including VAT
}
