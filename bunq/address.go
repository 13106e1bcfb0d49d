package bunq

// Address is a postal address.
type Address struct {
	Street               string `json:"street"`                  // the street
	HouseNumber          string `json:"house_number"`            // the house number
	POBox                string `json:"po_box"`                  // the PO box
	PostalCode           string `json:"postal_code"`             // the postal code
	City                 string `json:"city"`                    // the city
	Country              string `json:"country"`                 // ISO 3166-1 alpha-2
	Extra                string `json:"extra"`                   // apartment, building, …
	MailboxName          string `json:"mailbox_name"`            // name on the mailbox
	Province             string `json:"province"`                // province, by the local standard
	IsUserAddressUpdated bool   `json:"is_user_address_updated"` // whether the user created or updated the address (for app event listing)
}

// Geolocation is where something was done, as reported by a device.
type Geolocation struct {
	Latitude  float64 `json:"latitude"`  // decimal degrees
	Longitude float64 `json:"longitude"` // decimal degrees
	Altitude  float64 `json:"altitude"`  // metres, may be 0
	Radius    float64 `json:"radius"`    // accuracy radius in metres
}
