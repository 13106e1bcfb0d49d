package bunq

// Address is a postal address.
type Address struct {
	Street               string `json:"street"`
	HouseNumber          string `json:"house_number"`
	POBox                string `json:"po_box"`
	PostalCode           string `json:"postal_code"`
	City                 string `json:"city"`
	Country              string `json:"country"`      // ISO 3166-1 alpha-2
	Extra                string `json:"extra"`        // apartment, building, …
	MailboxName          string `json:"mailbox_name"` // name on the mailbox
	Province             string `json:"province"`
	IsUserAddressUpdated bool   `json:"is_user_address_updated"`
}

// Geolocation is where something was done, as reported by a device.
type Geolocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Altitude  float64 `json:"altitude"`
	Radius    float64 `json:"radius"`
}
