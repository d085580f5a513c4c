package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Backup starts a backup of the node's chain database: GET /admin/backup
// on its operations port, so c's base URL must be that port and its HTTP
// client must present an operator certificate of the chain CA. It returns
// the stream (storage's backup format; node.WriteBackup checks and writes
// it) and the id of the node it comes from; the caller closes the stream.
// The HTTP client's Timeout bounds the whole download: use ctx instead.
// A second backup while one runs is refused with code backup_running.
func (c *Client) Backup(ctx context.Context) (stream io.ReadCloser, nodeID string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/admin/backup", nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("GET /admin/backup: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, "", responseError(resp, data)
	}
	return resp.Body, resp.Header.Get("X-Veil-Node"), nil
}

// NodeRevoked asks a node whether the node id's certificate is revoked on
// chain: GET /nodes/{id}/revoked on its operations port (open; chain
// state is public to the consortium).
func (c *Client) NodeRevoked(ctx context.Context, id string) (bool, error) {
	var out struct {
		Revoked bool `json:"revoked"`
	}
	if err := c.do(ctx, http.MethodGet, "/nodes/"+url.PathEscape(id)+"/revoked", nil, &out); err != nil {
		return false, err
	}
	return out.Revoked, nil
}
