package bunqapi

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"

	"github.com/go-json-experiment/json"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bunq"
)

// PinnedChain is a certificate chain pinned at bunq, as GET
// /v1/user/{userID}/certificate-pinned lists it. bunq checks that a
// callback's server presents it and cancels the callback otherwise. The
// zero value is no chain; a PinnedChain is a plain value.
type PinnedChain struct {
	ID               int64  // the id to delete it with
	CertificateChain string // the chain in PEM, certificates glued with newlines, leaf first
}

// Certificates parses the chain, leaf first.
func (p PinnedChain) Certificates() ([]*x509.Certificate, error) {
	return bankhook.ParsePEMChain([]byte(p.CertificateChain))
}

// ListPins returns the certificate chains the user has pinned.
func (c *Client) ListPins(ctx context.Context) ([]PinnedChain, error) {
	path := c.userPath("/certificate-pinned")
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, auth: authSession})
	if err != nil {
		return nil, err
	}
	its, err := responseItems(resp.body)
	if err != nil {
		return nil, fmt.Errorf("%w to GET %s: %v", ErrResponse, path, err)
	}
	pins := make([]PinnedChain, 0, len(its))
	for i, it := range its {
		raw, ok := it["CertificatePinned"]
		if !ok {
			return nil, fmt.Errorf(`%w to GET %s: Response[%d] is not a "CertificatePinned"`, ErrResponse, path, i)
		}
		var p struct {
			ID    int64  `json:"id"`
			Chain string `json:"certificate_chain"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("%w to GET %s: Response[%d]: %v", ErrResponse, path, i, err)
		}
		pins = append(pins, PinnedChain{ID: p.ID, CertificateChain: p.Chain})
	}
	return pins, nil
}

// CreatePin pins a certificate chain (POST
// /v1/user/{userID}/certificate-pinned) and returns its id. pemChain is
// the chain your callback server presents, leaf first, in PEM: what
// bankhook.EncodePEM makes of the chain bankhook.FetchChain fetches. The body is built by
// [bunq.CertificatePinnedBody], which checks every certificate first.
// Pin a new chain before you rotate the certificate: bunq cancels
// callbacks to a server that presents no pinned chain.
func (c *Client) CreatePin(ctx context.Context, pemChain []byte) (int64, error) {
	path := c.userPath("/certificate-pinned")
	body, err := bunq.CertificatePinnedBody(pemChain)
	if err != nil {
		return 0, fmt.Errorf("bunqapi: POST %s: %w", path, err)
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: path, body: body, auth: authSession})
	if err != nil {
		return 0, err
	}
	id, err := createdID(resp.body)
	if err != nil {
		return 0, fmt.Errorf("%w to POST %s: %v", ErrResponse, path, err)
	}
	return id, nil
}

// DeletePin removes the pinned chain id (DELETE
// /v1/user/{userID}/certificate-pinned/{id}).
func (c *Client) DeletePin(ctx context.Context, id int64) error {
	if id <= 0 {
		return fmt.Errorf("bunqapi: DeletePin: id %d is not positive", id)
	}
	_, err := c.do(ctx, request{method: http.MethodDelete, path: c.userPath(fmt.Sprintf("/certificate-pinned/%d", id)), auth: authSession})
	return err
}

// createdID reads {"Response":[{"Id":{"id":N}}]}.
func createdID(body []byte) (int64, error) {
	its, err := responseItems(body)
	if err != nil {
		return 0, err
	}
	var id struct {
		ID int64 `json:"id"`
	}
	if err := its.decode("Id", &id); err != nil {
		return 0, err
	}
	if id.ID <= 0 {
		return 0, fmt.Errorf("id %d is not positive", id.ID)
	}
	return id.ID, nil
}
